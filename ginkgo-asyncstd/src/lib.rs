//! Glue between Ginkgo's service tree and the async-std and smol runtimes.
//!
//! * [`SmolManager`] (feature `smol`) runs tasks on smol's global executor. smol is maintained;
//!   prefer it.
//! * [`AsyncStdManager`] (feature `async-std`) runs tasks on async-std's executor. async-std is
//!   discontinued upstream (its authors point to smol); it is here for code that already uses it.
//! * [`StreamServer`] and [`StreamClient`]: TCP services handing the sockets of a [`Runtime`]
//!   ([`Smol`] or [`AsyncStd`]) to a handler.
//!
//! Both executors are shared by the process; a manager holds no runtime of its own. What the
//! network services share with the other backends' (supervising connections, reconnecting,
//! [`ListenError`]) is in `ginkgo_core::net`; a [`Runtime`] binds, accepts and connects.
#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "async-std")]
mod async_std_manager;
mod runtime;
#[cfg(feature = "smol")]
mod smol_manager;
mod stream_client;
mod stream_server;

#[cfg(feature = "async-std")]
pub use async_std_manager::{AsyncStdManager, block_on_async_std};
pub use ginkgo_core::net::ListenError;
#[cfg(feature = "async-std")]
pub use runtime::AsyncStd;
pub use runtime::Runtime;
#[cfg(feature = "smol")]
pub use runtime::Smol;
#[cfg(feature = "smol")]
pub use smol_manager::{SmolManager, block_on_smol};
pub use stream_client::StreamClient;
pub use stream_server::StreamServer;
