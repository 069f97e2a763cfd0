//! `Setting<T>`: a typed, documented, live configuration value, declared once.

use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};
use std::thread::LocalKey;

use figment::value::Value;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Config;
use super::read::{ReadError, read};
use super::watch::Watch;

/// Declares a [`Setting`]: a `static` with a dotted name, a typed default and a help text. It is
/// registered for discovery (help output, validation of config files) before `main` runs. Its
/// help text also becomes its documentation.
///
/// ```
/// use ginkgo::{setting, Config};
///
/// setting!(
///     /// How many messages a minute.
///     pub static RATE: u32 {
///         name: "rate_per_minute",
///         default: 60,
///         help: "Rate at which to emit message",
///     }
/// );
///
/// let config = Config::builder().set("rate_per_minute", "180").load().unwrap();
/// assert_eq!(RATE.get(&config), 180);
/// assert_eq!(RATE.get(&Config::defaults()), 60);
/// ```
///
/// A setting can also say which values of its type it accepts: `range: LOW..=HIGH` for a
/// number (shown by the help), `check: FUNCTION` (from `&T` to `Result<(), String>`, the error
/// saying what is wrong) for anything else. Loading and reloading refuse any other value, from
/// any source, before anything uses it:
///
/// ```
/// use ginkgo::{setting, Config};
///
/// setting!(pub static TIMEOUT: f64 {
///     name: "example.timeout",
///     default: 10.0,
///     help: "Seconds to wait",
///     range: 0.001..=3600.0,
/// });
/// setting!(pub static NAME: String {
///     name: "example.name",
///     default: "ginkgo".to_string(),
///     help: "A name",
///     check: |name: &String| if name.is_empty() { Err("the name is empty".into()) } else { Ok(()) },
/// });
///
/// let err = Config::builder().env(false).set("example.timeout", "inf").load().unwrap_err();
/// assert_eq!(err.to_string(), "--set: setting `example.timeout` expects a value from 0.001 to 3600.0, found inf");
/// let err = Config::builder().env(false).set("example.name", "''").load().unwrap_err();
/// assert_eq!(err.to_string(), "--set: setting `example.name`: the name is empty");
/// assert_eq!(TIMEOUT.declared().valid().as_deref(), Some("0.001 to 3600.0"));
/// ```
///
/// A setting whose value must not be shown (a password, a token) says `secret: true`, last:
/// help output and the runner's `ginkgoctl settings` show `(secret)` instead of its value, and
/// still say where it came from.
///
/// ```
/// use ginkgo::{setting, Config};
///
/// setting!(pub static TOKEN: String {
///     name: "example.token",
///     default: String::new(),
///     help: "The upstream's access token",
///     secret: true,
/// });
///
/// let config = Config::builder().env(false).set("example.token", "s3cr3t").load().unwrap();
/// assert_eq!(TOKEN.get(&config), "s3cr3t");
/// assert!(TOKEN.declared().is_secret());
/// assert!(!config.help().contains("s3cr3t"));
/// ```
///
/// A setting the program reads only as it starts (an address to listen on, a user to become)
/// says `restart: true`, after `secret` if both are given. A reload that changes it still puts
/// the new value in the configuration, but what was built from the old one goes on: the runner
/// says so, one warning per setting, ending `takes effect on restart`.
///
/// ```
/// use ginkgo::setting;
///
/// setting!(pub static LISTEN: String {
///     name: "example.listen",
///     default: "127.0.0.1:8080".to_string(),
///     help: "Where the server listens",
///     restart: true,
/// });
///
/// assert!(LISTEN.declared().needs_restart());
/// ```
#[macro_export]
macro_rules! setting {
    (
        $(#[$attr:meta])*
        $vis:vis static $ident:ident : $ty:ty {
            name: $name:literal,
            default: $default:expr,
            help: $help:literal
            $(, range: $range:expr)?
            $(, check: $check:expr)?
            $(, secret: $secret:expr)?
            $(, restart: $restart:expr)?
            $(,)?
        }
    ) => {
        #[doc = concat!("The setting `", $name, "`: ", $help)]
        ///
        $(#[$attr])*
        $vis static $ident: $crate::config::Setting<$ty> = {
            static DECLARED: $crate::config::Declared = $crate::config::Declared::__new(
                $name,
                $help,
                ::std::any::type_name::<$ty>,
                || $crate::config::__private::to_value::<$ty>(&{ $default }),
                |value| $crate::config::__private::extract::<$ty>(value, &[
                    $( &|v: &$ty| $crate::config::__private::within(v, $range), )?
                    $( &|v: &$ty| $crate::config::__private::passes(v, $check), )?
                ]),
                || None $( .or(Some($crate::config::__private::range_text::<$ty>($range))) )?,
            ) $( .__secret($secret) )? $( .__restart($restart) )?;
            $crate::config::__private::inventory::submit! {
                $crate::config::__private::Registered(&DECLARED)
            }
            ::std::thread_local! {
                static CACHE: $crate::config::__private::ReadCache<$ty> =
                    const { $crate::config::__private::ReadCache::new(None) };
            }
            $crate::config::Setting::__new(&DECLARED, || $default, &CACHE)
        };
    };
}

/// A typed configuration value. Declare one with [`setting!`](crate::setting); read it from a
/// [`Config`] with [`get`](Setting::get) or [`load`](Setting::load): every read sees the
/// current value, so a reload takes effect at the next read without restarting anything.
pub struct Setting<T: 'static> {
    declared: &'static Declared,
    default: fn() -> T,
    /// Per thread, the value last read and which configuration and generation it came from: a
    /// read that hits it costs one atomic load and one reference count.
    cache: &'static LocalKey<__private::ReadCache<T>>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Setting<T>
where
    T: DeserializeOwned + Serialize + Clone + Send + Sync + 'static,
{
    #[doc(hidden)]
    pub const fn __new(
        declared: &'static Declared,
        default: fn() -> T,
        cache: &'static LocalKey<__private::ReadCache<T>>,
    ) -> Self {
        Setting { declared, default, cache, _type: PhantomData }
    }

    /// The dotted name, as config files and `--set` spell it.
    pub fn name(&self) -> &'static str {
        self.declared.name
    }

    /// The help text.
    pub fn help(&self) -> &'static str {
        self.declared.help
    }

    /// The default value.
    pub fn default_value(&self) -> T {
        (self.default)()
    }

    /// The declaration, with everything help output needs.
    pub fn declared(&self) -> &'static Declared {
        self.declared
    }

    /// The current value in `config`, shared: the cheapest read.
    pub fn load(&self, config: &Config) -> Arc<T> {
        let stamp = config.stamp();
        let hit = self.cache.try_with(|cache| match &*cache.borrow() {
            Some((cached, value)) if *cached == stamp => Some(value.clone()),
            _ => None,
        });
        if let Ok(Some(value)) = hit {
            return value;
        }
        let value = self.load_uncached(config);
        let _ = self.cache.try_with(|cache| *cache.borrow_mut() = Some((stamp, value.clone())));
        value
    }

    fn load_uncached(&self, config: &Config) -> Arc<T> {
        match config.slot(self.declared) {
            Some(value) => match value.downcast::<T>() {
                Ok(value) => value,
                Err(_) => Arc::new(self.default_value()),
            },
            None => Arc::new(self.default_value()),
        }
    }

    /// The current value in `config`, cloned.
    pub fn get(&self, config: &Config) -> T {
        T::clone(&self.load(config))
    }

    /// A reader that can tell when this setting's value has changed since it last looked.
    pub fn watch(&'static self, config: &Config) -> Watch<T> {
        Watch::new(self, config.clone())
    }
}

impl<T> std::fmt::Debug for Setting<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setting").field("name", &self.declared.name).finish()
    }
}

/// Reads a setting's value: the typed value, and how it looks written back (for help output).
type Extract = fn(&Value) -> Result<(Arc<dyn Any + Send + Sync>, Value), ReadError>;

/// What is known of a declared setting without its type: name, help, type, default, the values
/// it accepts.
pub struct Declared {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    type_name: fn() -> &'static str,
    default: fn() -> Value,
    pub(crate) extract: Extract,
    valid: fn() -> Option<String>,
    /// Its value is never shown (`secret: true`).
    secret: bool,
    /// Read only as the program starts (`restart: true`).
    restart: bool,
    /// Position in the process-wide list of settings, fixed on first use.
    pub(crate) index: OnceLock<usize>,
}

impl Declared {
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        help: &'static str,
        type_name: fn() -> &'static str,
        default: fn() -> Value,
        extract: Extract,
        valid: fn() -> Option<String>,
    ) -> Self {
        Declared {
            name,
            help,
            type_name,
            default,
            extract,
            valid,
            secret: false,
            restart: false,
            index: OnceLock::new(),
        }
    }

    #[doc(hidden)]
    pub const fn __secret(mut self, secret: bool) -> Self {
        self.secret = secret;
        self
    }

    #[doc(hidden)]
    pub const fn __restart(mut self, restart: bool) -> Self {
        self.restart = restart;
        self
    }

    /// The dotted name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The help text.
    pub fn help(&self) -> &'static str {
        self.help
    }

    /// The Rust type, without module paths: `u32`, `String`, `Vec<String>`.
    pub fn type_name(&self) -> String {
        short_type((self.type_name)())
    }

    /// The default, as a configuration value.
    pub fn default_value(&self) -> Value {
        (self.default)()
    }

    /// True for a setting declared `secret: true`, whose value is never shown.
    pub fn is_secret(&self) -> bool {
        self.secret
    }

    /// True for a setting read only as the program starts (`restart: true`): a new value
    /// takes effect on the next start, not at a reload.
    pub fn needs_restart(&self) -> bool {
        self.restart
    }

    /// The range of values it accepts, when it declares one: `1 to 60000`.
    pub fn valid(&self) -> Option<String> {
        (self.valid)()
    }

    /// The environment variable that sets it: `GINKGO_` then the name in capitals, with `__`
    /// between the parts of a dotted name (`flask.debug` → `GINKGO_FLASK__DEBUG`).
    pub fn env_var(&self) -> String {
        format!("{}{}", super::ENV_PREFIX, self.name.to_uppercase().replace('.', "__"))
    }
}

impl std::fmt::Debug for Declared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Declared").field("name", &self.name).field("type", &self.type_name()).finish()
    }
}

/// `alloc::vec::Vec<alloc::string::String>` → `Vec<String>`.
fn short_type(full: &str) -> String {
    let mut out = String::new();
    let mut segment = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            segment.push(c);
        } else {
            out.push_str(segment.rsplit("::").next().unwrap_or(""));
            segment.clear();
            out.push(c);
        }
    }
    out.push_str(segment.rsplit("::").next().unwrap_or(""));
    out
}

#[doc(hidden)]
pub mod __private {
    use std::fmt::Debug;
    use std::ops::RangeInclusive;

    use super::super::read::out_of_range;
    use super::*;

    pub use inventory;

    /// A setting's per-thread cache: ((configuration id, generation), value).
    pub type ReadCache<T> = RefCell<Option<((u64, u64), Arc<T>)>>;

    /// A declaration, as collected before `main`.
    pub struct Registered(pub &'static Declared);

    inventory::collect!(Registered);

    pub fn to_value<T: Serialize>(value: &T) -> Value {
        Value::serialize(value).unwrap_or_else(|err| Value::from(format!("(default cannot be shown: {err})")))
    }

    pub use super::super::read::ReadError;

    /// A check of a read value.
    pub type Check<'a, T> = &'a dyn Fn(&T) -> Result<(), ReadError>;

    /// Reads `value` as a `T`, then applies the setting's checks.
    pub fn extract<T: DeserializeOwned + Serialize + Send + Sync + 'static>(
        value: &Value,
        checks: &[Check<'_, T>],
    ) -> Result<(Arc<dyn Any + Send + Sync>, Value), ReadError> {
        let typed: T = read(value)?;
        for check in checks {
            check(&typed).map_err(|err| err.at(value.tag()))?;
        }
        let shown = to_value(&typed);
        Ok((Arc::new(typed), shown))
    }

    /// `value` is within `range`; NaN never is.
    pub fn within<T: PartialOrd + Debug>(value: &T, range: RangeInclusive<T>) -> Result<(), ReadError> {
        match range.contains(value) {
            true => Ok(()),
            false => Err(out_of_range(format!("{value:?}"), format!("a value from {}", range_text(range)))),
        }
    }

    /// `check` accepts `value`.
    pub fn passes<T>(value: &T, check: impl Fn(&T) -> Result<(), String>) -> Result<(), ReadError> {
        check(value).map_err(|why| ReadError::new(figment::error::Kind::Message(why)))
    }

    /// `1 to 60000`.
    pub fn range_text<T: Debug>(range: RangeInclusive<T>) -> String {
        format!("{:?} to {:?}", range.start(), range.end())
    }
}

/// Every declared setting, in a stable order, with each one's index fixed.
pub(crate) fn declared() -> &'static [&'static Declared] {
    static ALL: OnceLock<Vec<&'static Declared>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: Vec<&'static Declared> = Vec::new();
        for registered in inventory::iter::<__private::Registered> {
            all.push(registered.0);
        }
        all.sort_by_key(|d| d.name);
        for (index, declared) in all.iter().enumerate() {
            let _ = declared.index.set(index);
        }
        all
    })
}

/// Every declared setting, sorted by name: for help output and discovery.
pub fn all_settings() -> &'static [&'static Declared] {
    declared()
}

#[cfg(test)]
mod tests {
    use super::short_type;

    #[test]
    fn short_type_keeps_generics_but_drops_paths() {
        assert_eq!(short_type("alloc::vec::Vec<alloc::string::String>"), "Vec<String>");
        assert_eq!(short_type("u32"), "u32");
        assert_eq!(short_type("core::option::Option<std::net::SocketAddr>"), "Option<SocketAddr>");
    }
}
