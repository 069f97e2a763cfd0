//! The settings of the servers' limits, and `ServerLimits`: the values one server runs with.
//!
//! Each default is explained in the guide's chapter "Security and failure model", section
//! "Abusive clients and descriptor exhaustion".

use std::num::NonZeroU32;
use std::time::Duration;

use super::{MaxConnections, SocketMode, Timeout};
use crate::{Config, setting};

setting!(
    /// Read when a server starts, unless its builder set a cap.
    pub static MAX_CONNECTIONS: MaxConnections {
        name: "net.max_connections",
        default: MaxConnections::Auto,
        help: "Most connections each server holds open at once (then new clients wait);\n\"auto\": the limit on open files less a quarter of it (at most 1024)",
        restart: true,
    }
);

setting!(
    /// Read when a server listening on a Unix socket starts, unless its builder set a mode.
    pub static UNIX_SOCKET_MODE: SocketMode {
        name: "net.unix_socket_mode",
        default: SocketMode::DEFAULT,
        help: "Permissions of the file of each server's Unix socket, in octal (\"0660\");\nconnecting takes write permission",
        restart: true,
    }
);

setting!(
    /// Read when a server starts, unless its builder set one.
    pub static TLS_HANDSHAKE_TIMEOUT: Timeout {
        name: "net.tls_handshake_timeout",
        default: Timeout::from_secs(10),
        help: "Seconds a client has to finish its TLS handshake, from its connection; then the server closes it",
        restart: true,
    }
);

setting!(
    /// Read when an HTTP server starts, unless its builder set one.
    pub static IDLE_TIMEOUT: Timeout {
        name: "http.idle_timeout",
        default: Timeout::from_secs(75),
        help: "Seconds an HTTP connection may wait for its next request before it is closed",
        restart: true,
    }
);

setting!(
    /// Read when an HTTP server starts, unless its builder set one.
    pub static HEADER_READ_TIMEOUT: Timeout {
        name: "http.header_read_timeout",
        default: Timeout::from_secs(10),
        help: "Seconds a client has to send a request's headers, from their first byte",
        restart: true,
    }
);

setting!(
    /// Read when an HTTP server starts, unless its builder set one.
    pub static MAX_CONCURRENT_STREAMS: NonZeroU32 {
        name: "http.max_concurrent_streams",
        default: NonZeroU32::new(100).expect("100 is not zero"),
        help: "Most requests one HTTP/2 connection may have in progress at once",
        restart: true,
    }
);

/// The limits a server runs with: those its builder set, and for the others the settings
/// (`net.max_connections`, `net.tls_handshake_timeout`, `http.idle_timeout`,
/// `http.header_read_timeout`, `http.max_concurrent_streams`) as they are when it starts.
///
/// Every server keeps one and sets it through builder methods of the same names
/// (`with_max_connections`, …); a stream server uses only the cap on connections and the
/// handshake timeout.
///
/// ```
/// use std::time::Duration;
/// use ginkgo::Config;
/// use ginkgo::net::ServerLimits;
///
/// let config = Config::builder().env(false).set("http.idle_timeout", "30").load().unwrap();
/// let limits = ServerLimits::default().with_max_connections(50);
/// assert_eq!(limits.max_connections(&config), 50);
/// assert_eq!(limits.idle_timeout(&config), Duration::from_secs(30));
/// assert_eq!(limits.header_read_timeout(&config), Duration::from_secs(10));
/// assert_eq!(limits.max_concurrent_streams(&config), 100);
/// assert_eq!(limits.handshake_timeout(&config), Duration::from_secs(10));
/// let hasty = limits.with_handshake_timeout(Duration::from_millis(500));
/// assert_eq!(hasty.handshake_timeout(&config), Duration::from_millis(500));
///
/// let strict = limits.with_idle_timeout(Duration::from_secs(5)).with_max_concurrent_streams(0);
/// assert_eq!(strict.idle_timeout(&config), Duration::from_secs(5));
/// assert_eq!(strict.max_concurrent_streams(&config), 1, "at least one");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerLimits {
    max_connections: Option<usize>,
    handshake_timeout: Option<Timeout>,
    idle_timeout: Option<Timeout>,
    header_read_timeout: Option<Timeout>,
    max_concurrent_streams: Option<NonZeroU32>,
}

impl ServerLimits {
    /// Caps the connections open at once at `cap` (at least 1), whatever `net.max_connections`
    /// says.
    pub fn with_max_connections(mut self, cap: usize) -> Self {
        self.max_connections = Some(cap.max(1));
        self
    }

    /// Sets how long a client has to finish its handshake (TLS's), from its connection,
    /// whatever `net.tls_handshake_timeout` says.
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = Some(Timeout::new(timeout));
        self
    }

    /// Sets how long an HTTP connection may wait for its next request, whatever
    /// `http.idle_timeout` says.
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(Timeout::new(timeout));
        self
    }

    /// Sets how long a client has to send a request's headers, whatever
    /// `http.header_read_timeout` says.
    pub fn with_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = Some(Timeout::new(timeout));
        self
    }

    /// Sets how many requests one HTTP/2 connection may have in progress at once (at least
    /// 1), whatever `http.max_concurrent_streams` says.
    pub fn with_max_concurrent_streams(mut self, streams: u32) -> Self {
        self.max_concurrent_streams = Some(NonZeroU32::new(streams).unwrap_or(NonZeroU32::MIN));
        self
    }

    /// The cap on connections open at once.
    pub fn max_connections(&self, config: &Config) -> usize {
        self.max_connections.unwrap_or_else(|| MAX_CONNECTIONS.get(config).resolve())
    }

    /// How long a client has to finish its handshake.
    pub fn handshake_timeout(&self, config: &Config) -> Duration {
        self.handshake_timeout.unwrap_or_else(|| TLS_HANDSHAKE_TIMEOUT.get(config)).get()
    }

    /// How long an HTTP connection may wait for its next request.
    pub fn idle_timeout(&self, config: &Config) -> Duration {
        self.idle_timeout.unwrap_or_else(|| IDLE_TIMEOUT.get(config)).get()
    }

    /// How long a client has to send a request's headers.
    pub fn header_read_timeout(&self, config: &Config) -> Duration {
        self.header_read_timeout.unwrap_or_else(|| HEADER_READ_TIMEOUT.get(config)).get()
    }

    /// How many requests one HTTP/2 connection may have in progress at once.
    pub fn max_concurrent_streams(&self, config: &Config) -> u32 {
        self.max_concurrent_streams.unwrap_or_else(|| MAX_CONCURRENT_STREAMS.get(config)).get()
    }
}
