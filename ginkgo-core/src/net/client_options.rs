//! `ClientOptions`: how a stream client connects, whatever its transport.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::{Backoff, Readiness};

/// How a stream client connects: where to (asked again before every attempt), the pauses
/// between failed attempts, how long one attempt may take, whether the client is ready only once
/// connected, and its start and stop timeouts. `StreamClient`'s builder methods set them.
#[derive(Clone)]
pub(crate) struct ClientOptions {
    pub(crate) address: Arc<dyn Fn() -> Option<String> + Send + Sync>,
    pub(crate) backoff: Backoff,
    pub(crate) connect_timeout: Duration,
    pub(crate) ready_when_connected: bool,
    pub(crate) start_timeout: Duration,
    pub(crate) stop_timeout: Duration,
}

impl ClientOptions {
    /// The options of a client that asks `address` where to connect before every attempt, with
    /// the defaults.
    pub(crate) fn new(address: impl Fn() -> Option<String> + Send + Sync + 'static) -> Self {
        ClientOptions {
            address: Arc::new(address),
            backoff: Backoff::default(),
            connect_timeout: Duration::from_secs(10),
            ready_when_connected: true,
            start_timeout: Duration::from_secs(2),
            stop_timeout: Duration::from_secs(1),
        }
    }

    /// What the client's `do_start` returns: [`Readiness::NotReady`] when it is ready only once
    /// connected (it then calls `set_ready` on connecting), [`Readiness::Ready`] otherwise.
    pub(crate) fn readiness(&self) -> Readiness {
        if self.ready_when_connected { Readiness::NotReady } else { Readiness::Ready }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_ready_once_connected_by_default() {
        let options = ClientOptions::new(|| Some("127.0.0.1:7000".to_string()));
        assert_eq!((options.address)().as_deref(), Some("127.0.0.1:7000"));
        assert_eq!(options.backoff, Backoff::default());
        assert_eq!(options.connect_timeout, Duration::from_secs(10));
        assert_eq!((options.start_timeout, options.stop_timeout), (Duration::from_secs(2), Duration::from_secs(1)));
        assert_eq!(options.readiness(), Readiness::NotReady);
        let eager = ClientOptions { ready_when_connected: false, ..options };
        assert_eq!(eager.readiness(), Readiness::Ready);
    }
}
