//! The tasks a service owns: spawning them, handles to await them, and ending them at stop.

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

use crate::error::{BoxError, Error, ErrorKind, Stopping};
use crate::state::lock;
use crate::{AsyncManager, Context};

/// What a task returns. `Err(Stopping)` (from `?` on [`Context::sleep`]) counts as a clean end.
pub type TaskResult = Result<(), BoxError>;

/// How long a cancelled task may take to actually end before it is reported as stuck.
const CANCEL_GRACE: Duration = Duration::from_millis(100);

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

/// Fired once when a run of the service begins to stop.
pub(crate) struct StopSignal {
    fired: AtomicBool,
    event: Event,
}

impl StopSignal {
    fn new() -> Self {
        StopSignal { fired: AtomicBool::new(false), event: Event::new() }
    }

    fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        self.event.notify(usize::MAX);
    }

    pub(crate) fn is_fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    pub(crate) async fn wait(&self) {
        while !self.is_fired() {
            listener!(self.event => fired);
            if self.is_fired() {
                return;
            }
            fired.await;
        }
    }
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
    /// Cancels the task at its next await point. Blocking work cannot be cancelled.
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
    /// Open for new tasks (between the service's start and its stop).
    accepting: AtomicBool,
    /// Tasks spawned and not yet ended, blocking work included.
    live: AtomicUsize,
    /// Set when a stop cancels what is left: every task of the set ends at its next poll.
    cancelling: AtomicBool,
    /// Only the tasks that have waited: a task that runs to its end in one poll never takes
    /// this lock.
    waiting: Mutex<HashMap<u64, Waiting>>,
    /// How many entries of `waiting` are stoppers (kept with the map, under its lock).
    stoppers: AtomicUsize,
    stop: Mutex<Arc<StopSignal>>,
    /// Notified when a task ends while the set is closed, which is when a stop listens.
    ended: Event,
    owner: Weak<crate::context::Node>,
}

/// The tasks of one service.
pub(crate) struct TaskSet {
    shared: Arc<Shared>,
}

impl TaskSet {
    pub(crate) fn new(owner: Weak<crate::context::Node>) -> Self {
        TaskSet {
            shared: Arc::new(Shared {
                accepting: AtomicBool::new(false),
                live: AtomicUsize::new(0),
                cancelling: AtomicBool::new(false),
                waiting: Mutex::new(HashMap::new()),
                stoppers: AtomicUsize::new(0),
                stop: Mutex::new(Arc::new(StopSignal::new())),
                ended: Event::new(),
                owner,
            }),
        }
    }

    /// An identity for [`current_task_set`] comparisons: an address, aligned to more than 1.
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.shared) as usize
    }

    /// Accepts tasks again, with a fresh stop signal: called when the service starts.
    pub(crate) fn open(&self) {
        *lock(&self.shared.stop) = Arc::new(StopSignal::new());
        self.shared.cancelling.store(false, Ordering::SeqCst);
        self.shared.accepting.store(true, Ordering::SeqCst);
    }

    pub(crate) fn stop_signal(&self) -> Arc<StopSignal> {
        lock(&self.shared.stop).clone()
    }

    pub(crate) fn live(&self) -> usize {
        self.shared.live.load(Ordering::SeqCst)
    }

    /// Counts a new task in, unless the set is closed: then a handle reporting cancellation.
    fn admit(&self) -> Result<(), TaskHandle> {
        // Counted before the check, and a stop closes the set before it counts: one of the two
        // always sees the other.
        self.shared.live.fetch_add(1, Ordering::SeqCst);
        if !self.shared.accepting.load(Ordering::SeqCst) {
            self.shared.count_out();
            let path = self.owner_path();
            log::debug!("{path}: task not spawned, the service is not running");
            return Err(TaskHandle::ended(Err(Error::new(
                ErrorKind::TaskCancelled,
                path,
                "task not spawned: the service is not running",
            ))));
        }
        Ok(())
    }

    pub(crate) fn spawn<F>(&self, manager: &dyn AsyncManager, future: F) -> TaskHandle
    where
        F: Future<Output = TaskResult> + Send + 'static,
    {
        if let Err(handle) = self.admit() {
            return handle;
        }
        let cell = TaskCell::new();
        manager.spawn(Box::pin(Supervised::new(cell.clone(), self, future)));
        TaskHandle { cell }
    }

    pub(crate) fn spawn_blocking(
        &self,
        manager: &dyn AsyncManager,
        work: Box<dyn FnOnce() -> TaskResult + Send + 'static>,
    ) -> TaskHandle {
        if let Err(handle) = self.admit() {
            return handle;
        }
        let cell = TaskCell::new();
        let id = task_id(&cell);
        let shared = self.shared.clone();
        let set = self.id();
        let task_cell = cell.clone();
        manager.spawn_blocking(Box::new(move || {
            // Blocking work is never waited for as a stopper (it cannot park): whether it marked
            // itself one does not matter.
            let before = enter(set);
            let result = catch_unwind(AssertUnwindSafe(work));
            leave(before);
            shared.finish(&task_cell, false, id, result);
        }));
        TaskHandle { cell }
    }

    /// The handle of a task that could not be spawned: the service has no manager yet.
    pub(crate) fn spawn_without_manager(&self, path: String) -> TaskHandle {
        log::debug!("{path}: task not spawned, the service has no async manager");
        TaskHandle::ended(Err(Error::new(
            ErrorKind::NoManager,
            path,
            "task not spawned: the service has no async manager",
        )))
    }

    /// Ends every task: stop signal, up to `grace` to finish, then cancellation. Returns how many
    /// tasks could not be ended (blocking work, or a thread stuck outside an await point).
    pub(crate) async fn end_all(&self, manager: &dyn AsyncManager, grace: Duration, path: &str) -> usize {
        self.shared.accepting.store(false, Ordering::SeqCst);
        self.stop_signal().fire();
        let shared = &self.shared;
        let only_stoppers_left = || shared.live.load(Ordering::SeqCst) <= shared.stoppers.load(Ordering::SeqCst);
        if !self.wait_for(manager, grace, only_stoppers_left).await {
            let remaining = self.live();
            log::debug!("{path}: cancelling {remaining} task(s) still running after {grace:?}");
        }
        self.shared.cancelling.store(true, Ordering::SeqCst);
        for waiting in lock(&self.shared.waiting).values() {
            waiting.cell.cancel();
        }
        if self.wait_for(manager, CANCEL_GRACE.min(grace), || self.live() == 0).await {
            return 0;
        }
        let stuck = self.live();
        log::error!(
            "{path}: {stuck} task(s) did not end within stop_timeout ({grace:?}) and could not be cancelled; \
             they keep running until they return"
        );
        stuck
    }

    /// Waits until `done` holds, at most `limit`; true if it holds.
    async fn wait_for(&self, manager: &dyn AsyncManager, limit: Duration, done: impl Fn() -> bool) -> bool {
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

    fn owner_path(&self) -> String {
        self.shared.owner.upgrade().map(|n| n.path()).unwrap_or_default()
    }
}

impl Shared {
    /// One task fewer; a stop that is listening hears of it.
    fn count_out(&self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
        if !self.accepting.load(Ordering::SeqCst) {
            self.ended.notify(usize::MAX);
        }
    }

    /// Records how a task ended, reports a failure to the service, and counts the task out. The
    /// handle learns the outcome first and settles last, so a stop that saw the task end finds
    /// its handle finished, and whoever awaited the handle finds the task no longer alive.
    fn finish(&self, cell: &TaskCell, waited: bool, id: u64, result: Result<TaskResult, Box<dyn Any + Send>>) {
        let path = || self.owner.upgrade().map(|n| n.path()).unwrap_or_default();
        let outcome =
            match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(err)) if err.is::<Stopping>() => Ok(()),
                Ok(Err(err)) => Err(Error::new(ErrorKind::TaskFailed, path(), "task failed").with_source(err)),
                Err(panic) => Err(Error::new(ErrorKind::TaskPanicked, path(), "task panicked")
                    .with_source(panic_message(panic.as_ref()))),
            };
        if let Err(err) = &outcome {
            if let Some(owner) = self.owner.upgrade() {
                Context::from_node(owner).task_failed(err.clone());
            }
        }
        self.end(cell, waited, id, outcome);
    }

    fn end(&self, cell: &TaskCell, waited: bool, id: u64, outcome: Result<(), Error>) {
        cell.record(outcome);
        if waited {
            let mut waiting = lock(&self.waiting);
            if waiting.remove(&id).is_some_and(|w| w.stopper) {
                self.stoppers.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.count_out();
        cell.settle();
    }

    fn cancelled(&self, cell: &TaskCell, waited: bool, id: u64) {
        let path = self.owner.upgrade().map(|n| n.path()).unwrap_or_default();
        self.end(cell, waited, id, Err(Error::new(ErrorKind::TaskCancelled, path, "task cancelled")));
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

pin_project! {
    /// A spawned future wrapped for supervision: cancellation, panics, results, bookkeeping.
    struct Supervised<F> {
        id: u64,
        set: usize,
        cell: Arc<TaskCell>,
        shared: Arc<Shared>,
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
                this.shared.cancelled(this.cell, *this.waiting, *this.id);
            }
        }
    }
}

impl<F> Supervised<F> {
    fn new(cell: Arc<TaskCell>, set: &TaskSet, future: F) -> Self {
        Supervised {
            id: task_id(&cell),
            set: set.id(),
            cell,
            shared: set.shared.clone(),
            waiting: false,
            future: Some(future),
        }
    }
}

impl<F: Future<Output = TaskResult>> Future for Supervised<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        if this.cell.is_cancelled() || this.shared.cancelling.load(Ordering::Acquire) {
            this.future.set(None);
            this.shared.cancelled(this.cell, *this.waiting, *this.id);
            return Poll::Ready(());
        }
        let before = enter(*this.set);
        let polled = catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
        let stopper = leave(before);
        let result = match polled {
            Ok(Poll::Pending) => {
                // It waits: make it reachable for a cancellation, then make sure none came
                // while it was not yet reachable.
                this.cell.task_waker.register(cx.waker());
                if !*this.waiting || stopper {
                    let mut waiting = lock(&this.shared.waiting);
                    let entry =
                        waiting.entry(*this.id).or_insert_with(|| Waiting { cell: this.cell.clone(), stopper: false });
                    if stopper && !entry.stopper {
                        entry.stopper = true;
                        this.shared.stoppers.fetch_add(1, Ordering::SeqCst);
                    }
                    *this.waiting = true;
                }
                if stopper {
                    this.shared.ended.notify(usize::MAX);
                }
                if this.cell.is_cancelled() || this.shared.cancelling.load(Ordering::Acquire) {
                    this.future.set(None);
                    this.shared.cancelled(this.cell, true, *this.id);
                    return Poll::Ready(());
                }
                return Poll::Pending;
            }
            Ok(Poll::Ready(result)) => Ok(result),
            Err(panic) => Err(panic),
        };
        // Drop the user's future before the task counts as ended.
        this.future.set(None);
        this.shared.finish(this.cell, *this.waiting, *this.id, result);
        Poll::Ready(())
    }
}
