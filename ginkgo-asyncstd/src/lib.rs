//! Glue between Ginkgo's service tree and the async-std and smol runtimes.
//!
//! * [`SmolManager`] (feature `smol`) runs tasks on smol's global executor. smol is maintained;
//!   prefer it.
//! * [`AsyncStdManager`] (feature `async-std`) runs tasks on async-std's executor. async-std is
//!   discontinued upstream (its authors point to smol); it is here for code that already uses it.
//! * [`AsyncIo`]: the TCP and Unix sockets both runtimes are built on (async-io's), as a
//!   [`Transport`](ginkgo_core::net::Transport); [`StreamServer`] and [`StreamClient`] are the
//!   services over it, whose handlers get a connection implementing `futures::io`'s traits.
//! * [`AsyncIoTls`] (feature `tls`): TLS over those sockets (futures-rustls), whose services
//!   take their certificates with `with_tls`; its connections are [`TlsStream`]s.
//! * [`HttpServer`] (feature `http`): any tower service (an axum `Router`, say) over hyper, on
//!   [`AsyncIo`]: `ginkgo_core::net::HttpServer` with the glue that hands these streams to
//!   hyper.
//!
//! Both executors are shared by the process; a manager holds no runtime of its own. The
//! network services are written once, in `ginkgo_core::net`, with what they share with the
//! other backends' (supervising connections, reconnecting, Unix socket files,
//! [`ListenError`]); [`AsyncIo`] binds, accepts and connects.
#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "async-std")]
mod async_std_manager;
#[cfg(feature = "http")]
mod http;
mod services;
#[cfg(feature = "smol")]
mod smol_manager;
#[cfg(feature = "tls")]
mod tls;
mod transport;

#[cfg(feature = "async-std")]
pub use async_std_manager::{AsyncStdManager, block_on_async_std};
pub use ginkgo_core::net::ListenError;
#[cfg(feature = "http")]
pub use http::HttpServer;
pub use services::{StreamClient, StreamServer};
#[cfg(feature = "smol")]
pub use smol_manager::{SmolManager, block_on_smol};
#[cfg(feature = "tls")]
pub use tls::{AsyncIoTls, TlsStream};
pub use transport::{AsyncIo, Listener, Stream};
