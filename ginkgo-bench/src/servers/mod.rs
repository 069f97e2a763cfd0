//! The servers under test, and what runs in them: the same code serves the in-process cases and
//! the `ginkgo-bench-server` and `ginkgo-bench-daemon` programs of the process cases.
//!
//! * [`handlers`]: the echo handler every echo server runs, Ginkgo's and the baseline's.
//! * [`EchoServer`]: an echo server by name: Ginkgo's two, or the hand-written tokio one.
//! * [`TlsEchoServer`]: a TLS echo server by name: Ginkgo's two, or a hand-written
//!   tokio-rustls one; [`BenchCertificate`], the certificate they present.
//! * [`WebServer`]: the hello-world axum app, served by Ginkgo's `HttpServer` or `axum::serve`.
//! * [`SmolWebServer`]: the same app on smol, served by Ginkgo's `HttpServer` or hyper by hand.
//! * [`Running`]: a server started on a runtime, with its address, until stopped.
//! * [`daemon`]: the services the `ginkgo-bench-daemon` command line runs.

pub mod daemon;
mod echo_server;
pub mod handlers;
mod running;
mod smol_web_server;
mod tls_echo_server;
mod web_server;

/// What a server program prints, followed by its address, once it listens.
pub const LISTENING: &str = "listening on ";

pub use echo_server::EchoServer;
pub use running::Running;
pub use smol_web_server::{SmolRunning, SmolWebServer};
pub use tls_echo_server::{BenchCertificate, TlsEchoServer};
pub use web_server::{WebServer, hello_app};
