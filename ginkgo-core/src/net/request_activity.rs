//! `RequestActivity`: whether a connection that serves requests (HTTP) is answering one,
//! waiting for one, or receiving one's headers; and the watch that says when it has waited too
//! long.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::future::select;
use futures::task::AtomicWaker;

use crate::AsyncManager;

/// How long a connection that serves requests may wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdleLimits {
    /// With no request in progress and nothing received, the connection is closed after this
    /// long: it never sent a request, or waits between requests, or (HTTP/2) has no stream open.
    pub idle_timeout: Duration,
    /// Once a request's first bytes have come, its headers must be complete within this long
    /// (HTTP/1, and the first request of any connection).
    pub header_read_timeout: Duration,
}

/// What a connection that serves requests is doing, as its idle watch
/// ([`expired`](RequestActivity::expired)) needs to know. The connection's reader calls
/// [`received`](RequestActivity::received) after each read that brought bytes; its request
/// handling holds an [`InFlight`] ([`request`](RequestActivity::request)) from the moment a
/// request's headers are complete until its response has been sent (or abandoned).
///
/// The connection is in one of three phases:
///
/// * **busy**: requests in progress. No deadline, however long they take or however quiet the
///   socket is.
/// * **idle**: nothing in progress, nothing received since the last response (or since it was
///   accepted): it is closed [`idle_timeout`](IdleLimits::idle_timeout) after it became idle.
/// * **receiving headers**: bytes have come since it became idle, but no complete request yet:
///   it is closed [`header_read_timeout`](IdleLimits::header_read_timeout) after the first of
///   them, however the rest trickle in. On an HTTP/2 connection (`multiplexed`) bytes come
///   without a request (pings, window updates), so after its first request it is only ever
///   busy or idle.
///
/// The cost on the connection's hot path is one relaxed atomic load per read, and a lock of an
/// uncontended mutex at the start and end of each request; the watch holds one timer, moved
/// when a deadline passes, not at each read.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use ginkgo_core::net::{IdleLimits, RequestActivity};
///
/// let limits = IdleLimits { idle_timeout: Duration::from_secs(75), header_read_timeout: Duration::from_secs(10) };
/// let activity = Arc::new(RequestActivity::new());
/// let accepted = activity.deadline(limits).unwrap();
/// activity.received(); // the first bytes of a request
/// let headers_due = activity.deadline(limits).unwrap();
/// assert!(headers_due < accepted);
/// let in_flight = activity.request(false); // its headers are complete
/// assert_eq!(activity.deadline(limits), None);
/// assert!(activity.is_busy());
/// drop(in_flight); // its response is sent: idle again
/// assert!(activity.deadline(limits).unwrap() >= accepted);
/// ```
#[derive(Debug)]
pub struct RequestActivity {
    phase: Mutex<Phase>,
    /// True while the next bytes received begin a request's headers: cheap to read on every
    /// read; only when it is set does a read take the lock.
    waiting: AtomicBool,
    /// Set when the deadline moved earlier, to wake the watch.
    moved: AtomicBool,
    watch: AtomicWaker,
}

#[derive(Debug)]
struct Phase {
    in_flight: usize,
    /// When the connection became idle, or began receiving headers.
    since: Instant,
    receiving: bool,
    multiplexed: bool,
}

impl Default for RequestActivity {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestActivity {
    /// A connection just accepted: idle from now.
    pub fn new() -> Self {
        RequestActivity {
            phase: Mutex::new(Phase { in_flight: 0, since: Instant::now(), receiving: false, multiplexed: false }),
            waiting: AtomicBool::new(true),
            moved: AtomicBool::new(false),
            watch: AtomicWaker::new(),
        }
    }

    /// Bytes were received.
    pub fn received(&self) {
        if self.waiting.load(Ordering::Relaxed) {
            self.begin_headers();
        }
    }

    #[cold]
    fn begin_headers(&self) {
        let mut phase = self.lock();
        self.waiting.store(false, Ordering::Relaxed);
        if phase.in_flight == 0 && !phase.receiving && !phase.multiplexed {
            phase.receiving = true;
            phase.since = Instant::now();
            drop(phase);
            self.moved.store(true, Ordering::Release);
            self.watch.wake();
        }
    }

    /// A request's headers are complete and it is being answered, until the returned value is
    /// dropped. `multiplexed`: it came over HTTP/2.
    pub fn request(self: &Arc<Self>, multiplexed: bool) -> InFlight {
        let mut phase = self.lock();
        phase.in_flight += 1;
        phase.receiving = false;
        phase.multiplexed |= multiplexed;
        self.waiting.store(false, Ordering::Relaxed);
        InFlight(self.clone())
    }

    fn finished(&self) {
        let mut phase = self.lock();
        phase.in_flight = phase.in_flight.saturating_sub(1);
        if phase.in_flight == 0 {
            phase.since = Instant::now();
            phase.receiving = false;
            self.waiting.store(!phase.multiplexed, Ordering::Relaxed);
        }
    }

    /// True while a request is being answered.
    pub fn is_busy(&self) -> bool {
        self.lock().in_flight > 0
    }

    /// Counts the connection idle from now, whatever it was receiving: for the grace a
    /// connection gets once told to close.
    pub fn restart(&self) {
        let mut phase = self.lock();
        phase.since = Instant::now();
        phase.receiving = false;
        self.waiting.store(false, Ordering::Relaxed);
    }

    /// When the connection has waited too long, if it is waiting; `None` while it is busy.
    pub fn deadline(&self, limits: IdleLimits) -> Option<Instant> {
        let phase = self.lock();
        if phase.in_flight > 0 {
            return None;
        }
        let allowed = if phase.receiving { limits.header_read_timeout } else { limits.idle_timeout };
        Some(phase.since.checked_add(allowed).unwrap_or_else(|| phase.since + super::Timeout::MAX))
    }

    /// Resolves once the connection has waited longer than `limits` allow: idle for
    /// `idle_timeout`, or receiving headers for `header_read_timeout`. Sleeps with `manager`'s
    /// timers, until the current deadline (while busy, for `idle_timeout` at a time).
    pub async fn expired(&self, limits: IdleLimits, manager: &dyn AsyncManager) {
        loop {
            let now = Instant::now();
            let wait = match self.deadline(limits) {
                Some(deadline) if deadline <= now => return,
                Some(deadline) => deadline - now,
                None => limits.idle_timeout,
            };
            let moved = poll_fn(|cx| {
                self.watch.register(cx.waker());
                if self.moved.swap(false, Ordering::AcqRel) { Poll::Ready(()) } else { Poll::Pending }
            });
            select(manager.sleep(wait), std::pin::pin!(moved)).await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A request being answered, until dropped: its connection is busy.
#[derive(Debug)]
pub struct InFlight(Arc<RequestActivity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.finished();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: IdleLimits =
        IdleLimits { idle_timeout: Duration::from_secs(75), header_read_timeout: Duration::from_secs(10) };

    fn allowed(activity: &RequestActivity) -> Option<Duration> {
        let since = activity.lock().since;
        activity.deadline(LIMITS).map(|deadline| deadline - since)
    }

    #[test]
    fn bytes_while_idle_begin_headers_with_their_own_deadline() {
        let activity = Arc::new(RequestActivity::new());
        assert_eq!(allowed(&activity), Some(LIMITS.idle_timeout));
        activity.received();
        assert_eq!(allowed(&activity), Some(LIMITS.header_read_timeout));
        let first = activity.lock().since;
        activity.received();
        assert_eq!(activity.lock().since, first, "later bytes do not move the deadline");
        let answering = activity.request(false);
        activity.received(); // a pipelined request: still busy
        assert_eq!(allowed(&activity), None);
        drop(answering);
        assert_eq!(allowed(&activity), Some(LIMITS.idle_timeout));
        activity.received();
        assert_eq!(allowed(&activity), Some(LIMITS.header_read_timeout), "HTTP/1: again for the next request");
    }

    #[test]
    fn after_an_http2_request_bytes_do_not_begin_headers() {
        let activity = Arc::new(RequestActivity::new());
        activity.received(); // the preface
        assert_eq!(allowed(&activity), Some(LIMITS.header_read_timeout));
        let first = activity.request(true);
        let second = activity.request(true);
        drop(first);
        assert_eq!(allowed(&activity), None, "one stream still open");
        drop(second);
        activity.received(); // a ping
        assert_eq!(allowed(&activity), Some(LIMITS.idle_timeout));
    }

    #[test]
    fn the_watch_is_woken_when_headers_begin() {
        let activity = Arc::new(RequestActivity::new());
        activity.received();
        assert!(activity.moved.load(Ordering::Acquire));
        activity.restart();
        assert_eq!(allowed(&activity), Some(LIMITS.idle_timeout));
        activity.received();
        assert_eq!(allowed(&activity), Some(LIMITS.idle_timeout), "a connection told to close gets no new headers");
    }
}
