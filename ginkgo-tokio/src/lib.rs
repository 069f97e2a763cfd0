//! Glue between Ginkgo's service tree and the [tokio] runtime.
//!
//! * [`TokioManager`] runs a service's tasks on a tokio runtime: the one the manager is
//!   created in, or else a multi-threaded runtime shared by the process ([`runtime`]).
//! * [`Tokio`]: tokio's TCP and Unix sockets as a
//!   [`Transport`](ginkgo_core::net::Transport), the network services' glue to tokio;
//!   [`StreamServer`] and [`StreamClient`] are the services over it, whose handlers get a
//!   tokio [`Stream`]; [`FuturesIo`] shows a tokio stream through the `futures::io` traits.
//! * [`TokioTls`] (feature `tls`): TLS over tokio's sockets (tokio-rustls), whose services
//!   take their certificates with `with_tls`; its connections are [`TlsStream`]s.
//! * [`HttpServer`] (feature `http`): any tower service (an axum `Router`, say) over hyper, on
//!   [`Tokio`]: `ginkgo_core::net::HttpServer` with the glue that hands tokio's streams to hyper.
//!
//! The network services run on the tokio backend only; `ginkgo::net` has backend-neutral ones.
//! They are written once, in `ginkgo_core::net`, with what they share with the other backends'
//! (supervising connections, reconnecting, Unix socket files, [`ListenError`]); this crate
//! binds, accepts and connects.
#![doc(test(attr(deny(warnings))))]

mod futures_io;
#[cfg(feature = "http")]
mod http;
mod manager;
mod runtime;
mod services;
#[cfg(feature = "tls")]
mod tls;
mod transport;

pub use futures_io::FuturesIo;
pub use ginkgo_core::net::ListenError;
#[cfg(feature = "http")]
pub use http::HttpServer;
pub use manager::TokioManager;
pub use runtime::{block_on, runtime};
pub use services::{StreamClient, StreamServer};
#[cfg(feature = "tls")]
pub use tls::{TlsStream, TokioTls};
pub use transport::{Listener, Stream, Tokio};
