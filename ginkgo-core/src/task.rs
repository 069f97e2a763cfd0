//! The tasks a service owns: admitting them, handles to await them, telling them to stop, and
//! cancelling what is left.
//!
//! This is the layer below [`Context`](crate::Context): it knows nothing of services. Its owner
//! gives it an [`Owner`], through which it learns the owner's path and reports a failed task.

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::Poll;
use std::time::Duration;

use event_listener::{Event, listener};
use futures::future::{Either, select};
use futures::task::AtomicWaker;
use pin_project_lite::pin_project;

use crate::AsyncManager;
use crate::error::{BoxError, Error, ErrorKind, Stopping};
use crate::state::lock;

#[cfg(test)]
mod tests;

/// What a task returns. `Err(Stopping)` (from `?` on [`Context::sleep`]) counts as a clean end.
///
/// [`Context::sleep`]: crate::Context::sleep
pub type TaskResult = Result<(), BoxError>;

/// How long a cancelled task may take to actually end before it is reported as stuck.
const CANCEL_GRACE: Duration = Duration::from_millis(100);

/// What a task set needs from the one that owns it. The set holds it weakly: the owner owns the
/// set, not the other way round.
pub(crate) trait Owner: Send + Sync + 'static {
    /// The owner's path, for the errors and logs about its tasks.
    fn path(&self) -> String;

    /// One of the tasks failed or panicked; `err` says which and why. Called before the task
    /// counts as ended.
    fn task_failed(self: Arc<Self>, err: Error);
}

thread_local! {
    /// What this thread is polling: 0 when no task; otherwise the task's set (its [`TaskSet::id`],
    /// an address, so its lowest bit is free) with [`STOPPER`] set if that task asked, during
    /// this poll, for a stop that will end it. One word, read and written whole.
    static CURRENT: Cell<usize> = const { Cell::new(0) };
}

/// The bit of [`CURRENT`] that marks a stopper.
const STOPPER: usize = 1;

/// The task set of the task running on this thread, if any.
pub(crate) fn current_task_set() -> Option<usize> {
    CURRENT.with(|c| Some(c.get() & !STOPPER).filter(|&set| set != 0))
}

/// Notes that the task being polled asked for a stop that will end it: the stop does not wait
/// for it (it waits for the stop), it only cancels it.
pub(crate) fn mark_current_task_as_stopper() {
    CURRENT.with(|c| {
        if c.get() != 0 {
            c.set(c.get() | STOPPER);
        }
    });
}

/// Makes a task of `set` the current one for one poll or one blocking call; returns what was
/// current before, for [`leave`]. The call between the two must not unwind (it runs in
/// `catch_unwind`).
#[inline]
fn enter(set: usize) -> usize {
    CURRENT.with(|c| c.replace(set))
}

/// Gives back what was current before [`enter`]; true if the task marked itself a stopper.
#[inline]
fn leave(before: usize) -> bool {
    CURRENT.with(|c| c.replace(before) & STOPPER != 0)
}

/// [`TaskCell::progress`]: the outcome is known.
const FINISHED: u8 = 1;
/// [`TaskCell::progress`]: the outcome is a failure, kept in [`TaskCell::failure`].
const FAILED: u8 = 2;
/// [`TaskCell::progress`]: the task no longer counts as alive; what the handle waits for.
const SETTLED: u8 = 4;

/// Shared between a running task and its [`TaskHandle`].
///
/// Only the task writes `progress` (plain stores, no read-modify-write), and a task that ends
/// well never takes the `failure` lock: the cell costs the spawn path as little as it can.
struct TaskCell {
    cancelled: AtomicBool,
    /// The task's waker while it waits, so a cancellation can wake it.
    task_waker: AtomicWaker,
    /// [`FINISHED`], [`FAILED`] and [`SETTLED`], in that order.
    progress: AtomicU8,
    /// Why the task failed or that it was cancelled; written before `progress` says so.
    failure: Mutex<Option<Error>>,
    joiner: AtomicWaker,
}

impl TaskCell {
    fn new() -> Arc<Self> {
        Arc::new(TaskCell {
            cancelled: AtomicBool::new(false),
            task_waker: AtomicWaker::new(),
            progress: AtomicU8::new(0),
            failure: Mutex::new(None),
            joiner: AtomicWaker::new(),
        })
    }

    fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.task_waker.wake();
    }

    #[inline]
    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    fn progress(&self) -> u8 {
        self.progress.load(Ordering::Acquire)
    }

    /// Records the outcome: the task is finished (still counted alive).
    fn record(&self, outcome: Result<(), Error>) {
        match outcome {
            Ok(()) => self.progress.store(FINISHED, Ordering::Release),
            Err(err) => {
                *lock(&self.failure) = Some(err);
                self.progress.store(FINISHED | FAILED, Ordering::Release);
            }
        }
    }

    /// The task is no longer counted alive: its handle resolves.
    fn settle(&self) {
        self.progress.store(self.progress() | SETTLED, Ordering::Release);
        self.joiner.wake();
    }

    /// The outcome, once [`SETTLED`].
    fn outcome(&self, progress: u8) -> Result<(), Error> {
        if progress & FAILED == 0 {
            return Ok(());
        }
        Err(match &*lock(&self.failure) {
            Some(err) => err.clone(),
            None => Error::new(ErrorKind::TaskCancelled, "", "task ended without an outcome"),
        })
    }
}

/// A task's id: where its cell lives, unique for as long as the task is alive.
fn task_id(cell: &Arc<TaskCell>) -> u64 {
    Arc::as_ptr(cell) as usize as u64
}

/// A handle to a spawned task: await it for its result, or cancel it.
///
/// Dropping the handle does not cancel the task; the task still ends when its service stops.
pub struct TaskHandle {
    cell: Arc<TaskCell>,
}

impl TaskHandle {
    /// Cancels the task at its next await point: its future is dropped without being polled
    /// again. Blocking work cannot be cancelled.
    pub fn cancel(&self) {
        self.cell.cancel();
    }

    /// True once the task has ended, whichever way.
    pub fn is_finished(&self) -> bool {
        self.cell.progress() & FINISHED != 0
    }

    fn ended(outcome: Result<(), Error>) -> Self {
        let cell = TaskCell::new();
        cell.record(outcome);
        cell.settle();
        TaskHandle { cell }
    }
}

impl Future for TaskHandle {
    /// `Ok` when the task ended cleanly; otherwise why it failed or that it was cancelled.
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let mut progress = self.cell.progress();
        if progress & SETTLED == 0 {
            self.cell.joiner.register(cx.waker());
            progress = self.cell.progress();
            if progress & SETTLED == 0 {
                return Poll::Pending;
            }
        }
        Poll::Ready(self.cell.outcome(progress))
    }
}

/// A task that has waited at least once: it may need waking to be cancelled.
struct Waiting {
    cell: Arc<TaskCell>,
    /// It asked for the stop that ends it: the stop does not wait for it.
    stopper: bool,
}

struct Shared {
    /// Where the set is: odd while it admits tasks (from [`TaskSet::open`] until its tasks are
    /// told to stop), even otherwise (never opened, or told to stop). Opening and telling each
    /// move it on by one, so every run of the owner has phases of its own.
    phase: AtomicUsize,
    /// Notified when the tasks are told to stop.
    told: Event,
    /// Tasks spawned and not yet ended, blocking work included.
    live: AtomicUsize,
    /// The tasks spawned in this phase or earlier are cancelled at their next poll: set by a
    /// stop to the phase it told, so it never reaches the tasks of a later run.
    cancelled_through: AtomicUsize,
    /// Only the tasks that have waited: a task that runs to its end in one poll never takes
    /// this lock.
    waiting: Mutex<HashMap<u64, Waiting>>,
    /// How many entries of `waiting` are stoppers (kept with the map, under its lock).
    stoppers: AtomicUsize,
    /// Notified when a task ends while the set is told to stop, which is when a stop listens.
    ended: Event,
    owner: Weak<dyn Owner>,
}

/// The tasks of one owner, run after run.
pub(crate) struct TaskSet {
    shared: Arc<Shared>,
}

impl TaskSet {
    /// A set that admits nothing until [`open`](TaskSet::open)ed.
    pub(crate) fn new(owner: Weak<dyn Owner>) -> Self {
        TaskSet {
            shared: Arc::new(Shared {
                phase: AtomicUsize::new(0),
                told: Event::new(),
                live: AtomicUsize::new(0),
                cancelled_through: AtomicUsize::new(0),
                waiting: Mutex::new(HashMap::new()),
                stoppers: AtomicUsize::new(0),
                ended: Event::new(),
                owner,
            }),
        }
    }

    /// An identity for [`current_task_set`] comparisons: an address, aligned to more than 1.
    pub(crate) fn id(&self) -> usize {
        self.shared.id()
    }

    /// Admits tasks, until they are told to stop: called when the owner starts a run.
    pub(crate) fn open(&self) {
        let _ = self.shared.phase.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |p| (p % 2 == 0).then_some(p + 1));
    }

    /// Admits no more tasks and tells those alive to stop: [`told_to_stop`](TaskSet::told_to_stop)
    /// resolves, and so [`Context::sleep`](crate::Context::sleep) and the like return `Stopping`.
    pub(crate) fn tell_to_stop(&self) {
        let _ = self.shared.phase.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |p| (p % 2 == 1).then_some(p + 1));
        self.shared.told.notify(usize::MAX);
    }

    /// True unless the set is open: its tasks have been told to stop, or it was never opened.
    pub(crate) fn is_told_to_stop(&self) -> bool {
        self.shared.phase.load(Ordering::SeqCst) % 2 == 0
    }

    /// Resolves when the tasks of the current phase are told to stop. If they already are (or
    /// the set is not open), it returns after yielding to the executor once: a task that loops
    /// on such a wait still reaches a point where it can be cancelled, and lets other tasks run.
    pub(crate) async fn told_to_stop(&self) {
        let phase = self.shared.phase.load(Ordering::SeqCst);
        if phase % 2 == 0 {
            YieldNow(false).await;
            return;
        }
        loop {
            listener!(self.shared.told => told);
            if self.shared.phase.load(Ordering::SeqCst) != phase {
                return;
            }
            told.await;
        }
    }

    /// How many tasks are alive, blocking work included.
    pub(crate) fn live(&self) -> usize {
        self.shared.live.load(Ordering::SeqCst)
    }

    /// Counts a new task in, unless the set is not open: then a handle reporting cancellation.
    /// Returns the phase the task belongs to.
    fn admit(&self) -> Result<usize, TaskHandle> {
        // Counted before the check, and a stop tells the tasks before it counts them: one of
        // the two always sees the other.
        self.shared.live.fetch_add(1, Ordering::SeqCst);
        let phase = self.shared.phase.load(Ordering::SeqCst);
        if phase % 2 == 0 {
            self.shared.count_out();
            let path = self.shared.owner_path();
            log::debug!("{path}: task not spawned, the service is not running");
            return Err(TaskHandle::ended(Err(Error::new(
                ErrorKind::TaskCancelled,
                path,
                "task not spawned: the service is not running",
            ))));
        }
        Ok(phase)
    }

    /// Spawns the future `make` returns, if the set is open; `make` is called only then.
    pub(crate) fn spawn<F, Fut>(&self, manager: &dyn AsyncManager, make: F) -> TaskHandle
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        let phase = match self.admit() {
            Ok(phase) => phase,
            Err(refused) => return refused,
        };
        let admitted = Admitted(&self.shared);
        let future = make();
        std::mem::forget(admitted);
        let cell = TaskCell::new();
        manager.spawn(Box::pin(Supervised::new(cell.clone(), self.shared.clone(), phase, future)));
        TaskHandle { cell }
    }

    /// Runs `work` where it may block, if the set is open; `work` is called only then.
    pub(crate) fn spawn_blocking(
        &self,
        manager: &dyn AsyncManager,
        work: Box<dyn FnOnce() -> TaskResult + Send + 'static>,
    ) -> TaskHandle {
        if let Err(refused) = self.admit() {
            return refused;
        }
        let cell = TaskCell::new();
        let shared = self.shared.clone();
        let task_cell = cell.clone();
        manager.spawn_blocking(Box::new(move || {
            // Blocking work is never waited for as a stopper (it cannot park): whether it marked
            // itself one does not matter.
            let before = enter(shared.id());
            let result = catch_unwind(AssertUnwindSafe(work));
            leave(before);
            shared.finish(&task_cell, false, result);
        }));
        TaskHandle { cell }
    }

    /// The handle of a task that could not be spawned: its owner has no manager yet.
    pub(crate) fn spawn_without_manager(&self) -> TaskHandle {
        let path = self.shared.owner_path();
        log::debug!("{path}: task not spawned, the service has no async manager");
        TaskHandle::ended(Err(Error::new(
            ErrorKind::NoManager,
            path,
            "task not spawned: the service has no async manager",
        )))
    }

    /// Ends every task: tells them to stop, gives them up to `grace` to finish, then cancels
    /// them. Returns how many could not be ended (blocking work, or a task stuck outside an
    /// await point). A task that asked for this stop (a stopper) is not waited for, only
    /// cancelled.
    pub(crate) async fn end_all(&self, manager: &dyn AsyncManager, grace: Duration) -> usize {
        self.tell_to_stop();
        let shared = &self.shared;
        let only_stoppers_left = || shared.live.load(Ordering::SeqCst) <= shared.stoppers.load(Ordering::SeqCst);
        if !self.wait_for(manager, grace, only_stoppers_left).await {
            let remaining = self.live();
            log::debug!("{}: cancelling {remaining} task(s) still running after {grace:?}", shared.owner_path());
        }
        shared.cancelled_through.store(shared.phase.load(Ordering::SeqCst), Ordering::SeqCst);
        for waiting in lock(&shared.waiting).values() {
            waiting.cell.cancel();
        }
        if self.wait_for(manager, CANCEL_GRACE.min(grace), || self.live() == 0).await {
            return 0;
        }
        let stuck = self.live();
        log::error!(
            "{}: {stuck} task(s) did not end within stop_timeout ({grace:?}) and could not be cancelled; \
             they keep running until they return",
            shared.owner_path()
        );
        stuck
    }

    /// Waits until `done` holds, at most `limit`; true if it holds. The timer is made only if
    /// `done` does not hold at once (a service with no tasks left needs none).
    async fn wait_for(&self, manager: &dyn AsyncManager, limit: Duration, done: impl Fn() -> bool) -> bool {
        if done() {
            return true;
        }
        let mut timer = manager.sleep(limit);
        loop {
            if done() {
                return true;
            }
            listener!(self.shared.ended => ended);
            if done() {
                return true;
            }
            match select(ended, timer).await {
                Either::Left((_, rest)) => timer = rest,
                Either::Right(_) => return done(),
            }
        }
    }
}

/// A task counted in whose future is being made: counted out again if making it panics.
struct Admitted<'a>(&'a Shared);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.count_out();
    }
}

impl Shared {
    #[inline]
    fn id(&self) -> usize {
        self as *const Shared as usize
    }

    fn owner_path(&self) -> String {
        self.owner.upgrade().map(|owner| owner.path()).unwrap_or_default()
    }

    /// One task fewer; a stop that is listening hears of it.
    fn count_out(&self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
        if self.phase.load(Ordering::SeqCst) % 2 == 0 {
            self.ended.notify(usize::MAX);
        }
    }

    /// Records how a task ended, reports a failure to the owner, and counts the task out. The
    /// handle learns the outcome first and settles last, so a stop that saw the task end finds
    /// its handle finished, and whoever awaited the handle finds the task no longer alive.
    fn finish(&self, cell: &Arc<TaskCell>, waited: bool, result: Result<TaskResult, Box<dyn Any + Send>>) {
        let outcome = match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) if err.is::<Stopping>() => Ok(()),
            Ok(Err(err)) => Err(Error::new(ErrorKind::TaskFailed, self.owner_path(), "task failed").with_source(err)),
            Err(panic) => Err(Error::new(ErrorKind::TaskPanicked, self.owner_path(), "task panicked")
                .with_source(panic_message(panic.as_ref()))),
        };
        if let Err(err) = &outcome {
            if let Some(owner) = self.owner.upgrade() {
                owner.task_failed(err.clone());
            }
        }
        self.end(cell, waited, outcome);
    }

    fn end(&self, cell: &Arc<TaskCell>, waited: bool, outcome: Result<(), Error>) {
        cell.record(outcome);
        if waited {
            let mut waiting = lock(&self.waiting);
            if waiting.remove(&task_id(cell)).is_some_and(|w| w.stopper) {
                self.stoppers.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.count_out();
        cell.settle();
    }

    fn cancelled(&self, cell: &Arc<TaskCell>, waited: bool) {
        self.end(cell, waited, Err(Error::new(ErrorKind::TaskCancelled, self.owner_path(), "task cancelled")));
    }

    /// True if a task of `phase` is to be cancelled by its set (not by its handle).
    #[inline]
    fn cancels(&self, phase: usize) -> bool {
        self.cancelled_through.load(Ordering::Acquire) >= phase
    }
}

/// The text of a panic payload.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Returns `Pending` once, having woken its task: the executor runs others, and a cancellation
/// can reach the task, before it goes on.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

pin_project! {
    /// A spawned future wrapped for supervision: cancellation, panics, results, bookkeeping.
    struct Supervised<F> {
        cell: Arc<TaskCell>,
        shared: Arc<Shared>,
        // The phase of the set it was admitted in.
        phase: usize,
        // It has waited at least once, so it is in the set's `waiting` map.
        waiting: bool,
        #[pin]
        future: Option<F>,
    }

    impl<F> PinnedDrop for Supervised<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // The runtime dropped the task before it ended (e.g. the runtime shut down).
            if this.future.is_some() {
                this.shared.cancelled(this.cell, *this.waiting);
            }
        }
    }
}

impl<F> Supervised<F> {
    fn new(cell: Arc<TaskCell>, shared: Arc<Shared>, phase: usize, future: F) -> Self {
        Supervised { cell, shared, phase, waiting: false, future: Some(future) }
    }
}

impl<F: Future<Output = TaskResult>> Future for Supervised<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        if this.cell.is_cancelled() || this.shared.cancels(*this.phase) {
            this.future.set(None);
            this.shared.cancelled(this.cell, *this.waiting);
            return Poll::Ready(());
        }
        let before = enter(this.shared.id());
        let polled = catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
        let stopper = leave(before);
        let result = match polled {
            Ok(Poll::Pending) => {
                // It waits: make it reachable for a cancellation, then make sure none came
                // while it was not yet reachable.
                this.cell.task_waker.register(cx.waker());
                if !*this.waiting || stopper {
                    let mut waiting = lock(&this.shared.waiting);
                    let entry = waiting
                        .entry(task_id(this.cell))
                        .or_insert_with(|| Waiting { cell: this.cell.clone(), stopper: false });
                    if stopper && !entry.stopper {
                        entry.stopper = true;
                        this.shared.stoppers.fetch_add(1, Ordering::SeqCst);
                    }
                    *this.waiting = true;
                }
                if stopper {
                    this.shared.ended.notify(usize::MAX);
                }
                if this.cell.is_cancelled() || this.shared.cancels(*this.phase) {
                    this.future.set(None);
                    this.shared.cancelled(this.cell, true);
                    return Poll::Ready(());
                }
                return Poll::Pending;
            }
            Ok(Poll::Ready(result)) => Ok(result),
            Err(panic) => Err(panic),
        };
        // Drop the user's future before the task counts as ended.
        this.future.set(None);
        this.shared.finish(this.cell, *this.waiting, result);
        Poll::Ready(())
    }
}
