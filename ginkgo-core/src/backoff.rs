//! `Backoff`: how long to wait before trying again, growing after each failure.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The delays between attempts at something that keeps failing, such as a client connecting to
/// a server that is down.
///
/// The first retry waits `initial_delay`; each failure multiplies the wait by `factor`, up to
/// `max_delay`. `jitter` spreads every delay by up to that fraction either way, so that many
/// clients cut off at the same moment do not all come back at the same moment.
///
/// The computation takes the random number from the caller ([`delay`](Backoff::delay)), so it
/// is the same on every runtime and can be tested without chance. Out-of-range values never
/// panic: a `factor` below 1 (or not a number) counts as 1, `jitter` is clamped to `0..=1`, and a
/// `max_delay` below `initial_delay` wins.
///
/// It can be a setting: in a config file it is a table whose delays are in seconds, and any
/// field left out keeps its default (`[client.backoff]`, `initial_delay = 0.5`, `jitter = 0`).
///
/// ```
/// use std::time::Duration;
/// use ginkgo::Backoff;
///
/// let backoff = Backoff {
///     initial_delay: Duration::from_millis(100),
///     max_delay: Duration::from_secs(1),
///     factor: 2.0,
///     jitter: 0.0,
/// };
/// let delays: Vec<u128> = (0..6).map(|retry| backoff.base_delay(retry).as_millis()).collect();
/// assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
///
/// // With jitter, `random` (a number in 0..1) picks the delay within the spread.
/// let jittery = Backoff { jitter: 0.5, ..backoff };
/// assert_eq!(jittery.delay(1, 0.0), Duration::from_millis(100));
/// assert_eq!(jittery.delay(1, 0.5), Duration::from_millis(200));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Backoff {
    /// The wait before the first retry. Default 100 ms.
    #[serde(with = "as_seconds")]
    pub initial_delay: Duration,
    /// The longest wait, jitter included. Default 30 s.
    #[serde(with = "as_seconds")]
    pub max_delay: Duration,
    /// How much longer each wait is than the one before. Default 2.
    pub factor: f64,
    /// The fraction (0 to 1) by which each wait may be shorter or longer, at random. Default 0.2.
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(30),
            factor: 2.0,
            jitter: 0.2,
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (0 for the first), without jitter:
    /// `initial_delay × factor^retry`, at most `max_delay`.
    pub fn base_delay(&self, retry: u32) -> Duration {
        let max = self.max_delay.as_secs_f64();
        let factor = if self.factor.is_nan() { 1.0 } else { self.factor.max(1.0) };
        let exponent = i32::try_from(retry).unwrap_or(i32::MAX);
        let grown = self.initial_delay.as_secs_f64() * factor.powi(exponent);
        // Past `max` (or overflowed to infinity) the cap applies.
        seconds(if grown.is_finite() { grown.min(max) } else { max })
    }

    /// The wait before retry number `retry`, with jitter: `random`, a number from 0 to 1 (the
    /// caller's random source, e.g. `fastrand::f64()`), places it between
    /// `base × (1 − jitter)` and `base × (1 + jitter)`; never more than `max_delay`.
    pub fn delay(&self, retry: u32, random: f64) -> Duration {
        let base = self.base_delay(retry).as_secs_f64();
        let jitter = if self.jitter.is_nan() { 0.0 } else { self.jitter.clamp(0.0, 1.0) };
        let random = if random.is_nan() { 0.5 } else { random.clamp(0.0, 1.0) };
        let spread = base * (1.0 - jitter + 2.0 * jitter * random);
        seconds(spread.min(self.max_delay.as_secs_f64()))
    }
}

/// A duration from a finite, non-negative number of seconds (zero otherwise), rounded to the
/// microsecond so that results compare exactly.
fn seconds(secs: f64) -> Duration {
    let micros = (secs * 1e6).round();
    if micros.is_finite() && micros > 0.0 {
        // `as` saturates at u64::MAX for huge values.
        Duration::from_micros(micros as u64)
    } else {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn plain(initial: u64, max: u64, factor: f64) -> Backoff {
        Backoff { initial_delay: ms(initial), max_delay: ms(max), factor, jitter: 0.0 }
    }

    #[test]
    fn the_defaults_start_at_100ms_and_double_up_to_30s() {
        let backoff = Backoff::default();
        assert_eq!(backoff.base_delay(0), ms(100));
        assert_eq!(backoff.base_delay(1), ms(200));
        assert_eq!(backoff.base_delay(8), ms(25_600));
        assert_eq!(backoff.base_delay(9), ms(30_000));
        assert_eq!(backoff.base_delay(u32::MAX), ms(30_000));
    }

    #[test]
    fn delays_grow_by_the_factor_and_stop_at_the_cap() {
        let backoff = plain(10, 100, 3.0);
        let delays: Vec<Duration> = (0..5).map(|r| backoff.base_delay(r)).collect();
        assert_eq!(delays, [ms(10), ms(30), ms(90), ms(100), ms(100)]);
    }

    #[test]
    fn jitter_spreads_the_delay_both_ways_within_the_cap() {
        let backoff = Backoff { jitter: 0.25, ..plain(100, 1000, 2.0) };
        assert_eq!(backoff.delay(0, 0.0), ms(75));
        assert_eq!(backoff.delay(0, 0.5), ms(100));
        assert_eq!(backoff.delay(0, 1.0), ms(125));
        // At the cap, jitter can only shorten the wait.
        assert_eq!(backoff.delay(10, 1.0), ms(1000));
        assert_eq!(backoff.delay(10, 0.0), ms(750));
        for i in 0..=100 {
            let d = backoff.delay(2, f64::from(i) / 100.0);
            assert!(d >= ms(300) && d <= ms(500), "{d:?}");
        }
    }

    #[test]
    fn without_jitter_the_random_number_does_not_matter() {
        let backoff = plain(100, 1000, 2.0);
        assert_eq!(backoff.delay(1, 0.0), backoff.delay(1, 0.99));
        assert_eq!(backoff.delay(1, 0.3), ms(200));
    }

    #[test]
    fn bad_values_are_tamed_not_panicked_on() {
        // A factor below one, or not a number, keeps the delay constant.
        assert_eq!(plain(50, 1000, 0.5).base_delay(3), ms(50));
        assert_eq!(plain(50, 1000, f64::NAN).base_delay(3), ms(50));
        assert_eq!(plain(50, 1000, f64::INFINITY).base_delay(3), ms(1000));
        // The cap wins over the initial delay.
        assert_eq!(plain(500, 100, 2.0).base_delay(0), ms(100));
        assert_eq!(plain(0, 0, 2.0).delay(7, 0.9), Duration::ZERO);
        // Jitter and random are clamped.
        let wild = Backoff { jitter: 7.0, ..plain(100, 10_000, 2.0) };
        assert_eq!(wild.delay(0, -3.0), Duration::ZERO);
        assert_eq!(wild.delay(0, 3.0), ms(200));
        let negative = Backoff { jitter: -1.0, ..plain(100, 10_000, 2.0) };
        assert_eq!(negative.delay(0, 0.0), ms(100));
        let nan = Backoff { jitter: f64::NAN, ..plain(100, 10_000, 2.0) };
        assert_eq!(nan.delay(0, f64::NAN), ms(100));
        // Huge durations do not overflow.
        let huge = plain(u64::MAX, u64::MAX, 2.0);
        assert!(huge.delay(u32::MAX, 1.0) > Duration::from_secs(1 << 40));
    }
}

/// A duration written as a number of seconds (`0.1`, `30`).
pub(crate) mod as_seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(duration.as_secs_f64())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let seconds = f64::deserialize(deserializer)?;
        Duration::try_from_secs_f64(seconds)
            .map_err(|_| serde::de::Error::custom(format!("{seconds} is not a number of seconds")))
    }
}

#[cfg(test)]
mod config_tests {
    use std::time::Duration;

    use super::Backoff;

    #[test]
    fn a_partial_table_in_seconds_keeps_the_other_defaults() {
        let backoff: Backoff = serde_json::from_str(r#"{"initial_delay": 0.5, "jitter": 0}"#).unwrap();
        assert_eq!(backoff, Backoff { initial_delay: Duration::from_millis(500), jitter: 0.0, ..Backoff::default() });
        let err = serde_json::from_str::<Backoff>(r#"{"initial_delay": -1}"#).unwrap_err().to_string();
        assert!(err.starts_with("-1 is not a number of seconds"), "{err}");
        assert!(serde_json::from_str::<Backoff>(r#"{"initial": 1}"#).is_err(), "unknown fields are refused");
    }
}
