//! TCP services that follow the backend: the same handler code runs on tokio, smol, async-std
//! and threads.
//!
//! [`StreamServer`] and [`StreamClient`] hand each connection to an async handler as a
//! [`Connection`], which implements `futures::io::{AsyncRead, AsyncWrite}`. When the service
//! starts, they pick the native implementation of the backend that runs the tree
//! (`ginkgo_tokio::StreamServer`, `ginkgo_asyncstd::StreamServer<Smol>`, …) and run it on
//! their own context: same life cycle, same logs, same `connections` gauge. A server that
//! cannot listen fails with [`ListenError`], whichever the backend.
//!
//! Servers cap the connections they hold open, and HTTP servers time out idle connections and
//! slow request headers: [`ServerLimits`], set by builder methods or by the settings
//! `net.max_connections` ([`MaxConnections`]), `http.idle_timeout`, `http.header_read_timeout`
//! ([`Timeout`]) and `http.max_concurrent_streams`.
//!
//! On the threads backend a connection's handler runs on a thread of its own and its reads and
//! writes block that thread: the handler works as written, but a blocked read only ends when
//! data comes or when the connection is shut down at `stop_timeout`. Code that needs the
//! runtime's own stream type uses the backend crate's services directly.

mod connection;
mod native;
mod stream_client;
mod stream_server;

pub use connection::Connection;
pub use ginkgo_core::net::{ListenError, MaxConnections, ServerLimits, Timeout};
pub use stream_client::StreamClient;
pub use stream_server::StreamServer;
