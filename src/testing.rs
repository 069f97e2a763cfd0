//! Testing a service on every backend compiled in.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use crate::Backend;

/// Runs `body` once on every backend compiled in (see [`Backend::available`]), each time
/// inside that backend's runtime. Every backend runs even if one fails; the test then fails
/// naming the backends that did.
///
/// ```
/// use ginkgo::{Service, State};
/// use ginkgo::testing::each_backend;
///
/// struct Quiet;
/// impl Service for Quiet {}
///
/// each_backend(|backend| async move {
///     let quiet = backend.service(Quiet);
///     quiet.start().await.unwrap();
///     assert_eq!(quiet.state(), State::Ready);
///     quiet.stop().await.unwrap();
/// });
/// ```
///
/// # Panics
///
/// When `body` panicked on any backend, after all backends have run.
pub fn each_backend<F, Fut>(body: F)
where
    F: Fn(Backend) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut failed = Vec::new();
    let mut first_panic = None;
    for &backend in Backend::available() {
        let outcome = catch_unwind(AssertUnwindSafe(|| backend.block_on(body(backend))));
        if let Err(panic) = outcome {
            eprintln!("each_backend: the test failed on backend `{backend}`");
            failed.push(backend.name());
            first_panic.get_or_insert(panic);
        }
    }
    if let Some(panic) = first_panic {
        if failed.len() > 1 {
            eprintln!("each_backend: failed on {}", failed.join(", "));
        }
        resume_unwind(panic);
    }
}

/// How long [`within`] and [`until`] wait: far above what a passing test needs, so it only turns
/// a hang into a failure, never a slow run into a flaky one.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs `future` on `backend` and returns its output, or panics naming `what` if it is not done
/// within [`DEADLINE`]: a deadline for a test's waits, instead of sleeps.
///
/// ```
/// use ginkgo::testing::{each_backend, within};
///
/// each_backend(|backend| async move {
///     let answer = within(backend, "the answer", async { 42 }).await;
///     assert_eq!(answer, 42);
/// });
/// ```
///
/// # Panics
///
/// When `future` takes longer than [`DEADLINE`].
pub async fn within<T>(backend: Backend, what: &str, future: impl Future<Output = T>) -> T {
    use futures::future::{Either, select};
    match select(std::pin::pin!(future), backend.manager().sleep(DEADLINE)).await {
        Either::Left((output, _)) => output,
        Either::Right(_) => panic!("{what}: still not done after {DEADLINE:?} on {backend}"),
    }
}

/// Waits until `done()` holds, looking every 2 ms, at most [`DEADLINE`]: for conditions that
/// have no event to await (a counter, a flag set by another thread).
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use ginkgo::testing::{each_backend, until};
///
/// each_backend(|backend| async move {
///     let flag = AtomicBool::new(true);
///     until(backend, "the flag", || flag.load(Ordering::SeqCst)).await;
/// });
/// ```
///
/// # Panics
///
/// When `done()` still does not hold after [`DEADLINE`].
pub async fn until(backend: Backend, what: &str, done: impl Fn() -> bool) {
    let manager = backend.manager();
    within(backend, what, async {
        while !done() {
            manager.sleep(std::time::Duration::from_millis(2)).await;
        }
    })
    .await;
}
