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
