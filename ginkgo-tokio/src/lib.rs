//! Glue between Ginkgo's service tree and the [tokio] runtime.
//!
//! * [`TokioManager`] runs a service's tasks on a tokio runtime: the one the manager is
//!   created in, or else a multi-threaded runtime shared by the process ([`runtime`]).
//! * [`StreamServer`] and [`StreamClient`]: TCP services handing tokio `TcpStream`s to a
//!   handler; [`FuturesIo`] shows a tokio stream through the `futures::io` traits.
//! * [`HttpServer`] (feature `http`): any tower service (an axum `Router`, say) over hyper.
//!
//! The network services run on the tokio backend only; `ginkgo::net` has backend-neutral ones.
#![doc(test(attr(deny(warnings))))]

mod error;
mod futures_io;
#[cfg(feature = "http")]
mod http_server;
mod listen;
mod manager;
mod runtime;
mod stream_client;
mod stream_server;
mod supervise;
#[cfg(feature = "http")]
mod task_executor;

pub use error::{ListenError, NeedsTokio};
pub use futures_io::FuturesIo;
#[cfg(feature = "http")]
pub use http_server::HttpServer;
pub use manager::TokioManager;
pub use runtime::{block_on, runtime};
pub use stream_client::StreamClient;
pub use stream_server::StreamServer;
