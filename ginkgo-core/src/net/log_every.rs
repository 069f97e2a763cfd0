//! `LogEvery`: at most one log line per interval for something that may happen many times a
//! second.

use std::time::{Duration, Instant};

/// Paces the log lines about something that may happen many times a second (a failing
/// `accept`, a server at its cap): the first occurrence gets a line, then at most one line per
/// interval, which says how many occurrences it stands for.
#[derive(Debug)]
pub(crate) struct LogEvery {
    interval: Duration,
    last_line: Option<Instant>,
    unreported: u64,
}

impl LogEvery {
    /// At most one line per `interval`.
    pub(crate) fn new(interval: Duration) -> Self {
        LogEvery { interval, last_line: None, unreported: 0 }
    }

    /// Counts one occurrence at `now`. When a line is due, returns how many occurrences it
    /// reports: those since the last line, this one included.
    pub(crate) fn occurred(&mut self, now: Instant) -> Option<u64> {
        self.unreported = self.unreported.saturating_add(1);
        let due = self.last_line.is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if !due {
            return None;
        }
        self.last_line = Some(now);
        Some(std::mem::take(&mut self.unreported))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_then_one_per_interval_counting_what_it_stands_for() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut every = LogEvery::new(Duration::from_secs(10));
        assert_eq!(every.occurred(at(0)), Some(1)); // the first gets a line
        assert_eq!(every.occurred(at(10)), None);
        assert_eq!(every.occurred(at(9_000)), None);
        assert_eq!(every.occurred(at(10_000)), Some(3)); // this one and the two before
        assert_eq!(every.occurred(at(10_001)), None);
    }
}
