//! `MaxConnections`: how many connections one server holds open at once, and the default
//! worked out from the process's limit on open files.

use std::fmt;
use std::num::NonZeroUsize;

use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The most connections a server holds open at once: a number, or `auto` (the default), which
/// leaves a reserve of the process's file descriptors for everything else it opens.
///
/// At its cap a server stops accepting; new clients wait in the listen backlog until a
/// connection closes. In a config file it is a number of at least 1 or the string `"auto"`.
///
/// `auto` is the soft limit on open files (`RLIMIT_NOFILE`, read when the server starts) less
/// a quarter of it, keeping at most 1,024 in reserve: 768 connections under the common limit of
/// 1,024, 18,976 under 20,000. The reserve is for what the process opens besides this server's
/// connections: log files, its clients' connections, other servers, the listener's own
/// `accept`. A limit the system does not report counts as 1,024.
///
/// ```
/// use std::num::NonZeroUsize;
/// use ginkgo::net::MaxConnections;
///
/// assert_eq!(MaxConnections::for_open_files(1024), 768);
/// assert_eq!(MaxConnections::for_open_files(20_000), 18_976);
/// assert_eq!(MaxConnections::for_open_files(3), 3);
/// let fixed = MaxConnections::At(NonZeroUsize::new(100).unwrap());
/// assert_eq!(fixed.resolve(), 100);
/// assert_eq!(fixed.to_string(), "100");
/// assert_eq!(MaxConnections::Auto.to_string(), "auto");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MaxConnections {
    /// Derived from the limit on open files when the server starts.
    #[default]
    Auto,
    /// This many.
    At(NonZeroUsize),
}

/// The largest reserve of descriptors `auto` keeps for the rest of the process.
const MAX_RESERVE: u64 = 1024;

/// The limit on open files assumed where the system does not tell.
const UNKNOWN_LIMIT: u64 = 1024;

impl MaxConnections {
    /// The cap: the number given, or the `auto` cap for the process's current limit on open
    /// files.
    pub fn resolve(self) -> usize {
        match self {
            MaxConnections::At(cap) => cap.get(),
            MaxConnections::Auto => Self::for_open_files(open_files_limit().unwrap_or(UNKNOWN_LIMIT)),
        }
    }

    /// The `auto` cap under a limit of `limit` open files: the limit less a quarter of it, the
    /// quarter at most 1,024; at least 1.
    pub fn for_open_files(limit: u64) -> usize {
        let cap = limit - (limit / 4).min(MAX_RESERVE);
        usize::try_from(cap).unwrap_or(usize::MAX).max(1)
    }
}

/// The soft limit on this process's open files.
#[cfg(unix)]
fn open_files_limit() -> Option<u64> {
    use nix::sys::resource::{Resource, getrlimit};
    getrlimit(Resource::RLIMIT_NOFILE).ok().map(|(soft, _hard)| soft)
}

#[cfg(not(unix))]
fn open_files_limit() -> Option<u64> {
    None
}

impl fmt::Display for MaxConnections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaxConnections::Auto => f.write_str("auto"),
            MaxConnections::At(cap) => write!(f, "{cap}"),
        }
    }
}

impl Serialize for MaxConnections {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            MaxConnections::Auto => serializer.serialize_str("auto"),
            MaxConnections::At(cap) => serializer.serialize_u64(u64::try_from(cap.get()).unwrap_or(u64::MAX)),
        }
    }
}

impl<'de> Deserialize<'de> for MaxConnections {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MaxConnectionsVisitor)
    }
}

struct MaxConnectionsVisitor;

const EXPECTED: &str = "a number of connections of at least 1, or \"auto\"";

impl Visitor<'_> for MaxConnectionsVisitor {
    type Value = MaxConnections;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<MaxConnections, E> {
        usize::try_from(value)
            .ok()
            .and_then(NonZeroUsize::new)
            .map(MaxConnections::At)
            .ok_or_else(|| E::invalid_value(Unexpected::Unsigned(value), &EXPECTED))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<MaxConnections, E> {
        match u64::try_from(value) {
            Ok(value) => self.visit_u64(value),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(value), &EXPECTED)),
        }
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<MaxConnections, E> {
        Err(E::invalid_value(Unexpected::Float(value), &EXPECTED))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<MaxConnections, E> {
        match value.trim() {
            "auto" => Ok(MaxConnections::Auto),
            number => match number.parse::<u64>() {
                Ok(number) => self.visit_u64(number),
                Err(_) => Err(E::invalid_value(Unexpected::Str(value), &EXPECTED)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<MaxConnections, String> {
        serde_json::from_str(json).map_err(|err| err.to_string())
    }

    #[test]
    fn auto_keeps_a_quarter_in_reserve_at_most_1024() {
        assert_eq!(MaxConnections::for_open_files(0), 1);
        assert_eq!(MaxConnections::for_open_files(1), 1);
        assert_eq!(MaxConnections::for_open_files(64), 48);
        assert_eq!(MaxConnections::for_open_files(4096), 3072);
        assert_eq!(MaxConnections::for_open_files(4097), 3073);
        assert_eq!(MaxConnections::for_open_files(1 << 20), (1 << 20) - 1024);
        assert_eq!(MaxConnections::for_open_files(u64::MAX), usize::try_from(u64::MAX - 1024).unwrap());
        assert!(MaxConnections::Auto.resolve() >= 1);
    }

    #[test]
    fn a_number_or_auto_and_nothing_else() {
        assert_eq!(parse("\"auto\""), Ok(MaxConnections::Auto));
        assert_eq!(parse("12"), Ok(MaxConnections::At(NonZeroUsize::new(12).unwrap())));
        assert_eq!(parse("\"12\""), Ok(MaxConnections::At(NonZeroUsize::new(12).unwrap())));
        for bad in ["0", "-3", "1.5", "\"lots\"", "true"] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(EXPECTED), "{bad}: {err}");
        }
    }

    #[test]
    fn it_reads_back_what_it_writes() {
        for value in [MaxConnections::Auto, MaxConnections::At(NonZeroUsize::new(7).unwrap())] {
            let text = serde_json::to_string(&value).unwrap();
            assert_eq!(parse(&text), Ok(value));
        }
    }
}
