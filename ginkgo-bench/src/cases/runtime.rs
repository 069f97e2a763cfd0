//! The tokio runtimes the cases run on: the servers' and the load generators'.

use tokio::runtime::{Builder, Runtime};

/// A multi-threaded tokio runtime with one worker per core and timers enabled: what
/// `#[tokio::main]` builds. Ginkgo's side and the baseline of a case share one, so they get
/// the same threads.
///
/// # Panics
///
/// If the system refuses to start the worker threads.
pub fn tokio_runtime() -> Runtime {
    Builder::new_multi_thread().enable_all().build().expect("the tokio runtime starts")
}

/// The runtime a load generator runs on: like [`tokio_runtime`], but its own, so that the
/// clients' tasks never queue behind the server's on the same workers (they still share the
/// machine's cores, as they would with a client on the same host).
///
/// # Panics
///
/// If the system refuses to start the worker threads.
pub fn load_runtime() -> Runtime {
    Builder::new_multi_thread().thread_name("load").enable_all().build().expect("the load's tokio runtime starts")
}
