//! The runner's own settings, listed by `ginkgo -h TARGET` with the service's.

use std::net::SocketAddr;
use std::path::PathBuf;

use ginkgo::setting;
use serde::{Deserialize, Serialize};

setting!(pub static DAEMON: bool {
    name: "daemon",
    default: false,
    help: "True or false: whether to run as a daemon (also -d)",
    restart: true,
});

setting!(pub static PIDFILE: Option<PathBuf> {
    name: "pidfile",
    default: None,
    help: "Path to the pidfile (by default `~/.<service>.pid`), written in the foreground too",
    restart: true,
});

setting!(pub static CONTROL_SOCKET: Option<PathBuf> {
    name: "control_socket",
    default: None,
    help: "Path to the control socket the control command talks to (by default beside the pidfile,\n.pid replaced by .sock)",
    restart: true,
});

setting!(pub static HEALTH_ADDRESS: Option<SocketAddr> {
    name: "health_address",
    default: None,
    help: "Where the HTTP health endpoint listens (/livez, /readyz, /metrics): an address and port,\n127.0.0.1:8081 or [::]:8081; off when unset",
    restart: true,
});

setting!(pub static LOGFILE: Option<PathBuf> {
    name: "logfile",
    default: None,
    help: "Path to the log file; when daemonized it defaults to `~/.<service>.log`,\nin the foreground the log goes to stderr",
    restart: true,
});

setting!(pub static LOGLEVEL: String {
    name: "loglevel",
    default: "info".to_string(),
    help: "Log level: trace, debug, info, warn (or warning), error (or critical) or off",
});

setting!(pub static LOGFORMAT: LogFormat {
    name: "logformat",
    default: LogFormat::Text,
    help: "How log lines are written: text (logconfig.format's template) or json (one object a line)",
});

setting!(pub static LOGCONFIG: Option<LogConfig> {
    name: "logconfig",
    default: None,
    help: "Logging in detail: a table with levels (per module), format and outputs",
});

setting!(pub static RUNDIR: Option<PathBuf> {
    name: "rundir",
    default: None,
    help: "Change to this directory before running",
    restart: true,
});

setting!(pub static UMASK: Umask {
    name: "umask",
    default: Umask(0o022),
    help: "File mode creation mask, in octal (\"027\" or 0o027)",
    restart: true,
});

setting!(pub static USER: Option<String> {
    name: "user",
    default: None,
    help: "Run as this user once the service is ready (name or uid)",
    restart: true,
});

setting!(pub static GROUP: Option<String> {
    name: "group",
    default: None,
    help: "Run as this group once the service is ready (name or gid)",
    restart: true,
});

/// The longest wait, in seconds, that `stop_timeout` and `ginkgoctl --timeout` accept: a day.
pub(crate) const MAX_WAIT_SECONDS: f64 = 86_400.0;

setting!(pub static STOP_TIMEOUT: f64 {
    name: "stop_timeout",
    default: 10.0,
    help: "Seconds the whole tree gets to stop before the process exits anyway",
    range: 0.001..=MAX_WAIT_SECONDS,
});

/// How log lines are written: the `logformat` setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One line of text a record, after `logconfig.format`'s template (the default).
    #[default]
    Text,
    /// One JSON object a line: `timestamp`, `level`, `target`, `message`, `fields`, `spans` (when
    /// the record happened in any) and `service` (its path, where known).
    Json,
}

/// The `logconfig` table: per-module levels, a format, and where the lines go.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// The level for everything not named in `levels`; the `loglevel` setting when absent.
    #[serde(default)]
    pub level: Option<String>,
    /// Levels by target prefix, as `RUST_LOG` gives them: `{ "ginkgo_core" = "warn" }`.
    #[serde(default)]
    pub levels: std::collections::BTreeMap<String, String>,
    /// The line format: `{time}`, `{level}`, `{module}`, `{target}` and `{message}` are replaced.
    #[serde(default)]
    pub format: Option<String>,
    /// Where lines go: `"stderr"`, `"stdout"`, or file paths. The `logfile` setting (or stderr)
    /// when absent.
    #[serde(default)]
    pub outputs: Vec<String>,
}

/// A file mode creation mask, always written in octal digits, from every source: `"027"`,
/// `027` (in the environment or `--set`), `0o027` or `27` all mean the mask 0o027.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Umask(pub u32);

impl Umask {
    /// The mask whose octal digits are `text` (`027`, `0o027`, `27`).
    fn from_octal(text: &str) -> Option<Umask> {
        let digits = text.trim();
        let digits = digits.strip_prefix("0o").unwrap_or(digits);
        let valid = !digits.is_empty() && digits.bytes().all(|b| (b'0'..=b'7').contains(&b));
        match u32::from_str_radix(digits, 8) {
            Ok(mask) if valid && mask <= 0o777 => Some(Umask(mask)),
            _ => None,
        }
    }
}

impl Serialize for Umask {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{:03o}", self.0))
    }
}

impl<'de> Deserialize<'de> for Umask {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Octal;

        impl serde::de::Visitor<'_> for Octal {
            type Value = Umask;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an octal mask from 000 to 777")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Umask, E> {
                Umask::from_octal(text).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(text), &self))
            }

            /// A number's decimal digits are the octal digits: `umask = 27` is 0o027 (TOML's
            /// `0o027` reaches here as text and means the same).
            fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Umask, E> {
                Umask::from_octal(&number.to_string())
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Unsigned(number), &self))
            }

            fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<Umask, E> {
                match u64::try_from(number) {
                    Ok(number) => self.visit_u64(number),
                    Err(_) => Err(E::invalid_value(serde::de::Unexpected::Signed(number), &self)),
                }
            }

            fn visit_f64<E: serde::de::Error>(self, number: f64) -> Result<Umask, E> {
                Err(E::invalid_value(serde::de::Unexpected::Float(number), &self))
            }
        }

        deserializer.deserialize_any(Octal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_umask_is_octal_digits_however_it_is_written() {
        for written in ["077", "0o077", "77", " 077 "] {
            assert_eq!(Umask::from_octal(written), Some(Umask(0o077)), "{written}");
        }
        for bad in ["", "0o", "8", "1000", "-1", "0x1f", "7 7", "+7"] {
            assert_eq!(Umask::from_octal(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_loglevel_help_names_every_level_the_parser_accepts() {
        let help = LOGLEVEL.help();
        let named: Vec<&str> = help.split(|c: char| !c.is_ascii_alphabetic()).collect();
        let candidates = ["trace", "debug", "info", "warn", "warning", "error", "critical", "fatal", "off", "none"];
        for level in candidates.into_iter().filter(|level| crate::plan::parse_level(level).is_ok()) {
            assert!(named.contains(&level), "`{level}` is accepted but not named in {help:?}");
        }
    }

    /// A setting's help is also its rustdoc, where `<service>` outside a code span is an HTML
    /// tag, and vanishes.
    #[test]
    fn placeholders_in_help_texts_are_in_code_spans() {
        for setting in ginkgo::config::all_settings() {
            for (span, text) in setting.help().split('`').enumerate() {
                let in_code = span % 2 == 1;
                assert!(in_code || !text.contains('<'), "setting `{}`: {:?}", setting.name(), setting.help());
            }
        }
    }
}
