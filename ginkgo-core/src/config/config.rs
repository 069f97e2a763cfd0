//! `Config`: one loaded configuration, read live and reloaded as a whole.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use arc_swap::ArcSwap;
use event_listener::Event;
use figment::error::Kind;
use figment::value::{Dict, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::group::Group;
use super::origin::{Layers, Origin};
use super::read::ReadError;
use super::setting::{Declared, declared};
use super::source::{ConfigFile, insert_dotted, leaf_paths};
use super::staged::StagedReload;
use super::text::Texts;
use super::{ConfigError, ENV_PREFIX, suggest};
use crate::state::lock;

/// Keys that are understood without being settings.
const SPECIAL_KEYS: [&str; 1] = ["service"];

/// How many unknown keys of one source are named (with a suggestion) before the rest are only
/// counted: a file of a hundred thousand keys must not cost a suggestion and a log line each.
const MAX_UNKNOWN_KEYS: usize = 20;

/// A configuration: the values of every declared [`Setting`](super::Setting), from the layers
/// defaults < config file < environment (`GINKGO_…`) < explicit overrides (`--set`).
///
/// Loading validates every declared setting at once, so a wrong value is reported before
/// anything starts. [`reload`](Config::reload) reads the sources again and replaces all values
/// in one step, or keeps the old ones if anything is wrong. Cloning is cheap and clones share
/// the values; distinct configurations can live side by side in one process.
///
/// ```
/// use ginkgo::{setting, Config};
///
/// setting!(pub static GREETING: String {
///     name: "example.greeting",
///     default: "hello".to_string(),
///     help: "What to say",
/// });
///
/// let loud = Config::builder().set("example.greeting", "HELLO").load().unwrap();
/// let quiet = Config::defaults();
/// assert_eq!(GREETING.get(&loud), "HELLO");
/// assert_eq!(GREETING.get(&quiet), "hello");
/// assert_eq!(loud.group("example").get::<String>("greeting").as_deref(), Some("HELLO"));
/// ```
#[derive(Clone)]
pub struct Config {
    inner: Arc<Inner>,
}

struct Inner {
    /// Unique in the process: tells configurations apart in the per-thread read cache.
    id: u64,
    sources: Sources,
    values: ArcSwap<Values>,
    /// Goes up with every successful reload, after the new values are in place.
    generation: AtomicU64,
    /// Notified after every successful reload.
    pub(crate) changed: Event,
    /// Serializes reloads.
    reloading: Mutex<()>,
}

#[derive(Clone, Default)]
struct Sources {
    file: Option<PathBuf>,
    env: bool,
    /// The environment variables' prefix; [`ENV_PREFIX`] when `None`.
    env_prefix: Option<String>,
    /// `--set` pairs: dotted name, text.
    overrides: Vec<(String, String)>,
}

/// The values of one load.
pub(crate) struct Values {
    pub(crate) figment: Figment,
    pub(crate) merged: Dict,
    slots: Vec<Option<Slot>>,
    warnings: Vec<String>,
    /// The config file as it was read, for the lines of its values.
    file: Option<ConfigFile>,
    /// The environment variables' prefix, for their names.
    env_prefix: String,
}

struct Slot {
    value: Arc<dyn Any + Send + Sync>,
    raw: Value,
    /// The value as its type understood it, for help output: `077` for `--set umask=0o077`.
    shown: Value,
    /// Goes up by one whenever a reload changes this value.
    version: u64,
}

/// Builds a [`Config`]: which file, whether to read the environment, which overrides.
#[derive(Clone, Default)]
pub struct ConfigBuilder {
    sources: Sources,
}

impl ConfigBuilder {
    /// Reads this config file (`.toml` or `.json`, by extension).
    pub fn file(mut self, path: impl AsRef<Path>) -> Self {
        self.sources.file = Some(path.as_ref().to_path_buf());
        self
    }

    /// Whether `GINKGO_…` environment variables set values (on by default).
    pub fn env(mut self, read: bool) -> Self {
        self.sources.env = read;
        self
    }

    /// Reads the environment variables that start with `prefix` instead of [`ENV_PREFIX`]: an
    /// application of its own reads `MYAPP_RATE_PER_MINUTE`, not `GINKGO_RATE_PER_MINUTE`.
    ///
    /// ```
    /// use ginkgo::Config;
    ///
    /// # // SAFETY: doctests are processes of their own; no other thread reads the environment.
    /// # unsafe { std::env::set_var("MYAPP_LOGLEVEL", "debug") };
    /// let config = Config::builder().env_prefix("MYAPP_").load()?;
    /// assert_eq!(config.env_prefix(), "MYAPP_");
    /// assert_eq!(config.value("loglevel").and_then(|v| v.into_string()).as_deref(), Some("debug"));
    /// # Ok::<(), ginkgo::config::ConfigError>(())
    /// ```
    pub fn env_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.sources.env_prefix = Some(prefix.into());
        self
    }

    /// Sets `key` (a dotted name) to `value`, a text that the setting's type reads as it would
    /// read the same text from a file or the environment (`077` is 77 to a number, the mask
    /// 0o077 to a umask, a name to a string). Overrides win over every other layer.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.sources.overrides.push((key.into(), value.into()));
        self
    }

    /// Sets a `KEY=VALUE` pair, as given to `--set`.
    pub fn set_pair(self, pair: &str) -> Result<Self, ConfigError> {
        match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => Ok(self.set(key.trim(), value)),
            _ => Err(ConfigError::new(format!("bad --set `{pair}`: expected KEY=VALUE"))),
        }
    }

    /// Reads every source and validates every declared setting.
    pub fn load(self) -> Result<Config, ConfigError> {
        let values = Values::build(&self.sources, None)?;
        values.log_warnings();
        Ok(Config::with_values(self.sources, values))
    }
}

impl Config {
    /// A builder; the environment is read unless turned off.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder { sources: Sources { env: true, ..Default::default() } }
    }

    /// Every setting at its default: no file, no environment.
    pub fn defaults() -> Config {
        let sources = Sources::default();
        let values = Values::build(&sources, None).unwrap_or_else(|err| {
            log::error!("a setting's default does not fit its own type: {err}");
            Values::empty()
        });
        Config::with_values(sources, values)
    }

    /// A configuration of its own (a new identity for the read cache) holding `values`.
    fn with_values(sources: Sources, values: Values) -> Config {
        Config {
            inner: Arc::new(Inner {
                id: next_id(),
                sources,
                values: ArcSwap::from_pointee(values),
                generation: AtomicU64::new(0),
                changed: Event::new(),
                reloading: Mutex::new(()),
            }),
        }
    }

    /// Makes this the process's current configuration ([`Config::current`]). Only the first
    /// call takes effect; later ones return the configuration they could not replace.
    pub fn install(self) -> Result<(), Config> {
        CURRENT.set(self)
    }

    /// The process's current configuration: the installed one, or else the defaults.
    pub fn current() -> &'static Config {
        CURRENT.get_or_init(Config::defaults)
    }

    /// Reads the sources again and, if every value is valid, replaces all values at once: a key
    /// removed from the file returns to its default. On any error the old values stay in force
    /// and the error is returned, for the caller to report.
    ///
    /// The same as [`stage_reload`](Config::stage_reload) followed at once by
    /// [`commit`](StagedReload::commit).
    pub fn reload(&self) -> Result<(), ConfigError> {
        self.stage_reload()?.commit();
        Ok(())
    }

    /// Reads the sources again and validates every value, like [`reload`](Config::reload), but
    /// applies nothing yet: the new values wait in the returned [`StagedReload`], where the
    /// caller can read them ([`StagedReload::config`]) and check whatever else depends on them
    /// before it [commits](StagedReload::commit) them all at once, or drops them and changes
    /// nothing.
    ///
    /// Until the staged reload is committed or dropped, other reloads of this configuration
    /// wait (from this thread too: do not reload it while holding one).
    pub fn stage_reload(&self) -> Result<StagedReload<'_>, ConfigError> {
        let one_at_a_time = lock(&self.inner.reloading);
        let old = self.inner.values.load_full();
        let values = Values::build(&self.inner.sources, Some(&old))?;
        let staged = Config::with_values(self.inner.sources.clone(), values);
        Ok(StagedReload::new(self, staged, one_at_a_time))
    }

    /// Puts the values of `staged` (a configuration made by [`stage_reload`](Config::stage_reload))
    /// in force here, and tells every watcher.
    pub(super) fn commit_values_of(&self, staged: &Config) {
        let values = staged.inner.values.load_full();
        values.log_warnings();
        self.inner.values.store(values);
        self.inner.generation.fetch_add(1, Ordering::Release);
        self.inner.changed.notify(usize::MAX);
        log::info!("configuration reloaded");
    }

    /// The prefix of the environment variables this configuration reads: [`ENV_PREFIX`] unless
    /// [`ConfigBuilder::env_prefix`] set another.
    pub fn env_prefix(&self) -> &str {
        self.inner.sources.env_prefix()
    }

    /// The config file, if there is one.
    pub fn file(&self) -> Option<&Path> {
        self.inner.sources.file.as_deref()
    }

    /// `path` made absolute against the config file's folder (relative paths in a config file
    /// mean "next to the file"); unchanged without a file or when already absolute.
    pub fn resolve_path(&self, path: impl AsRef<Path>) -> PathBuf {
        let path = path.as_ref();
        match self.file().and_then(Path::parent) {
            Some(folder) if path.is_relative() => folder.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// The special `service` key: what to run.
    pub fn service(&self) -> Option<String> {
        self.value("service").and_then(|v| v.into_string())
    }

    /// The raw value at dotted `key`, from any layer (defaults included).
    pub fn value(&self, key: &str) -> Option<Value> {
        self.inner.values.load().figment.find_value(key).ok()
    }

    /// A view of the values under dotted `prefix` (`""` for all).
    pub fn group(&self, prefix: &str) -> Group {
        Group::new(self.inner.values.load_full(), prefix)
    }

    /// The warnings of the last (re)load: unknown keys, with suggestions.
    pub fn warnings(&self) -> Vec<String> {
        self.inner.values.load().warnings.clone()
    }

    /// The help block: `config settings:` then one aligned line per setting with its help and
    /// current value.
    pub fn help(&self) -> String {
        super::help::render(self)
    }

    /// Which configuration and which of its generations: a value read under one stamp stays
    /// right until a reload changes the stamp.
    pub(crate) fn stamp(&self) -> (u64, u64) {
        (self.inner.id, self.inner.generation.load(Ordering::Acquire))
    }

    pub(crate) fn slot(&self, declared: &Declared) -> Option<Arc<dyn Any + Send + Sync>> {
        let index = match declared.index.get() {
            Some(index) => *index,
            None => {
                super::setting::declared();
                *declared.index.get()?
            }
        };
        self.inner.values.load().slots.get(index)?.as_ref().map(|slot| slot.value.clone())
    }

    /// The version of a setting's value: goes up when a reload changes it.
    pub(crate) fn version(&self, declared: &Declared) -> u64 {
        let Some(index) = declared.index.get() else { return 0 };
        self.inner.values.load().slots.get(*index).and_then(Option::as_ref).map_or(0, |s| s.version)
    }

    pub(crate) fn changed_event(&self) -> &Event {
        &self.inner.changed
    }

    /// The current value of `setting` as configuration syntax, as its type understood it
    /// (`"077"` for `--set umask=0o077`): what help output shows. `None` for a setting declared
    /// after this configuration was loaded. A [secret](Declared::is_secret) setting's value too:
    /// whatever shows it to people masks it, as help output does.
    pub fn shown(&self, setting: &Declared) -> Option<Value> {
        let declared = setting;
        let index = declared.index.get()?;
        self.inner.values.load().slots.get(*index)?.as_ref().map(|s| s.shown.clone())
    }
}

impl Config {
    /// Where the current value of `setting` came from: one [`Origin`], under the setting's
    /// name, when one layer gave all of it; one for each key of a table whose keys came from
    /// different layers, under the key's dotted name. Empty for a setting declared after this
    /// configuration was loaded.
    ///
    /// ```
    /// use ginkgo::{setting, Config};
    /// use ginkgo::config::Origin;
    ///
    /// setting!(pub static PORT: u16 { name: "origins.port", default: 80, help: "Port" });
    /// setting!(pub static HOST: String { name: "origins.host", default: "::".into(), help: "Host" });
    /// setting!(pub static LEVEL: String { name: "origins.level", default: "info".into(), help: "Level" });
    /// setting!(pub static NAME: String { name: "origins.name", default: "app".into(), help: "Name" });
    ///
    /// let dir = tempfile::tempdir()?;
    /// let file = dir.path().join("app.toml");
    /// std::fs::write(&file, "[origins]\nhost = \"127.0.0.1\"\n\nport = 8080\n")?;
    /// # // SAFETY: doctests are processes of their own; no other thread reads the environment.
    /// # unsafe { std::env::set_var("MYAPP_ORIGINS__LEVEL", "debug") };
    /// let config = Config::builder().env_prefix("MYAPP_").file(&file).set("origins.host", "::1").load()?;
    ///
    /// let in_file = Origin::File { path: file.clone(), line: Some(4) };
    /// assert_eq!(config.origins(PORT.declared()), [("origins.port".to_string(), in_file)]);
    /// assert_eq!(config.origins(HOST.declared()), [("origins.host".to_string(), Origin::Set)]);
    /// let variable = Origin::Environment { variable: "MYAPP_ORIGINS__LEVEL".into() };
    /// assert_eq!(config.origins(LEVEL.declared()), [("origins.level".to_string(), variable)]);
    /// assert_eq!(config.origins(NAME.declared())[0].1.to_string(), "default");
    /// assert_eq!(config.origins(PORT.declared())[0].1.to_string(), format!("{}:4", file.display()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn origins(&self, setting: &Declared) -> Vec<(String, Origin)> {
        let Some(index) = setting.index.get() else { return Vec::new() };
        let values = self.inner.values.load();
        let Some(slot) = values.slots.get(*index).and_then(Option::as_ref) else { return Vec::new() };
        values.layers().origins(setting.name, &slot.raw)
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config").field("file", &self.file()).finish()
    }
}

static CURRENT: OnceLock<Config> = OnceLock::new();

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Sources {
    fn env_prefix(&self) -> &str {
        self.env_prefix.as_deref().unwrap_or(ENV_PREFIX)
    }
}

/// Every declared default, as one provider.
struct Defaults;

impl Provider for Defaults {
    fn metadata(&self) -> Metadata {
        Metadata::named("defaults")
    }

    fn data(&self) -> Result<figment::value::Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for declared in declared() {
            insert_dotted(&mut dict, declared.name, declared.default_value());
        }
        Ok(Profile::Default.collect(dict))
    }
}

impl Values {
    fn empty() -> Values {
        Values {
            figment: Figment::new(),
            merged: Dict::new(),
            slots: Vec::new(),
            warnings: Vec::new(),
            file: None,
            env_prefix: ENV_PREFIX.to_string(),
        }
    }

    fn layers(&self) -> Layers<'_> {
        Layers { figment: &self.figment, file: self.file.as_ref(), env_prefix: &self.env_prefix }
    }

    fn build(sources: &Sources, previous: Option<&Values>) -> Result<Values, ConfigError> {
        let file = sources.file.as_deref().map(ConfigFile::read).transpose()?;
        let mut figment = Figment::from(Defaults);
        let mut warnings = Vec::new();
        if let Some(file) = &file {
            warnings.extend(unknown_keys(&leaf_paths(&file.values), &file.path.display().to_string()));
            figment = figment.merge(file.clone());
        }
        if sources.env {
            let env = Texts::from_environment(sources.env_prefix())?;
            warnings.extend(unknown_keys(&leaf_paths(env.values()), "environment"));
            figment = figment.merge(env);
        }
        if !sources.overrides.is_empty() {
            let overrides = Texts::from_pairs(&sources.overrides)?;
            warnings.extend(unknown_keys(&leaf_paths(overrides.values()), "--set"));
            figment = figment.merge(overrides);
        }

        // Merge the layers once; each setting then reads its own part.
        let root = figment.find_value("").map_err(|err| ConfigError::new(err.to_string()))?;
        let layers = Layers { figment: &figment, file: file.as_ref(), env_prefix: sources.env_prefix() };
        let mut slots = Vec::new();
        for declared in declared() {
            let raw = root.find_ref(declared.name).cloned().unwrap_or_else(|| declared.default_value());
            let (value, shown) = (declared.extract)(&raw).map_err(|mut err| {
                // The path within the setting (a key of a table setting) goes after its name.
                let within = std::mem::take(&mut err.path);
                err.path = declared.name.split('.').map(String::from).chain(within).collect();
                let origin = figment.get_metadata(err.tag.unwrap_or_else(|| raw.tag()));
                describe(&err, origin, declared, &layers)
            })?;
            let version = match previous.and_then(|p| p.slots.get(slots.len())).and_then(Option::as_ref) {
                Some(old) if old.raw == raw => old.version,
                Some(old) => old.version + 1,
                None => 0,
            };
            slots.push(Some(Slot { value, raw, shown, version }));
        }
        let merged = root.into_dict().unwrap_or_default();
        let env_prefix = sources.env_prefix().to_string();
        Ok(Values { figment, merged, slots, warnings, file, env_prefix })
    }

    fn log_warnings(&self) {
        for warning in &self.warnings {
            log::warn!("{warning}");
        }
    }
}

/// Warnings for keys that are no declared setting, with a suggestion when one is close.
fn unknown_keys(keys: &[String], source: &str) -> Vec<String> {
    let names: Vec<&str> = declared().iter().map(|d| d.name).collect();
    let known = |key: &str| {
        SPECIAL_KEYS.contains(&key)
            || names.iter().any(|name| {
                key == *name
                    || key.strip_prefix(name).is_some_and(|rest| rest.starts_with('.'))
                    || name.strip_prefix(key).is_some_and(|rest| rest.starts_with('.'))
            })
    };
    let unknown: Vec<&String> = keys.iter().filter(|key| !known(key)).collect();
    let mut warnings: Vec<String> = unknown
        .iter()
        .take(MAX_UNKNOWN_KEYS)
        .map(|key| match suggest::closest(key, names.iter().copied()) {
            Some(near) => format!("{source}: unknown setting `{key}`; did you mean `{near}`?"),
            None => format!("{source}: unknown setting `{key}`"),
        })
        .collect();
    if unknown.len() > MAX_UNKNOWN_KEYS {
        warnings.push(format!("{source}: {} more unknown settings", unknown.len() - MAX_UNKNOWN_KEYS));
    }
    warnings
}

/// One line naming where the bad value came from, the setting, the expected type and the value.
fn describe(err: &ReadError, origin: Option<&Metadata>, declared: &Declared, layers: &Layers<'_>) -> ConfigError {
    let place = match origin {
        Some(meta) => match layers.origin_of(Some(meta), &err.path) {
            Origin::Default => meta.name.to_string(),
            known => known.to_string(),
        },
        None => String::new(),
    };
    let full = err.path.join(".");
    let what = match &err.kind {
        Kind::InvalidType(actual, expected) if full != declared.name => {
            format!("setting `{}`: `{full}` expects {expected}, found {actual}", declared.name)
        }
        Kind::InvalidType(actual, _) => {
            format!("setting `{}` expects {}, found {actual}", declared.name, declared.type_name())
        }
        Kind::InvalidValue(actual, expected) if full != declared.name => {
            format!("setting `{}`: `{full}` expects {expected}, found {actual}", declared.name)
        }
        Kind::InvalidValue(actual, expected) => {
            format!("setting `{}` expects {expected}, found {actual}", declared.name)
        }
        Kind::UnknownField(key, known) => {
            let hint = match suggest::closest(key, known.iter().copied()) {
                Some(near) => format!("; did you mean `{near}`?"),
                None => format!(" (known keys: {})", known.join(", ")),
            };
            format!("setting `{}`: unknown key `{key}`{hint}", declared.name)
        }
        Kind::UnknownVariant(found, known) => {
            format!("setting `{}` expects one of {}, found `{found}`", declared.name, known.join(", "))
        }
        other => format!("setting `{}`: {other}", declared.name),
    };
    let line = if place.is_empty() { what } else { format!("{place}: {what}") };
    ConfigError::new(line)
}
