//! `ClientOptions`: how a stream client connects, whatever its runtime.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::{Backoff, Readiness};

/// How a stream client connects, whatever its runtime: where to (asked again before every
/// attempt), the pauses between failed attempts, how long one attempt may take, whether the
/// client is ready only once connected, and its start and stop timeouts.
///
/// Every backend's `StreamClient` keeps one and sets it through builder methods of the same
/// names; `StreamClient::with_options` makes a client from one.
///
/// ```
/// use std::time::Duration;
/// use ginkgo_core::net::ClientOptions;
/// use ginkgo::{Backoff, Readiness};
///
/// let options = ClientOptions::new("127.0.0.1:7000");
/// assert_eq!(options.address().as_deref(), Some("127.0.0.1:7000"));
/// assert_eq!(options.backoff(), &Backoff::default());
/// assert_eq!(options.connect_timeout(), Duration::from_secs(10));
/// assert_eq!(options.readiness(), Readiness::NotReady); // ready once connected
/// assert_eq!((options.start_timeout(), options.stop_timeout()), (Duration::from_secs(2), Duration::from_secs(1)));
///
/// let eager = options.ready_when_connected(false).with_connect_timeout(Duration::from_secs(1));
/// assert_eq!(eager.readiness(), Readiness::Ready);
/// assert_eq!(eager.connect_timeout(), Duration::from_secs(1));
/// ```
#[derive(Clone)]
pub struct ClientOptions {
    address: Arc<dyn Fn() -> Option<String> + Send + Sync>,
    backoff: Backoff,
    connect_timeout: Duration,
    ready_when_connected: bool,
    start_timeout: Duration,
    stop_timeout: Duration,
}

impl ClientOptions {
    /// The options of a client of `address` (`host:port` text, or a `SocketAddr`), with the
    /// defaults.
    pub fn new(address: impl ToString) -> Self {
        let address = address.to_string();
        Self::with_address_from(move || Some(address.clone()))
    }

    /// The options of a client that asks `address` where to connect before every attempt: for
    /// a server whose address is known only once it runs (a sibling listening on port 0, say).
    /// `None` counts as a failed attempt.
    pub fn with_address_from(address: impl Fn() -> Option<String> + Send + Sync + 'static) -> Self {
        ClientOptions {
            address: Arc::new(address),
            backoff: Backoff::default(),
            connect_timeout: Duration::from_secs(10),
            ready_when_connected: true,
            start_timeout: Duration::from_secs(2),
            stop_timeout: Duration::from_secs(1),
        }
    }

    /// Sets the pauses between attempts (default: [`Backoff::default`]).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets how long one attempt to connect may take (default 10 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// With `true` (the default) the client is ready once connected; with `false`, as soon as
    /// it has started trying.
    pub fn ready_when_connected(mut self, wait: bool) -> Self {
        self.ready_when_connected = wait;
        self
    }

    /// Sets how long a start waits for the first connection (default 2 s); with
    /// `ready_when_connected(false)`, it does not wait.
    pub fn with_start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Sets how long the handler gets to finish at stop before it is ended (default 1 s).
    pub fn with_stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Where to connect now, if that is known.
    pub fn address(&self) -> Option<String> {
        (self.address)()
    }

    /// The pauses between attempts.
    pub fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// How long one attempt to connect may take.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// What the client's `do_start` returns: [`Readiness::NotReady`] when it is ready only once
    /// connected (it then calls `set_ready` on connecting), [`Readiness::Ready`] otherwise.
    pub fn readiness(&self) -> Readiness {
        if self.ready_when_connected { Readiness::NotReady } else { Readiness::Ready }
    }

    /// The client service's `start_timeout`.
    pub fn start_timeout(&self) -> Duration {
        self.start_timeout
    }

    /// The client service's `stop_timeout`.
    pub fn stop_timeout(&self) -> Duration {
        self.stop_timeout
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("backoff", &self.backoff)
            .field("connect_timeout", &self.connect_timeout)
            .field("ready_when_connected", &self.ready_when_connected)
            .field("start_timeout", &self.start_timeout)
            .field("stop_timeout", &self.stop_timeout)
            .finish_non_exhaustive()
    }
}
