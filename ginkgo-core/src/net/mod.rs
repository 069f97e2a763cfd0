//! The network services, written once for every runtime: [`StreamServer`] and
//! [`StreamClient`], over the sockets of a [`Transport`] that each backend crate implements.
//!
//! * Services: [`StreamServer`] and [`StreamClient`], which hand each [`Connection`] to a
//!   handler; `HttpServer` (feature `http`), any tower service over hyper; [`ListenError`],
//!   why a server could not start. [`DatagramServer`], which hands each UDP [`Datagram`] to a
//!   handler, and [`DatagramClient`], over a [`DatagramTransport`].
//! * Addresses: [`Address`] (`host:port` or `unix:/path`, as configured), [`LocalAddr`] (where
//!   a server listens), [`PeerAddr`] (who is at the other end: a TCP address, or a
//!   [`UnixPeer`] and its [`PeerProcess`]).
//! * Limits and settings: [`ServerLimits`] (the cap on connections, and an HTTP server's
//!   timeouts and streams) and the settings behind them, [`MAX_CONNECTIONS`]
//!   ([`MaxConnections`]), [`IDLE_TIMEOUT`], [`HEADER_READ_TIMEOUT`] ([`Timeout`]),
//!   [`MAX_CONCURRENT_STREAMS`]; [`TLS_HANDSHAKE_TIMEOUT`], how long a client has for its
//!   TLS handshake; [`UNIX_SOCKET_MODE`] ([`SocketMode`]), the permissions of a
//!   Unix socket's file; [`ACCEPT_PAUSES`] and [`REPORT_INTERVAL`], how a server that cannot
//!   accept paces itself and its log lines.
//! * [`backend`]: what a backend crate builds its network services with (the [`Transport`]
//!   trait, Unix socket files, listening and accepting, connection slots and supervision, the
//!   idle watch of HTTP connections, and with feature `http` the glue between a transport's
//!   streams and hyper).
//! * [`activation`]: listening sockets handed to the process at its start (systemd's socket
//!   activation, a graceful upgrade); [`handover`]: the sockets it listens on, for the process
//!   that replaces it.
//!
//! Applications use them through `ginkgo::net`, whose `StreamServer` and `StreamClient`
//! follow whichever backend runs the tree, or through a backend crate's
//! (`ginkgo_tokio::StreamServer`, …), whose handlers get that runtime's own stream.

mod accept_pacing;
#[cfg(unix)]
pub mod activation;
mod address;
pub mod backend;
mod bound_address;
mod client_options;
mod connection;
mod connection_slots;
mod datagram;
mod deadline;
#[cfg(unix)]
pub mod handover;
#[cfg(feature = "http")]
mod http;
mod listen;
mod listen_error;
mod log_every;
mod max_connections;
mod request_activity;
mod settings;
mod socket;
mod socket_mode;
mod stream_client;
mod stream_server;
mod supervise;
mod timeout;
mod transport;
#[cfg(unix)]
mod unix_socket;

use accept_pacing::AcceptPacing;
pub use accept_pacing::{ACCEPT_PAUSES, REPORT_INTERVAL};
pub use address::{Address, BadAddress, LocalAddr, PeerAddr, PeerProcess, UnixPeer};
use backend::{
    BoundAddress, ConnectionFrom, ConnectionSlots, Handshake, Listen, OpenConnection, accept_until_stopping,
    spawn_connection,
};
pub use connection::Connection;
pub use datagram::{
    DEFAULT_MAX_IN_FLIGHT, Datagram, DatagramClient, DatagramServer, DatagramTransport, MAX_UDP_PAYLOAD,
};
#[cfg(feature = "http")]
pub use http::HttpServer;
pub use listen_error::ListenError;
use log_every::LogEvery;
pub use max_connections::MaxConnections;
pub use settings::{
    HEADER_READ_TIMEOUT, IDLE_TIMEOUT, MAX_CONCURRENT_STREAMS, MAX_CONNECTIONS, ServerLimits, TLS_HANDSHAKE_TIMEOUT,
    UNIX_SOCKET_MODE,
};
pub use socket_mode::SocketMode;
pub use stream_client::StreamClient;
pub use stream_server::StreamServer;
pub use timeout::Timeout;
pub use transport::Transport;
