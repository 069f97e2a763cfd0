//! Glue between Ginkgo's service tree and plain OS threads: no async runtime.
//!
//! [`ThreadManager`] runs every task on a thread of its own, driving the task's future with a
//! minimal `block_on`; timers come from one shared timer thread. A task that blocks (in a
//! system call, or in `std::thread::sleep`) only blocks its own thread, so ordinary blocking code
//! works, but it can then only be cancelled at its next await point: a thread still running
//! after `stop_timeout` is reported by the stop, never silently left behind.
//!
//! [`StreamServer`] and [`StreamClient`] are TCP services with plain blocking handlers on
//! `std::net::TcpStream`s, a thread per connection. What they share with the other backends'
//! (supervising connections, the pace of reconnecting, [`ListenError`]) is in
//! `ginkgo_core::net`.
#![doc(test(attr(deny(warnings))))]

mod connections;
mod manager;
mod stream_client;
mod stream_server;

pub use ginkgo_core::net::ListenError;
pub use manager::{ThreadManager, block_on};
pub use stream_client::StreamClient;
pub use stream_server::StreamServer;
