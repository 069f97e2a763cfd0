//! `Timeout`: a length of time a setting gives in seconds.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A timeout, written in seconds in config files and `--set` (`75`, `0.5`): more than zero and
/// at most a year, so that every deadline computed from it can be represented.
///
/// ```
/// use std::time::Duration;
/// use ginkgo::net::Timeout;
///
/// let timeout = Timeout::new(Duration::from_millis(1500));
/// assert_eq!(timeout.get(), Duration::from_millis(1500));
/// assert_eq!(serde_json::to_string(&timeout).unwrap(), "1.5");
/// assert!(serde_json::from_str::<Timeout>("0").is_err());
/// // Out of range, a duration is brought within it.
/// assert_eq!(Timeout::new(Duration::ZERO).get(), Duration::from_millis(1));
/// assert_eq!(Timeout::new(Duration::MAX).get(), Timeout::MAX);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timeout(Duration);

impl Timeout {
    /// The shortest timeout: one millisecond.
    pub const MIN: Duration = Duration::from_millis(1);
    /// The longest timeout: 365 days.
    pub const MAX: Duration = Duration::from_secs(365 * 24 * 3600);

    /// `duration`, brought within [`MIN`](Timeout::MIN) and [`MAX`](Timeout::MAX).
    pub const fn new(duration: Duration) -> Self {
        if duration.as_nanos() < Self::MIN.as_nanos() {
            Timeout(Self::MIN)
        } else if duration.as_nanos() > Self::MAX.as_nanos() {
            Timeout(Self::MAX)
        } else {
            Timeout(duration)
        }
    }

    /// A timeout of `seconds` seconds.
    pub const fn from_secs(seconds: u64) -> Self {
        Self::new(Duration::from_secs(seconds))
    }

    /// The duration.
    pub const fn get(self) -> Duration {
        self.0
    }
}

impl From<Timeout> for Duration {
    fn from(timeout: Timeout) -> Duration {
        timeout.0
    }
}

impl Serialize for Timeout {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0.as_secs_f64())
    }
}

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TimeoutVisitor)
    }
}

struct TimeoutVisitor;

const EXPECTED: &str = "a number of seconds above 0 and at most 31536000 (a year)";

impl Visitor<'_> for TimeoutVisitor {
    type Value = Timeout;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_f64<E: de::Error>(self, seconds: f64) -> Result<Timeout, E> {
        let out_of_range = || E::invalid_value(Unexpected::Float(seconds), &EXPECTED);
        let duration = Duration::try_from_secs_f64(seconds).map_err(|_| out_of_range())?;
        if duration < Timeout::MIN || duration > Timeout::MAX {
            return Err(out_of_range());
        }
        Ok(Timeout(duration))
    }

    fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<Timeout, E> {
        match Duration::from_secs(seconds) {
            duration if duration >= Timeout::MIN && duration <= Timeout::MAX => Ok(Timeout(duration)),
            _ => Err(E::invalid_value(Unexpected::Unsigned(seconds), &EXPECTED)),
        }
    }

    fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<Timeout, E> {
        match u64::try_from(seconds) {
            Ok(seconds) => self.visit_u64(seconds),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(seconds), &EXPECTED)),
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Timeout, E> {
        match text.trim().parse::<f64>() {
            Ok(seconds) if text.trim().bytes().all(|b| b.is_ascii_digit() || b == b'.') => self.visit_f64(seconds),
            _ => Err(E::invalid_value(Unexpected::Str(text), &EXPECTED)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Duration, String> {
        serde_json::from_str::<Timeout>(json).map(Timeout::get).map_err(|err| err.to_string())
    }

    #[test]
    fn seconds_above_zero_up_to_a_year() {
        assert_eq!(parse("75"), Ok(Duration::from_secs(75)));
        assert_eq!(parse("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("\"10\""), Ok(Duration::from_secs(10)));
        assert_eq!(parse("31536000"), Ok(Timeout::MAX));
        for bad in ["0", "-1", "0.0", "1e20", "31536001", "\"inf\"", "\"NaN\"", "\"ten\"", "\"-5\"", "true"] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(EXPECTED), "{bad}: {err}");
        }
    }

    #[test]
    fn it_reads_back_what_it_writes() {
        for timeout in [Timeout::from_secs(75), Timeout::new(Duration::from_millis(1)), Timeout::new(Timeout::MAX)] {
            let text = serde_json::to_string(&timeout).unwrap();
            assert_eq!(serde_json::from_str::<Timeout>(&text).unwrap(), timeout);
        }
    }
}
