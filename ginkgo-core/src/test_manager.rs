//! A manager for ginkgo-core's own unit tests: a deterministic executor on a virtual clock.
//!
//! Spawned futures wait in a queue until the test drives them ([`TestManager::block_on`],
//! [`TestManager::run_until_stalled`]); blocking work waits until
//! [`TestManager::run_blocking`]. Time passes only when nothing else can happen, and then jumps
//! to the next timer, so a test can tell exactly how long a wait took. No threads, no runtime.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Poll, Waker};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::task::{ArcWake, waker};

use crate::state::lock;
use crate::{AsyncManager, Service};

/// See the module documentation.
#[derive(Clone, Default)]
pub(crate) struct TestManager {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Jobs woken and not yet polled again.
    ready: Mutex<VecDeque<Arc<Job>>>,
    /// Every job spawned, so that [`TestManager::drop_all`] can drop them.
    jobs: Mutex<Vec<Arc<Job>>>,
    blocking: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    clock: Mutex<Clock>,
}

#[derive(Default)]
struct Clock {
    now: Duration,
    timers: Vec<(Duration, Waker)>,
}

/// A spawned future, until it completes or is dropped.
struct Job {
    future: Mutex<Option<BoxFuture<'static, ()>>>,
    inner: Weak<Inner>,
}

impl ArcWake for Job {
    fn wake_by_ref(job: &Arc<Self>) {
        if let Some(inner) = job.inner.upgrade() {
            lock(&inner.ready).push_back(job.clone());
        }
    }
}

impl TestManager {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(TestManager::default())
    }

    /// How much virtual time has passed.
    pub(crate) fn now(&self) -> Duration {
        lock(&self.inner.clock).now
    }

    /// Drives `future` and the spawned jobs until `future` is done, moving the clock on to the
    /// next timer whenever nothing else can run.
    ///
    /// # Panics
    ///
    /// When nothing can run and no timer is set: `future` would wait forever.
    pub(crate) fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        let woken = Arc::new(Flag(AtomicBool::new(true)));
        let main_waker = waker(woken.clone());
        let mut cx = std::task::Context::from_waker(&main_waker);
        let mut future = std::pin::pin!(future);
        loop {
            if woken.0.swap(false, Ordering::SeqCst) {
                if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                    return output;
                }
            }
            if self.run_ready() || woken.0.load(Ordering::SeqCst) {
                continue;
            }
            assert!(self.advance(), "block_on: nothing can run and no timer is set");
        }
    }

    /// Polls the woken jobs until none is left; the clock does not move.
    pub(crate) fn run_until_stalled(&self) {
        while self.run_ready() {}
    }

    /// Runs the blocking work queued so far, on the calling thread.
    pub(crate) fn run_blocking(&self) {
        let work = std::mem::take(&mut *lock(&self.inner.blocking));
        work.into_iter().for_each(|work| work());
    }

    /// Drops every spawned future that has not completed, as a runtime shutting down does.
    pub(crate) fn drop_all(&self) {
        let jobs = std::mem::take(&mut *lock(&self.inner.jobs));
        for job in jobs {
            let future = lock(&job.future).take();
            drop(future);
        }
    }

    /// Polls the jobs woken so far once each; true if there was one.
    fn run_ready(&self) -> bool {
        let ready = std::mem::take(&mut *lock(&self.inner.ready));
        let any = !ready.is_empty();
        for job in ready {
            let job_waker = waker(job.clone());
            let mut cx = std::task::Context::from_waker(&job_waker);
            let mut slot = lock(&job.future);
            if let Some(future) = slot.as_mut() {
                if future.as_mut().poll(&mut cx).is_ready() {
                    *slot = None;
                }
            }
        }
        any
    }

    /// Moves the clock to the next timer and wakes what waits for it; false if there is none.
    fn advance(&self) -> bool {
        let mut clock = lock(&self.inner.clock);
        let Some(next) = clock.timers.iter().map(|(at, _)| *at).min() else {
            return false;
        };
        clock.now = next;
        let (due, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut clock.timers).into_iter().partition(|(at, _)| *at <= next);
        clock.timers = later;
        drop(clock);
        due.into_iter().for_each(|(_, waker)| waker.wake());
        true
    }
}

struct Flag(AtomicBool);

impl ArcWake for Flag {
    fn wake_by_ref(flag: &Arc<Self>) {
        flag.0.store(true, Ordering::SeqCst);
    }
}

/// Completes once the virtual clock reaches `at`.
struct Sleep {
    at: Duration,
    inner: Arc<Inner>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let mut clock = lock(&self.inner.clock);
        if clock.now >= self.at {
            return Poll::Ready(());
        }
        clock.timers.push((self.at, cx.waker().clone()));
        Poll::Pending
    }
}

impl Service for TestManager {}

impl AsyncManager for TestManager {
    fn backend(&self) -> &'static str {
        "test"
    }

    fn new_manager(&self) -> Arc<dyn AsyncManager> {
        Arc::new(self.clone())
    }

    fn spawn(&self, future: BoxFuture<'static, ()>) {
        let job = Arc::new(Job { future: Mutex::new(Some(future)), inner: Arc::downgrade(&self.inner) });
        lock(&self.inner.jobs).push(job.clone());
        lock(&self.inner.ready).push_back(job);
    }

    fn spawn_blocking(&self, work: Box<dyn FnOnce() + Send + 'static>) {
        lock(&self.inner.blocking).push(work);
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(Sleep { at: self.now() + duration, inner: self.inner.clone() })
    }
}
