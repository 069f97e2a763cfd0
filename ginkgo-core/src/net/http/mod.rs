//! `HttpServer`: any tower service over hyper, written once for every runtime, over the sockets
//! of an [`HttpTransport`] (a [`Transport`](super::Transport) whose streams hyper can read and
//! write).
//!
//! * [`server`]: the service, its builder and its start;
//! * [`connection`]: one connection served by hyper until it closes, waits too long, or the
//!   service stops;
//! * [`transport`]: [`HttpTransport`], the glue each runtime gives hyper, and [`HyperIo`]
//!   ([`hyper_io`]), the glue for streams of the `futures::io` traits;
//! * [`executor`] and [`timer`]: hyper's executor and timer, over the service's own tasks and
//!   its manager's sleeps, so that hyper needs nothing of a runtime's.

mod connection;
mod executor;
mod hyper_io;
mod server;
mod timer;
mod transport;

pub use hyper_io::HyperIo;
pub use server::HttpServer;
pub use transport::HttpTransport;
