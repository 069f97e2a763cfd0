//! Glue between Ginkgo's service tree and plain OS threads: no async runtime.
//!
//! [`ThreadManager`] runs every task on a thread of its own, driving the task's future with a
//! minimal `block_on`; timers come from one shared timer thread. A task that blocks (in a
//! system call, or in `std::thread::sleep`) only blocks its own thread, so ordinary blocking code
//! works, but it can then only be cancelled at its next await point: a thread still running
//! after `stop_timeout` is reported by the stop, never silently left behind.
//!
//! [`Threads`] is the standard library's blocking TCP and Unix sockets as a
//! [`Transport`](ginkgo_core::net::Transport); [`StreamServer`] and [`StreamClient`] are the
//! services over it, a thread per connection. They are written once, in `ginkgo_core::net`,
//! with what they share with the other backends' (supervising connections, the pace of
//! reconnecting, Unix socket files, [`ListenError`]); what blocking changes is in [`Threads`].
//! [`ThreadsTls`] (feature `tls`) is TLS over those sockets (rustls' blocking streams), whose
//! connections are [`TlsStream`]s.
#![doc(test(attr(deny(warnings))))]

mod connections;
mod manager;
mod services;
#[cfg(feature = "tls")]
mod tls;
mod transport;

pub use ginkgo_core::net::ListenError;
pub use manager::{ThreadManager, block_on};
pub use services::{StreamClient, StreamServer};
#[cfg(feature = "tls")]
pub use tls::{Accepting, ThreadsTls, TlsStream};
pub use transport::{Listener, Stream, Threads};
