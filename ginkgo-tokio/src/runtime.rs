//! The process-wide tokio runtime used when no runtime is current.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

/// The shared multi-threaded runtime, built on first use with one worker per core.
///
/// # Panics
///
/// If the operating system refuses to start the runtime's threads.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("ginkgo-tokio")
            .build()
            .expect("the tokio runtime's worker threads could not be started")
    })
}

/// Runs `future` to completion on the shared runtime, blocking the calling thread.
///
/// Call it from synchronous code (such as `main`); inside a tokio runtime, `.await` instead.
pub fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}
