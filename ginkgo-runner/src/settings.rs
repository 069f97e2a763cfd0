//! The runner's own settings, listed by `ginkgo -h TARGET` with the service's.

use std::path::PathBuf;

use ginkgo::setting;
use serde::{Deserialize, Serialize};

setting!(pub static DAEMON: bool {
    name: "daemon",
    default: false,
    help: "True or false: whether to run as a daemon (also -d; GINKGO_DAEMON=true)",
});

setting!(pub static PIDFILE: Option<PathBuf> {
    name: "pidfile",
    default: None,
    help: "Path to the pidfile (by default ~/.<service>.pid), written in the foreground too",
});

setting!(pub static CONTROL_SOCKET: Option<PathBuf> {
    name: "control_socket",
    default: None,
    help: "Path to the control socket ginkgoctl talks to (by default beside the pidfile, .pid\nreplaced by .sock)",
});

setting!(pub static LOGFILE: Option<PathBuf> {
    name: "logfile",
    default: None,
    help: "Path to the log file; when daemonized it defaults to ~/.<service>.log,\nin the foreground the log goes to stderr",
});

setting!(pub static LOGLEVEL: String {
    name: "loglevel",
    default: "info".to_string(),
    help: "Log level: debug, info, warn or error",
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
});

setting!(pub static UMASK: Umask {
    name: "umask",
    default: Umask(0o022),
    help: "File mode creation mask, in octal (\"027\" or 0o027)",
});

setting!(pub static USER: Option<String> {
    name: "user",
    default: None,
    help: "Run as this user once the service is ready (name or uid)",
});

setting!(pub static GROUP: Option<String> {
    name: "group",
    default: None,
    help: "Run as this group once the service is ready (name or gid)",
});

setting!(pub static STOP_TIMEOUT: f64 {
    name: "stop_timeout",
    default: 10.0,
    help: "Seconds the whole tree gets to stop before the process exits anyway",
});

/// The `logconfig` table: per-module levels, a format, and where the lines go.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// The level for everything not named in `levels`; the `loglevel` setting when absent.
    #[serde(default)]
    pub level: Option<String>,
    /// Levels per module target prefix, e.g. `{ "ginkgo_core" = "warn" }`.
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

/// A file mode creation mask. Written as an octal string (`"027"`) or a TOML octal number
/// (`0o027`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Umask(pub u32);

impl Serialize for Umask {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{:03o}", self.0))
    }
}

impl<'de> Deserialize<'de> for Umask {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u32),
            Text(String),
        }
        let mask = match Raw::deserialize(deserializer)? {
            Raw::Number(n) => n,
            Raw::Text(text) => {
                let digits = text.trim().trim_start_matches("0o");
                u32::from_str_radix(digits, 8)
                    .map_err(|_| serde::de::Error::custom(format!("`{text}` is not an octal mask")))?
            }
        };
        if mask > 0o777 {
            return Err(serde::de::Error::custom(format!("umask {mask:o} is larger than 777")));
        }
        Ok(Umask(mask))
    }
}
