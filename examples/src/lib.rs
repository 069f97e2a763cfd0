//! The services of the Ginkgo manual, written with Ginkgo for Rust.
//!
//! Each module is the Rust twin of one of the manual's examples; the `hello` example program
//! runs [`hello::HelloWorld`], the `quickstart` one any service of [`quickstart`], the
//! `supervision` one [`supervision::Relay`] (the guide's chapter on supervision); [`udp::Counter`]
//! is the transports chapter's UDP example, and [`zmq`] the ZeroMQ chapter's services.

mod guide;
pub mod hello;
pub mod quickstart;
pub mod registry;
pub mod service;
pub mod supervision;
pub mod udp;
pub mod zmq;
