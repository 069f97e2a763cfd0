//! The services of the Ginkgo manual, written with Ginkgo for Rust.
//!
//! Each module is the Rust twin of one of the manual's examples; the `hello` example program
//! runs [`hello::HelloWorld`].

pub mod hello;
pub mod registry;
pub mod service;
