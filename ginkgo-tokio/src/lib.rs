//! Glue between Ginkgo's service tree and the [tokio] runtime.
//!
//! * [`TokioManager`] runs a service's tasks on a tokio runtime: the one the manager is
//!   created in, or else a multi-threaded runtime shared by the process ([`runtime`]).
//! * [`StreamServer`] and [`StreamClient`]: TCP services handing tokio `TcpStream`s to a
//!   handler; [`FuturesIo`] shows a tokio stream through the `futures::io` traits.
//! * [`HttpServer`] (feature `http`): any tower service (an axum `Router`, say) over hyper.
//!
//! The network services run on the tokio backend only; `ginkgo::net` has backend-neutral ones.
//! What they share with the other backends' (supervising connections, reconnecting,
//! [`ListenError`]) is in `ginkgo_core::net`; this crate binds, accepts and connects.
#![doc(test(attr(deny(warnings))))]

mod error;
mod futures_io;
#[cfg(feature = "http")]
mod http_connection;
#[cfg(feature = "http")]
mod http_server;
mod manager;
mod runtime;
mod stream_client;
mod stream_server;
#[cfg(feature = "http")]
mod task_executor;
mod tcp;

pub use error::NeedsTokio;
pub use futures_io::FuturesIo;
pub use ginkgo_core::net::ListenError;
#[cfg(feature = "http")]
pub use http_server::HttpServer;
pub use manager::TokioManager;
pub use runtime::{block_on, runtime};
pub use stream_client::StreamClient;
pub use stream_server::StreamServer;
