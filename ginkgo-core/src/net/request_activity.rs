//! `RequestActivity`: whether a connection that serves requests (HTTP) is answering one,
//! waiting for one, or receiving one's headers; and the watch that says when it has waited too
//! long.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

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
/// uncontended mutex at the start and end of each request. The watch never has to be woken:
/// it looks at least once per the shorter of the two timeouts, so any deadline set after it
/// last looked lies after its next look. One timer per connection, set again when it fires (at
/// most every 10 s with the default limits), never at a read or a request.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use ginkgo_core::net::backend::{IdleLimits, RequestActivity};
///
/// let limits = IdleLimits { idle_timeout: Duration::from_secs(75), header_read_timeout: Duration::from_secs(10) };
/// let activity = Arc::new(RequestActivity::new(limits));
/// let accepted = activity.deadline().unwrap();
/// activity.received(); // the first bytes of a request
/// let headers_due = activity.deadline().unwrap();
/// assert!(headers_due < accepted);
/// let in_flight = activity.request(false); // its headers are complete
/// assert_eq!(activity.deadline(), None);
/// assert!(activity.is_busy());
/// drop(in_flight); // its response is sent: idle again
/// assert!(activity.deadline().unwrap() >= accepted);
/// ```
#[derive(Debug)]
pub struct RequestActivity {
    phase: Mutex<Phase>,
    /// True while the next bytes received begin a request's headers: cheap to read on every
    /// read; only when it is set does a read take the lock.
    waiting: AtomicBool,
}

#[derive(Debug)]
struct Phase {
    limits: IdleLimits,
    in_flight: usize,
    /// When the connection became idle, or began receiving headers.
    since: Instant,
    receiving: bool,
    multiplexed: bool,
}

impl Phase {
    /// When the connection has waited too long, if it is waiting.
    fn deadline(&self) -> Option<Instant> {
        if self.in_flight > 0 {
            return None;
        }
        let allowed = if self.receiving { self.limits.header_read_timeout } else { self.limits.idle_timeout };
        Some(self.since.checked_add(allowed).unwrap_or_else(|| self.since + super::Timeout::MAX))
    }
}

impl RequestActivity {
    /// A connection just accepted, held to `limits`: idle from now.
    pub fn new(limits: IdleLimits) -> Self {
        let phase = Phase { limits, in_flight: 0, since: Instant::now(), receiving: false, multiplexed: false };
        RequestActivity { phase: Mutex::new(phase), waiting: AtomicBool::new(true) }
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

    /// Holds the connection to `limits` from now on, counting it idle from now whatever it was
    /// receiving: for the grace a connection gets once told to close.
    pub fn restart(&self, limits: IdleLimits) {
        let mut phase = self.lock();
        phase.limits = limits;
        phase.since = Instant::now();
        phase.receiving = false;
        self.waiting.store(false, Ordering::Relaxed);
    }

    /// When the connection has waited too long, if it is waiting; `None` while it is busy.
    pub fn deadline(&self) -> Option<Instant> {
        self.lock().deadline()
    }

    /// How long the watch may sleep from `now` before it looks again: until the deadline, but
    /// never longer than the shorter timeout (see the type's doc). `None` if the connection has
    /// waited too long already.
    fn next_look(&self, now: Instant) -> Option<Duration> {
        let phase = self.lock();
        let longest = phase.limits.idle_timeout.min(phase.limits.header_read_timeout);
        match phase.deadline() {
            Some(deadline) if deadline <= now => None,
            Some(deadline) => Some((deadline - now).min(longest)),
            None => Some(longest),
        }
    }

    /// Resolves once the connection has waited longer than its limits allow: idle for
    /// `idle_timeout`, or receiving headers for `header_read_timeout`. Sleeps with `manager`'s
    /// timers.
    pub async fn expired(&self, manager: &dyn AsyncManager) {
        while let Some(wait) = self.next_look(Instant::now()) {
            manager.sleep(wait).await;
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
        activity.deadline().map(|deadline| deadline - since)
    }

    #[test]
    fn bytes_while_idle_begin_headers_with_their_own_deadline() {
        let activity = Arc::new(RequestActivity::new(LIMITS));
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
        let activity = Arc::new(RequestActivity::new(LIMITS));
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
    fn the_watch_looks_at_least_once_per_the_shorter_timeout() {
        let activity = Arc::new(RequestActivity::new(LIMITS));
        let now = Instant::now();
        let looks = activity.next_look(now).unwrap();
        assert!(looks <= LIMITS.header_read_timeout, "idle: {looks:?}");
        let in_flight = activity.request(false);
        assert_eq!(activity.next_look(now), Some(LIMITS.header_read_timeout), "busy");
        drop(in_flight);
        activity.received();
        let headers_due = activity.deadline().unwrap();
        assert_eq!(activity.next_look(headers_due), None, "expired at the deadline");

        let short = IdleLimits { idle_timeout: Duration::from_millis(300), ..LIMITS };
        let activity = Arc::new(RequestActivity::new(short));
        drop(activity.request(true));
        assert!(activity.next_look(Instant::now()).unwrap() <= short.idle_timeout);
    }

    #[test]
    fn a_connection_told_to_close_gets_no_new_headers() {
        let activity = Arc::new(RequestActivity::new(LIMITS));
        let grace = IdleLimits { idle_timeout: Duration::from_secs(1), header_read_timeout: Duration::from_secs(1) };
        activity.restart(grace);
        assert_eq!(allowed(&activity), Some(grace.idle_timeout));
        activity.received();
        assert!(!activity.lock().receiving);
    }
}
