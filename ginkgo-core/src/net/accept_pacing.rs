//! `AcceptPacing`: what a server's accept loop does when it cannot accept: at its cap, or when
//! `accept` fails (out of file descriptors, say).

use std::io;
use std::time::{Duration, Instant};

use super::LogEvery;
use crate::{Backoff, Context, Gauge};

/// The pauses between failed attempts to accept: 10 ms, doubling up to 1 s. Short at first, so
/// that a passing shortage costs little; at most a second, so that the server is back within a
/// second of descriptors being freed, while a lasting shortage costs one attempt a second.
pub const ACCEPT_PAUSES: Backoff =
    Backoff { initial_delay: Duration::from_millis(10), max_delay: Duration::from_secs(1), factor: 2.0, jitter: 0.0 };

/// At most one line per this long about failed accepts, and one about the cap.
pub const REPORT_INTERVAL: Duration = Duration::from_secs(10);

/// The pace and the log lines of a server's accept loop when it cannot accept.
///
/// * **At the cap** the loop stops accepting until a connection closes; [`at_cap`] logs that,
///   at most once per [`REPORT_INTERVAL`], with how many times it happened since the last line.
/// * **A failed `accept`**: the errors of one connection that went away before it was accepted
///   (reset, aborted, an unreachable network) are skipped at once. Any other error (out of file
///   descriptors: `EMFILE`, `ENFILE`; out of memory: `ENOBUFS`, `ENOMEM`) pauses the loop, each
///   pause in a row longer ([`ACCEPT_PAUSES`]), and is logged at most once per
///   [`REPORT_INTERVAL`] with the number of failures since the last line. The connections
///   already open keep being served meanwhile. The failures are counted in the service's gauge
///   `accept_failures`, made at the first one.
/// * **Recovery**: the first connection accepted after failures that were logged logs how many
///   attempts failed in all.
///
/// [`at_cap`]: AcceptPacing::at_cap
#[derive(Debug)]
pub(crate) struct AcceptPacing {
    ctx: Context,
    path: String,
    /// Failed attempts since the last accepted connection.
    failures_in_row: u32,
    /// Failed attempts since the last recovery line (or the start).
    failures_since_recovery: u64,
    /// A failure was logged since the last recovery line.
    failure_reported: bool,
    failures: LogEvery,
    failures_gauge: Option<Gauge>,
    full: LogEvery,
}

impl AcceptPacing {
    /// The pace of the accept loop of `ctx`'s service.
    pub(crate) fn new(ctx: &Context) -> Self {
        AcceptPacing {
            ctx: ctx.clone(),
            path: ctx.path(),
            failures_in_row: 0,
            failures_since_recovery: 0,
            failure_reported: false,
            failures: LogEvery::new(REPORT_INTERVAL),
            failures_gauge: None,
            full: LogEvery::new(REPORT_INTERVAL),
        }
    }

    /// Every slot of the server (`cap` of them) is taken: the loop waits for one to be freed.
    pub(crate) fn at_cap(&mut self, cap: usize) {
        if let Some(times) = self.full.occurred(Instant::now()) {
            log::warn!(
                "{}: at its cap of {cap} open {}; new clients wait until one closes ({times} {} since the last report)",
                self.path,
                plural(cap as u64, "connection", "connections"),
                plural(times, "time", "times")
            );
        }
    }

    /// `accept` failed with `err` while `open` connections are open: the pause before the next
    /// attempt, or `None` to try again at once.
    pub(crate) fn failed(&mut self, err: &io::Error, open: usize) -> Option<Duration> {
        if went_away(err) {
            log::debug!("{}: a connection went away before it was accepted: {err}", self.path);
            return None;
        }
        let pause = ACCEPT_PAUSES.base_delay(self.failures_in_row);
        self.failures_in_row = self.failures_in_row.saturating_add(1);
        self.failures_since_recovery = self.failures_since_recovery.saturating_add(1);
        self.failures_gauge.get_or_insert_with(|| self.ctx.gauge("accept_failures")).inc();
        if let Some(failures) = self.failures.occurred(Instant::now()) {
            self.failure_reported = true;
            log::warn!(
                "{}: cannot accept connections: {err} ({failures} failed {} since the last report; {open} connections open, still served); trying again with pauses of up to {:?}",
                self.path,
                plural(failures, "attempt", "attempts"),
                ACCEPT_PAUSES.max_delay
            );
        }
        Some(pause)
    }

    /// A connection was accepted.
    pub(crate) fn accepted(&mut self) {
        if self.failures_in_row == 0 {
            return;
        }
        self.failures_in_row = 0;
        if self.failure_reported {
            self.failure_reported = false;
            let failures = std::mem::take(&mut self.failures_since_recovery);
            log::info!(
                "{}: accepting connections again, after {failures} failed {}",
                self.path,
                plural(failures, "attempt", "attempts")
            );
        }
    }
}

/// True for the errors of `accept` that concern one connection only, which went away before it
/// was accepted: trying again at once is right.
fn went_away(err: &io::Error) -> bool {
    use io::ErrorKind::{
        ConnectionAborted, ConnectionReset, HostUnreachable, Interrupted, NetworkDown, NetworkUnreachable, WouldBlock,
    };
    matches!(
        err.kind(),
        ConnectionAborted
            | ConnectionReset
            | HostUnreachable
            | Interrupted
            | NetworkDown
            | NetworkUnreachable
            | WouldBlock
    )
}

fn plural(count: u64, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pauses_grow_from_10ms_to_1s() {
        let pauses: Vec<u128> = (0..9).map(|retry| ACCEPT_PAUSES.base_delay(retry).as_millis()).collect();
        assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    }

    #[test]
    fn only_a_connection_that_went_away_is_retried_at_once() {
        assert!(went_away(&io::ErrorKind::ConnectionAborted.into()));
        assert!(went_away(&io::ErrorKind::Interrupted.into()));
        // EMFILE, ENFILE, ENOBUFS, ENOMEM, and anything unknown, pause the loop.
        for errno in [24, 23, 105, 12] {
            assert!(!went_away(&io::Error::from_raw_os_error(errno)), "{errno}");
        }
        assert!(!went_away(&io::Error::other("strange")));
    }
}
