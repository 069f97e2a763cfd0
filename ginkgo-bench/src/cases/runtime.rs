//! The tokio runtime that both sides of a tokio case run on.

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
