//! The liveness probe: does the runtime that runs the tree still run tasks? A task is spawned on
//! it and must run within a short time, as the watchdog's pings come from the runtime itself
//! (see `process::ping_watchdog`): a thread beside the runtime would go on answering while the
//! runtime is wedged, which is exactly what the probe is there to see.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use ginkgo::AsyncManager;

/// At most one probe task is waiting to run at a time: while one waits, later callers wait for
/// it too, so a wedged runtime holds a single probe however often `/livez` is asked.
#[derive(Default)]
pub(crate) struct Probe {
    last: Mutex<Option<Arc<Ran>>>,
}

/// Whether a probe task has run.
#[derive(Default)]
struct Ran {
    done: Mutex<bool>,
    changed: Condvar,
}

impl Ran {
    fn set(&self) {
        *self.done.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.changed.notify_all();
    }

    fn is_set(&self) -> bool {
        *self.done.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until it is set, at most `limit`; true if it was.
    fn wait(&self, limit: Duration) -> bool {
        let done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        let (done, _) =
            self.changed.wait_timeout_while(done, limit, |done| !*done).unwrap_or_else(PoisonError::into_inner);
        *done
    }
}

impl Probe {
    /// True if a task on `runtime` runs within `limit`: the one waiting already, or a new one.
    pub(crate) fn runtime_answers(&self, runtime: &Arc<dyn AsyncManager>, limit: Duration) -> bool {
        let ran = {
            let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            match &*last {
                Some(waiting) if !waiting.is_set() => waiting.clone(),
                _ => {
                    let ran = Arc::new(Ran::default());
                    let task = ran.clone();
                    runtime.spawn(Box::pin(async move { task.set() }));
                    *last = Some(ran.clone());
                    ran
                }
            }
        };
        ran.wait(limit)
    }
}

#[cfg(test)]
mod tests {
    use futures::future::BoxFuture;
    use ginkgo::Service;

    use super::*;

    /// A runtime that runs nothing: what it is given waits, as on a wedged executor.
    #[derive(Default)]
    struct Wedged(Mutex<Vec<BoxFuture<'static, ()>>>);

    impl Service for Wedged {}

    impl AsyncManager for Wedged {
        fn backend(&self) -> &'static str {
            "wedged"
        }

        fn new_manager(&self) -> Arc<dyn AsyncManager> {
            Arc::new(Wedged::default())
        }

        fn spawn(&self, future: BoxFuture<'static, ()>) {
            self.0.lock().unwrap().push(future);
        }

        fn spawn_blocking(&self, _work: Box<dyn FnOnce() + Send + 'static>) {}

        fn sleep(&self, _duration: Duration) -> BoxFuture<'static, ()> {
            Box::pin(futures::future::pending())
        }
    }

    #[test]
    fn a_wedged_runtime_fails_the_probe_and_holds_one_probe_task() {
        let wedged = Arc::new(Wedged::default());
        let runtime: Arc<dyn AsyncManager> = wedged.clone();
        let probe = Probe::default();
        for _ in 0..3 {
            assert!(!probe.runtime_answers(&runtime, Duration::from_millis(5)));
        }
        assert_eq!(wedged.0.lock().unwrap().len(), 1, "one probe task, however often asked");
        // The runtime comes back: the waiting probe runs, and the next one is asked anew.
        for task in wedged.0.lock().unwrap().drain(..) {
            futures::executor::block_on(task);
        }
        assert!(!probe.runtime_answers(&runtime, Duration::from_millis(5)), "a new task, not yet run");
        assert_eq!(wedged.0.lock().unwrap().len(), 1);
        let task = wedged.0.lock().unwrap().pop().unwrap();
        let runner = std::thread::spawn(move || futures::executor::block_on(task));
        assert!(probe.runtime_answers(&runtime, Duration::from_secs(20)), "the waiting task ran");
        runner.join().unwrap();
    }
}
