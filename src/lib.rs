//! Ginkgo: a framework for network service daemons.
//!
//! A daemon is a tree of [`Service`]s. Each service starts, stops and reloads, contains child
//! services, and owns the tasks it spawns; the framework runs the hooks in the right order, ends
//! every task when its service stops, and carries failures up the tree. Which async runtime runs
//! the tasks is a [`Backend`], chosen at run time among those compiled in by cargo feature:
//!
//! | feature     | backend name | manager                         |
//! |-------------|--------------|---------------------------------|
//! | `tokio`     | `tokio`      | [`backends::TokioManager`]      |
//! | `async-std` | `async-std`  | [`backends::AsyncStdManager`]   |
//! | `smol`      | `smol`       | [`backends::SmolManager`]       |
//! | `threads`   | `threads`    | [`backends::ThreadManager`]     |
//!
//! Network services come ready-made: [`net::StreamServer`] and [`net::StreamClient`] (TCP or
//! Unix domain sockets, on whichever backend runs the tree; the client reconnects with a
//! [`Backoff`]) and, with the `http` feature, [`http::HttpServer`] (any tower service, an axum
//! `Router` say, on tokio, smol or async-std); [`net::DatagramServer`] and
//! [`net::DatagramClient`] for UDP, on every backend; with the `zmq` feature, `zmq::ZmqService`
//! (ZeroMQ's REQ/REP, PUB/SUB and PUSH/PULL over TCP or IPC).
//!
//! ```
//! use std::time::Duration;
//! use ginkgo::{async_trait, Backend, BoxError, Context, Readiness, Service};
//!
//! struct HelloWorld;
//!
//! #[async_trait]
//! impl Service for HelloWorld {
//!     async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
//!         ctx.spawn(|ctx| async move {
//!             loop {
//!                 println!("Hello World");
//!                 ctx.sleep(Duration::from_secs(1)).await?;
//!             }
//!         });
//!         Ok(Readiness::Ready)
//!     }
//! }
//!
//! let backend = Backend::default();
//! let hello = backend.service(HelloWorld);
//! backend.block_on(async {
//!     hello.start().await?;
//!     // ... the daemon runs; `hello.serve_forever().await` would wait for its end.
//!     hello.stop().await
//! })?;
//! # Ok::<(), ginkgo::Error>(())
//! ```
//!
//! # Where to go next
//!
//! - **Running it as a daemon.** The [`ginkgo-runner`](../ginkgo_runner/index.html) crate turns a
//!   registry of services into a program's command line, the one the `ginkgo` and `ginkgoctl`
//!   commands have: foreground and daemon runs, signals, reloads, pidfiles, logging, privilege
//!   dropping, systemd notification. Its page is in the same `cargo doc --workspace` build.
//! - **The guide.** An mdBook in the repository's `docs/` folder, from the service model to
//!   building, configuring and packaging a daemon of your own; every Rust block in it is a
//!   doctest. Read its Markdown in `docs/src/`, or build it with `mdbook build docs`, which
//!   writes [`target/book/`](../../book/index.html), beside these pages.
#![doc(test(attr(deny(warnings))))]

mod backend;
#[cfg(any(feature = "tokio", feature = "smol", feature = "async-std", feature = "threads"))]
pub mod net;
pub mod testing;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use backend::{ASYNC, Backend, UnknownBackend};
pub use ginkgo_core::{
    AsyncManager, Backoff, BoxError, Chain, Config, Context, Error, ErrorKind, Failure, Gauge, Intensity, IntoService,
    Readiness, Restart, Service, ServiceHandle, Setting, Snapshot, State, Stopping, Strategy, TaskHandle, TaskResult,
    async_trait, config, setting,
};

/// The backend crates compiled into this build, by cargo feature.
pub mod backends {
    #[cfg(feature = "async-std")]
    pub use ginkgo_asyncstd::AsyncStdManager;
    #[cfg(feature = "smol")]
    pub use ginkgo_asyncstd::SmolManager;
    #[cfg(feature = "threads")]
    pub use ginkgo_threads::ThreadManager;
    #[cfg(feature = "tokio")]
    pub use ginkgo_tokio::TokioManager;
}

#[cfg(all(feature = "http", any(feature = "tokio", feature = "smol", feature = "async-std", feature = "threads")))]
pub mod http;
#[cfg(feature = "tls")]
pub use ginkgo_core::tls;
#[cfg(feature = "zmq")]
pub mod zmq;
