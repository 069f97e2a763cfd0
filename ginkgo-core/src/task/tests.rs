//! The task set on its own, driven by [`TestManager`]'s virtual clock, with an owner that
//! records what it is told.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures::FutureExt;

use super::*;
use crate::test_manager::TestManager;

/// An owner that keeps the failures reported to it.
#[derive(Default)]
struct Recorder {
    failures: Mutex<Vec<Error>>,
}

impl Owner for Recorder {
    fn path(&self) -> String {
        "App/Worker".to_string()
    }

    fn task_failed(self: Arc<Self>, err: Error) {
        lock(&self.failures).push(err);
    }
}

/// A task set (shared, so tasks can wait on it) and its owner.
fn task_set() -> (Arc<Recorder>, Arc<TaskSet>) {
    let owner = Arc::new(Recorder::default());
    let weak: Weak<Recorder> = Arc::downgrade(&owner);
    (owner, Arc::new(TaskSet::new(weak)))
}

/// Sets its flag when dropped: shows when a task's future is gone.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    future.poll_unpin(&mut std::task::Context::from_waker(futures::task::noop_waker_ref()))
}

#[test]
fn a_set_that_is_not_open_admits_nothing_and_calls_nothing() {
    let manager = TestManager::new();
    let (_owner, set) = task_set();
    let called = Arc::new(AtomicBool::new(false));
    let try_both = |set: &TaskSet| {
        let (first, second) = (called.clone(), called.clone());
        let spawned = set.spawn(&*manager, move || {
            first.store(true, Ordering::SeqCst);
            async { Ok(()) }
        });
        let blocking = set.spawn_blocking(
            &*manager,
            Box::new(move || {
                second.store(true, Ordering::SeqCst);
                Ok(())
            }),
        );
        [spawned, blocking]
    };

    // Never opened.
    for refused in try_both(&set) {
        let err = manager.block_on(refused).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TaskCancelled);
        assert_eq!(err.to_string(), "App/Worker: task not spawned: the service is not running");
    }
    assert!(!called.load(Ordering::SeqCst));
    assert_eq!(set.live(), 0);

    // Open: both run.
    set.open();
    let [spawned, blocking] = try_both(&set);
    assert_eq!(set.live(), 2);
    manager.run_blocking();
    manager.block_on(spawned).unwrap();
    manager.block_on(blocking).unwrap();
    assert!(called.swap(false, Ordering::SeqCst));
    assert_eq!(set.live(), 0);

    // Told to stop: closed again.
    set.tell_to_stop();
    for refused in try_both(&set) {
        assert_eq!(manager.block_on(refused).unwrap_err().kind(), ErrorKind::TaskCancelled);
    }
    assert!(!called.load(Ordering::SeqCst));
    assert_eq!(set.live(), 0);
}

#[test]
fn a_future_that_panics_while_being_made_is_not_counted() {
    let manager = TestManager::new();
    let (_owner, set) = task_set();
    set.open();
    let made = std::panic::catch_unwind(AssertUnwindSafe(|| {
        set.spawn(&*manager, || -> futures::future::Ready<TaskResult> { panic!("no future today") })
    }));
    assert!(made.is_err());
    assert_eq!(set.live(), 0);
}

#[test]
fn a_wait_for_the_telling_belongs_to_its_own_run() {
    let (_owner, set) = task_set();
    // Never opened: told already; the wait yields once, then resolves.
    assert!(set.is_told_to_stop());
    let mut not_running = Box::pin(set.told_to_stop());
    assert!(poll_once(&mut not_running).is_pending());
    assert!(poll_once(&mut not_running).is_ready());

    set.open();
    assert!(!set.is_told_to_stop());
    let mut first_run = Box::pin(set.told_to_stop());
    assert!(poll_once(&mut first_run).is_pending());
    // The next run opens before the waiter looks again: it still sees its own run's telling.
    set.tell_to_stop();
    set.open();
    assert!(poll_once(&mut first_run).is_ready());
    assert!(!set.is_told_to_stop());
    let mut second_run = Box::pin(set.told_to_stop());
    assert!(poll_once(&mut second_run).is_pending());
}

#[test]
fn a_task_that_ends_when_told_is_not_waited_for_longer() {
    let manager = TestManager::new();
    let (_owner, set) = task_set();
    set.open();
    let tasks = set.clone();
    let handle = set.spawn(&*manager, move || async move {
        tasks.told_to_stop().await;
        Ok(())
    });
    manager.run_until_stalled();
    assert_eq!(set.live(), 1);
    assert_eq!(manager.block_on(set.end_all(&*manager, Duration::from_secs(10))), 0);
    assert_eq!(manager.now(), Duration::ZERO);
    manager.block_on(handle).unwrap();
}

#[test]
fn a_waiting_task_is_cancelled_once_the_grace_is_over() {
    let manager = TestManager::new();
    let (owner, set) = task_set();
    set.open();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let handle = set.spawn(&*manager, move || async move {
        let _flag = flag;
        futures::future::pending::<TaskResult>().await
    });
    manager.run_until_stalled();
    assert_eq!(manager.block_on(set.end_all(&*manager, Duration::from_millis(100))), 0);
    assert_eq!(manager.now(), Duration::from_millis(100));
    assert!(dropped.load(Ordering::SeqCst));
    assert_eq!(set.live(), 0);
    let err = manager.block_on(handle).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TaskCancelled);
    assert_eq!(err.to_string(), "App/Worker: task cancelled");
    // A cancellation is not a failure of the owner.
    assert!(lock(&owner.failures).is_empty());
}

#[test]
fn a_handle_cancels_its_waiting_task() {
    let manager = TestManager::new();
    let (_owner, set) = task_set();
    set.open();
    let handle = set.spawn(&*manager, futures::future::pending);
    manager.run_until_stalled();
    handle.cancel();
    manager.run_until_stalled();
    assert!(handle.is_finished());
    assert_eq!(set.live(), 0);
    assert_eq!(manager.block_on(handle).unwrap_err().kind(), ErrorKind::TaskCancelled);
}

#[test]
fn a_stopper_is_cancelled_without_waiting_for_the_grace() {
    let manager = TestManager::new();
    let (_owner, set) = task_set();
    set.open();
    let handle = set.spawn(&*manager, || async {
        // What `Context::stop` does from inside a task of its own service, before it waits.
        mark_current_task_as_stopper();
        futures::future::pending::<TaskResult>().await
    });
    manager.run_until_stalled();
    assert_eq!(set.shared.stoppers.load(Ordering::SeqCst), 1);
    assert_eq!(manager.block_on(set.end_all(&*manager, Duration::from_secs(10))), 0);
    assert_eq!(manager.now(), Duration::ZERO);
    assert_eq!(manager.block_on(handle).unwrap_err().kind(), ErrorKind::TaskCancelled);
    assert_eq!(set.shared.stoppers.load(Ordering::SeqCst), 0);
    assert!(lock(&set.shared.waiting).is_empty());
}

#[test]
fn the_stop_waits_for_the_tasks_that_are_not_stoppers() {
    let manager = TestManager::new();
    let (_owner, set) = task_set();
    set.open();
    let stopper = set.spawn(&*manager, || async {
        mark_current_task_as_stopper();
        futures::future::pending::<TaskResult>().await
    });
    let tasks = set.clone();
    let manager_for_task = manager.clone();
    let slow = set.spawn(&*manager, move || async move {
        tasks.told_to_stop().await;
        // Takes a second to wind down, within the grace.
        manager_for_task.sleep(Duration::from_secs(1)).await;
        Ok(())
    });
    manager.run_until_stalled();
    assert_eq!(manager.block_on(set.end_all(&*manager, Duration::from_secs(10))), 0);
    assert_eq!(manager.now(), Duration::from_secs(1));
    manager.block_on(slow).unwrap();
    assert_eq!(manager.block_on(stopper).unwrap_err().kind(), ErrorKind::TaskCancelled);
}

#[test]
fn work_the_runtime_drops_is_cancelled() {
    let manager = TestManager::new();
    let (owner, set) = task_set();
    set.open();
    let waited = set.spawn(&*manager, futures::future::pending);
    manager.run_until_stalled();
    let never_polled = set.spawn(&*manager, || async { Ok(()) });
    assert_eq!(set.live(), 2);
    manager.drop_all();
    assert_eq!(set.live(), 0);
    assert!(lock(&set.shared.waiting).is_empty());
    for handle in [waited, never_polled] {
        assert_eq!(manager.block_on(handle).unwrap_err().kind(), ErrorKind::TaskCancelled);
    }
    assert!(lock(&owner.failures).is_empty());
}

#[test]
fn a_failing_or_panicking_task_is_reported_to_its_owner() {
    let manager = TestManager::new();
    let (owner, set) = task_set();
    set.open();
    let failed = set.spawn(&*manager, || async { Err("bad input".into()) });
    let panicked = set.spawn(&*manager, || async { panic!("boom") });
    let stopped = set.spawn(&*manager, || async { Err(Stopping.into()) });
    let failed = manager.block_on(failed).unwrap_err();
    let panicked = manager.block_on(panicked).unwrap_err();
    manager.block_on(stopped).expect("ending with Stopping is a clean end");
    assert_eq!(failed.kind(), ErrorKind::TaskFailed);
    assert_eq!(failed.chain().to_string(), "App/Worker: task failed: bad input");
    assert_eq!(panicked.kind(), ErrorKind::TaskPanicked);
    assert_eq!(panicked.chain().to_string(), "App/Worker: task panicked: boom");
    let reported: Vec<String> = lock(&owner.failures).iter().map(|e| e.chain().to_string()).collect();
    assert_eq!(reported, [failed.chain().to_string(), panicked.chain().to_string()]);
    assert_eq!(set.live(), 0);
}

#[test]
fn blocking_work_is_counted_until_it_returns() {
    let manager = TestManager::new();
    let (_owner, set) = task_set();
    set.open();
    let handle = set.spawn_blocking(&*manager, Box::new(|| Ok(())));
    // The work has not run: it cannot be told, nor cancelled.
    let grace = Duration::from_millis(50);
    assert_eq!(manager.block_on(set.end_all(&*manager, grace)), 1);
    assert_eq!(manager.now(), grace * 2);
    assert_eq!(set.live(), 1);
    manager.run_blocking();
    assert_eq!(set.live(), 0);
    manager.block_on(handle).unwrap();
}

#[test]
fn a_task_of_an_earlier_run_is_cancelled_even_if_it_is_first_polled_later() {
    let runtime = TestManager::new();
    let (_owner, set) = task_set();
    set.open();
    // Spawned on a runtime that does not poll it during the stop: the stop cannot reach it.
    let late = set.spawn(&*runtime, futures::future::pending);
    let timers = TestManager::new();
    assert_eq!(timers.block_on(set.end_all(&*timers, Duration::from_millis(10))), 1);
    // The next run begins; the runtime polls both runs' tasks.
    set.open();
    let current = set.spawn(&*runtime, || async { Ok(()) });
    runtime.run_until_stalled();
    assert_eq!(runtime.block_on(late).unwrap_err().kind(), ErrorKind::TaskCancelled);
    runtime.block_on(current).unwrap();
    assert_eq!(set.live(), 0);
}
