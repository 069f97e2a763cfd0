//! The tasks a service owns: spawning them, handles to await them, and ending them at stop.

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Poll, Waker};
use std::time::Duration;

use event_listener::{Event, listener};
use futures::future::{BoxFuture, Either, select};
use futures::task::AtomicWaker;

use crate::error::{BoxError, Error, ErrorKind, Stopping};
use crate::state::lock;
use crate::{AsyncManager, Context};

/// What a task returns. `Err(Stopping)` (from `?` on [`Context::sleep`]) counts as a clean end.
pub type TaskResult = Result<(), BoxError>;

/// How long a cancelled task may take to actually end before it is reported as stuck.
const CANCEL_GRACE: Duration = Duration::from_millis(100);

thread_local! {
    /// The task being polled on this thread: (its task set, its id).
    static CURRENT: Cell<Option<(usize, u64)>> = const { Cell::new(None) };
}

/// The task set and id of the task running on this thread, if any.
pub(crate) fn current_task() -> Option<(usize, u64)> {
    CURRENT.with(Cell::get)
}

/// Sets [`CURRENT`] for the duration of one poll or one blocking call.
struct CurrentGuard(Option<(usize, u64)>);

impl CurrentGuard {
    fn enter(task: (usize, u64)) -> Self {
        CurrentGuard(CURRENT.with(|c| c.replace(Some(task))))
    }
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
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

/// Shared between a running task and its [`TaskHandle`].
struct TaskCell {
    cancelled: AtomicBool,
    task_waker: AtomicWaker,
    finished: AtomicBool,
    outcome: Mutex<Option<Result<(), Error>>>,
    joiner: AtomicWaker,
}

impl TaskCell {
    fn new() -> Arc<Self> {
        Arc::new(TaskCell {
            cancelled: AtomicBool::new(false),
            task_waker: AtomicWaker::new(),
            finished: AtomicBool::new(false),
            outcome: Mutex::new(None),
            joiner: AtomicWaker::new(),
        })
    }

    fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.task_waker.wake();
    }

    fn finish(&self, outcome: Result<(), Error>) {
        *lock(&self.outcome) = Some(outcome);
        self.finished.store(true, Ordering::SeqCst);
        self.joiner.wake();
    }
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
        self.cell.finished.load(Ordering::SeqCst)
    }

    fn ended(outcome: Result<(), Error>) -> Self {
        let cell = TaskCell::new();
        cell.finish(outcome);
        TaskHandle { cell }
    }
}

impl Future for TaskHandle {
    /// `Ok` when the task ended cleanly; otherwise why it failed or that it was cancelled.
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        if !self.cell.finished.load(Ordering::SeqCst) {
            self.cell.joiner.register(cx.waker());
            if !self.cell.finished.load(Ordering::SeqCst) {
                return Poll::Pending;
            }
        }
        match lock(&self.cell.outcome).take() {
            Some(outcome) => Poll::Ready(outcome),
            None => Poll::Ready(Err(Error::new(ErrorKind::TaskCancelled, "", "task result was already taken"))),
        }
    }
}

struct Entry {
    cell: Arc<TaskCell>,
    /// Blocking work cannot be cancelled.
    cancellable: bool,
    /// The task asked its own service (or an ancestor) to stop: it is not waited for.
    stopper: bool,
}

struct Registry {
    accepting: bool,
    next_id: u64,
    live: HashMap<u64, Entry>,
    stop: Arc<StopSignal>,
}

struct Shared {
    registry: Mutex<Registry>,
    /// Notified whenever a task ends.
    ended: Event,
    owner: Weak<crate::context::Node>,
}

/// The tasks of one service.
pub(crate) struct TaskSet {
    shared: Arc<Shared>,
}

impl TaskSet {
    pub(crate) fn new(owner: Weak<crate::context::Node>) -> Self {
        let registry =
            Registry { accepting: false, next_id: 0, live: HashMap::new(), stop: Arc::new(StopSignal::new()) };
        TaskSet { shared: Arc::new(Shared { registry: Mutex::new(registry), ended: Event::new(), owner }) }
    }

    /// An identity for [`current_task`] comparisons.
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.shared) as usize
    }

    /// Accepts tasks again, with a fresh stop signal: called when the service starts.
    pub(crate) fn open(&self) {
        let mut registry = lock(&self.shared.registry);
        registry.accepting = true;
        registry.stop = Arc::new(StopSignal::new());
    }

    pub(crate) fn stop_signal(&self) -> Arc<StopSignal> {
        lock(&self.shared.registry).stop.clone()
    }

    pub(crate) fn live(&self) -> usize {
        lock(&self.shared.registry).live.len()
    }

    /// Registers a task; `None` (and a handle that reports cancellation) when not accepting.
    fn register(&self, cancellable: bool) -> Result<(u64, Arc<TaskCell>), TaskHandle> {
        let mut registry = lock(&self.shared.registry);
        if !registry.accepting {
            drop(registry);
            let path = self.owner_path();
            log::debug!("{path}: task not spawned, the service is not running");
            return Err(TaskHandle::ended(Err(Error::new(
                ErrorKind::TaskCancelled,
                path,
                "task not spawned: the service is not running",
            ))));
        }
        let id = registry.next_id;
        registry.next_id += 1;
        let cell = TaskCell::new();
        registry.live.insert(id, Entry { cell: cell.clone(), cancellable, stopper: false });
        Ok((id, cell))
    }

    pub(crate) fn spawn(&self, manager: &dyn AsyncManager, future: BoxFuture<'static, TaskResult>) -> TaskHandle {
        let (id, cell) = match self.register(true) {
            Ok(registered) => registered,
            Err(handle) => return handle,
        };
        let task =
            Supervised { id, set: self.id(), cell: cell.clone(), shared: self.shared.clone(), future: Some(future) };
        manager.spawn(Box::pin(task));
        TaskHandle { cell }
    }

    pub(crate) fn spawn_blocking(
        &self,
        manager: &dyn AsyncManager,
        work: Box<dyn FnOnce() -> TaskResult + Send + 'static>,
    ) -> TaskHandle {
        let (id, cell) = match self.register(false) {
            Ok(registered) => registered,
            Err(handle) => return handle,
        };
        let shared = self.shared.clone();
        let set = self.id();
        let task_cell = cell.clone();
        manager.spawn_blocking(Box::new(move || {
            let result = {
                let _current = CurrentGuard::enter((set, id));
                catch_unwind(AssertUnwindSafe(work))
            };
            shared.finish(id, &task_cell, result);
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

    /// Marks a task as the one that asked for the stop: it is not waited for, only cancelled.
    pub(crate) fn mark_stopper(&self, id: u64) {
        if let Some(entry) = lock(&self.shared.registry).live.get_mut(&id) {
            entry.stopper = true;
        }
        self.shared.ended.notify(usize::MAX);
    }

    /// Ends every task: stop signal, up to `grace` to finish, then cancellation. Returns how many
    /// tasks could not be ended (blocking work, or a thread stuck outside an await point).
    pub(crate) async fn end_all(&self, manager: &dyn AsyncManager, grace: Duration, path: &str) -> usize {
        {
            let mut registry = lock(&self.shared.registry);
            registry.accepting = false;
            registry.stop.fire();
        }
        let waited = |r: &Registry| r.live.values().all(|e| e.stopper);
        if !self.wait_for(manager, grace, waited).await {
            let remaining = lock(&self.shared.registry).live.len();
            log::debug!("{path}: cancelling {remaining} task(s) still running after {grace:?}");
        }
        for entry in lock(&self.shared.registry).live.values() {
            if entry.cancellable {
                entry.cell.cancel();
            }
        }
        if self.wait_for(manager, CANCEL_GRACE.min(grace), |r| r.live.is_empty()).await {
            return 0;
        }
        let stuck = lock(&self.shared.registry).live.len();
        log::error!(
            "{path}: {stuck} task(s) did not end within stop_timeout ({grace:?}) and could not be cancelled; \
             they keep running until they return"
        );
        stuck
    }

    /// Waits until `done` holds for the registry, at most `limit`; true if it holds.
    async fn wait_for(&self, manager: &dyn AsyncManager, limit: Duration, done: impl Fn(&Registry) -> bool) -> bool {
        let mut timer = manager.sleep(limit);
        loop {
            if done(&lock(&self.shared.registry)) {
                return true;
            }
            listener!(self.shared.ended => ended);
            if done(&lock(&self.shared.registry)) {
                return true;
            }
            match select(ended, timer).await {
                Either::Left((_, rest)) => timer = rest,
                Either::Right(_) => return done(&lock(&self.shared.registry)),
            }
        }
    }

    fn owner_path(&self) -> String {
        self.shared.owner.upgrade().map(|n| n.path()).unwrap_or_default()
    }
}

impl Shared {
    /// Records how a task ended, wakes its handle, and reports a failure to the service.
    fn finish(&self, id: u64, cell: &TaskCell, result: Result<TaskResult, Box<dyn Any + Send>>) {
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
                Context::from_node(owner).task_failed(err.duplicate());
            }
        }
        self.end(id, cell, outcome);
    }

    fn finish_cancelled(&self, id: u64, cell: &TaskCell) {
        let path = self.owner.upgrade().map(|n| n.path()).unwrap_or_default();
        self.end(id, cell, Err(Error::new(ErrorKind::TaskCancelled, path, "task cancelled")));
    }

    /// The handle learns the outcome in the same step as the task stops counting as alive, so
    /// whoever sees one (a stop waiting for the tasks, a test awaiting the handle) sees both.
    fn end(&self, id: u64, cell: &TaskCell, outcome: Result<(), Error>) {
        {
            let mut registry = lock(&self.registry);
            registry.live.remove(&id);
            cell.finish(outcome);
        }
        self.ended.notify(usize::MAX);
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

/// A spawned future wrapped for supervision: cancellation, panics, results, bookkeeping.
struct Supervised {
    id: u64,
    set: usize,
    cell: Arc<TaskCell>,
    shared: Arc<Shared>,
    future: Option<BoxFuture<'static, TaskResult>>,
}

impl Future for Supervised {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let Some(future) = this.future.as_mut() else {
            return Poll::Ready(());
        };
        if this.cell.cancelled.load(Ordering::SeqCst) {
            this.future = None;
            this.shared.finish_cancelled(this.id, &this.cell);
            return Poll::Ready(());
        }
        register_waker(&this.cell.task_waker, cx.waker());
        let polled = {
            let _current = CurrentGuard::enter((this.set, this.id));
            catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx)))
        };
        let result = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(result)) => Ok(result),
            Err(panic) => Err(panic),
        };
        // Drop the user's future before the task counts as ended.
        this.future = None;
        this.shared.finish(this.id, &this.cell, result);
        Poll::Ready(())
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        // The runtime dropped the task before it finished (e.g. the runtime shut down).
        if self.future.take().is_some() {
            self.shared.finish_cancelled(self.id, &self.cell);
        }
    }
}

fn register_waker(slot: &AtomicWaker, waker: &Waker) {
    slot.register(waker);
}
