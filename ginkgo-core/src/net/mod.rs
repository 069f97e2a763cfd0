//! The runtime-neutral half of the network services: what the TCP servers and clients of every
//! backend share, so that each backend crate keeps only what touches its runtime (binding,
//! accepting, connecting, its stream type).
//!
//! * [`ListenError`]: why a server could not start, on every backend.
//! * Connections: [`OpenConnection`] counts one in the service's gauges while it is open;
//!   [`run_handler`] and [`run_blocking_handler`] log a handler's failure or panic with the
//!   service's path instead of failing the service; [`spawn_connection`] runs one as a task.
//! * Servers: [`listen`] binds in a task of the service and records the [`BoundAddress`];
//!   [`accept_until_stopping`] and [`serve_connections`] accept until the service stops.
//! * Limits: [`ServerLimits`] (the cap on connections, and an HTTP server's timeouts and
//!   streams; their settings [`MAX_CONNECTIONS`], [`IDLE_TIMEOUT`], [`HEADER_READ_TIMEOUT`],
//!   [`MAX_CONCURRENT_STREAMS`]); [`ConnectionSlots`] holds a server to its cap;
//!   [`AcceptPacing`] paces and reports an accept loop that cannot accept (out of file
//!   descriptors, say), with [`LogEvery`]; [`RequestActivity`] tells when an HTTP connection
//!   has been idle, or has been sending its headers, for too long.
//! * Clients: [`ClientOptions`] (where to connect, backoff, timeouts, readiness), the pace and
//!   log lines of reconnecting ([`Reconnect`]), and the whole loop of an async client
//!   ([`stay_connected`]).
//!
//! Applications use the services built on these: `ginkgo::net::{StreamServer, StreamClient}`,
//! or a backend crate's own (`ginkgo_tokio::StreamServer`, …).

mod accept_pacing;
mod bound_address;
mod client_options;
mod connection_slots;
mod listen;
mod listen_error;
mod log_every;
mod max_connections;
mod request_activity;
mod settings;
mod stream_client;
mod supervise;
mod timeout;

pub use accept_pacing::{ACCEPT_PAUSES, AcceptPacing, REPORT_INTERVAL};
pub use bound_address::BoundAddress;
pub use client_options::ClientOptions;
pub use connection_slots::ConnectionSlots;
pub use listen::{Accept, accept_until_stopping, listen, serve_connections};
pub use listen_error::ListenError;
pub use log_every::LogEvery;
pub use max_connections::MaxConnections;
pub use request_activity::{IdleLimits, InFlight, RequestActivity};
pub use settings::{HEADER_READ_TIMEOUT, IDLE_TIMEOUT, MAX_CONCURRENT_STREAMS, MAX_CONNECTIONS, ServerLimits};
pub use stream_client::{Reconnect, stay_connected};
pub use supervise::{OpenConnection, panic_message, run_blocking_handler, run_handler, spawn_connection};
pub use timeout::Timeout;
