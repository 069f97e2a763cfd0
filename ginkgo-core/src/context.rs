//! `Context`: a service's place in the tree, and what its hooks and tasks use.

use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use futures::future::{Either, select};

use crate::error::{Error, ErrorKind, Stopping};
use crate::handle::{IntoService, ServiceHandle};
use crate::run::Run;
use crate::state::lock;
use crate::supervisor::Supervisor;
use crate::task::{Owner, TaskHandle, TaskResult};
use crate::{AsyncManager, Config, Gauge, Service, Snapshot, State};

/// A service's node in the tree: its state, children, manager and tasks.
///
/// Hooks receive `&Context`; tasks receive an owned clone. Cloning is cheap (an `Arc`), and
/// every clone refers to the same service. [`ServiceHandle`] dereferences to it, so the life
/// cycle methods ([`start`](Context::start), [`stop`](Context::stop), …) are called the same way
/// from inside and outside the service.
///
/// # Waiting
///
/// These are all the ways to wait on a service. Each resolves on an event, never by polling, and
/// each says what it does with a service that has never been started (`init`):
///
/// | wait | resolves | in `init` |
/// |---|---|---|
/// | [`wait_state(timeout, f)`](Context::wait_state) | with the first state `f` accepts | at once if `f` accepts `init` |
/// | [`wait_ready(timeout)`](Context::wait_ready) | `Ok` once ready; once the run can no longer become ready, with why (the start's failure, if it failed) | waits for a start |
/// | [`wait_stopped(timeout)`](Context::wait_stopped) | with `stopped` or `failed` | waits for a run to end |
/// | [`wait_until_stopped()`](Context::wait_until_stopped) | the same, without a deadline | waits for a run to end |
/// | [`serve_forever()`](Context::serve_forever) | starts the service if it is down, then waits until it is down again; the failure, if it failed | starts it |
/// | [`stopping()`](Context::stopping) | when the service's tasks are told to stop | at once |
/// | [`ServiceHandle::require_ready(timeout)`](ServiceHandle::require_ready) | as `wait_ready`, then hands over the service | waits for a start |
///
/// A wait with a `timeout` fails with [`ErrorKind::Timeout`] when it runs out. The life-cycle
/// calls return only once the service has settled: [`start`](Context::start) once it is ready
/// or, if the start failed or was stopped, once it is down again; [`stop`](Context::stop) once
/// it is down.
#[derive(Clone)]
pub struct Context {
    pub(crate) node: Arc<Node>,
}

/// What is fixed when the service is attached to its node.
pub(crate) struct Hooks {
    pub(crate) service: Arc<dyn Service>,
    pub(crate) start_before: bool,
    pub(crate) start_timeout: Duration,
    pub(crate) stop_timeout: Duration,
}

pub(crate) struct Node {
    /// Set once, from [`Service::name`], when the service is attached.
    pub(crate) name: OnceLock<String>,
    pub(crate) hooks: OnceLock<Hooks>,
    pub(crate) parent: Mutex<Weak<Node>>,
    pub(crate) children: Mutex<Vec<Context>>,
    pub(crate) manager: OnceLock<Arc<dyn AsyncManager>>,
    /// The configuration the service reads; inherited like the manager.
    pub(crate) config: OnceLock<Config>,
    /// The service's runs: its state, its tasks, and what the current (or last) run has learnt.
    pub(crate) run: Run,
    /// Named numbers shown in the snapshot, in the order they were first asked for.
    pub(crate) gauges: Mutex<Vec<(String, Gauge)>>,
    /// Held while a start, stop or reload sequence runs, or a restart of children, so they never
    /// interleave.
    pub(crate) sequence: futures::lock::Mutex<()>,
    /// How it restarts the children it supervises; made when it first supervises one.
    pub(crate) supervisor: OnceLock<Box<Supervisor>>,
}

impl Node {
    pub(crate) fn name(&self) -> &str {
        self.name.get().map_or("(unnamed)", String::as_str)
    }

    pub(crate) fn path(&self) -> String {
        let mut names = vec![self.name().to_string()];
        let mut parent = lock(&self.parent).upgrade();
        while let Some(node) = parent {
            names.push(node.name().to_string());
            parent = lock(&node.parent).upgrade();
        }
        names.reverse();
        names.join("/")
    }
}

/// What the task set of a service learns of it.
impl Owner for Node {
    fn path(&self) -> String {
        Node::path(self)
    }

    fn task_failed(self: Arc<Self>, err: Error) {
        crate::lifecycle::escalate(&Context::from_node(self), err);
    }
}

impl Context {
    pub(crate) fn new_node() -> Context {
        let node = Arc::new_cyclic(|weak: &Weak<Node>| Node {
            name: OnceLock::new(),
            hooks: OnceLock::new(),
            parent: Mutex::new(Weak::new()),
            children: Mutex::new(Vec::new()),
            manager: OnceLock::new(),
            config: OnceLock::new(),
            run: Run::new(weak.clone()),
            gauges: Mutex::new(Vec::new()),
            sequence: futures::lock::Mutex::new(()),
            supervisor: OnceLock::new(),
        });
        Context { node }
    }

    pub(crate) fn from_node(node: Arc<Node>) -> Context {
        Context { node }
    }

    pub(crate) fn attach(&self, service: Arc<dyn Service>) {
        let _ = self.node.name.set(service.name());
        let hooks = Hooks {
            start_before: service.start_before(),
            start_timeout: service.start_timeout(),
            stop_timeout: service.stop_timeout(),
            service,
        };
        // A node is attached exactly once, right after it is made.
        let _ = self.node.hooks.set(hooks);
    }

    pub(crate) fn hooks(&self) -> &Hooks {
        self.node.hooks.get().expect("a Context is attached to its service before it is shared")
    }

    // ----- identity and tree -------------------------------------------------------------

    /// The service's name (its type name unless [`Service::name`] says otherwise).
    pub fn name(&self) -> &str {
        self.node.name()
    }

    /// The names from the root down to this service, joined by `/`: `HelloWorld/HelloWorldServer`.
    pub fn path(&self) -> String {
        self.node.path()
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.node.run.state()
    }

    /// Why the service is `failed` (or why its last run failed), if it did.
    pub fn failure(&self) -> Option<Error> {
        self.node.run.read(|run| run.failure.clone())
    }

    /// The service that contains this one, if any.
    pub fn parent(&self) -> Option<Context> {
        lock(&self.node.parent).upgrade().map(Context::from_node)
    }

    /// The child services, in the order they were added.
    pub fn children(&self) -> Vec<Context> {
        lock(&self.node.children).clone()
    }

    /// Adds a child service, started and stopped with this one, and returns its handle.
    ///
    /// Children start in the order they were added and stop in reverse. A child added to a
    /// running service is not started by this call; start it yourself if it should run now.
    /// The child's failure is this service's failure; to have this service restart it instead,
    /// add it with [`add_supervised`](Context::add_supervised).
    pub fn add_service<C: IntoService>(&self, child: C) -> ServiceHandle<C::Service> {
        let handle = child.into_service();
        *lock(&handle.node.parent) = Arc::downgrade(&self.node);
        if let Some(manager) = self.node.manager.get() {
            handle.inherit_manager(manager.as_ref());
        }
        if let Some(config) = self.node.config.get() {
            handle.set_config(config.clone());
        }
        lock(&self.node.children).push(handle.context().clone());
        handle
    }

    /// Removes a child. It is no longer started, stopped, reloaded or restarted with this
    /// service; if it is running, it keeps running. Returns false if it was not a child of this
    /// service.
    pub fn remove_service(&self, child: &Context) -> bool {
        let mut children = lock(&self.node.children);
        let Some(index) = children.iter().position(|c| c == child) else {
            return false;
        };
        children.remove(index);
        drop(children);
        if let Some(supervisor) = self.node.supervisor.get() {
            supervisor.forget(child);
        }
        *lock(&child.node.parent) = Weak::new();
        true
    }

    /// Gives this service (and every descendant that has none) a manager of this backend.
    /// A service that already has a manager keeps it.
    pub(crate) fn inherit_manager(&self, from: &dyn AsyncManager) {
        if self.node.manager.get().is_none() {
            let _ = self.node.manager.set(from.new_manager());
        }
        let Some(mine) = self.node.manager.get() else { return };
        for child in self.children() {
            child.inherit_manager(mine.as_ref());
        }
    }

    pub(crate) fn set_manager(&self, manager: Arc<dyn AsyncManager>) {
        if self.node.manager.get().is_none() {
            let _ = self.node.manager.set(manager);
        }
        if let Some(mine) = self.node.manager.get() {
            for child in self.children() {
                child.inherit_manager(mine.as_ref());
            }
        }
    }

    /// Gives this service (and every descendant that has none) the configuration it reads.
    pub(crate) fn set_config(&self, config: Config) {
        if self.node.config.get().is_none() {
            let _ = self.node.config.set(config);
        }
        if let Some(mine) = self.node.config.get() {
            for child in self.children() {
                child.set_config(mine.clone());
            }
        }
    }

    /// The configuration this service reads its settings from: the one its tree was given
    /// ([`ServiceHandle::with_config`]), or else the process's current one
    /// ([`Config::current`]).
    pub fn config(&self) -> &Config {
        self.node.config.get().unwrap_or_else(|| Config::current())
    }

    /// The service's async manager, once it has one.
    pub fn async_manager(&self) -> Option<&Arc<dyn AsyncManager>> {
        self.node.manager.get()
    }

    pub(crate) fn manager(&self) -> Result<&Arc<dyn AsyncManager>, Error> {
        self.node.manager.get().ok_or_else(|| {
            Error::new(
                ErrorKind::NoManager,
                self.path(),
                "no async manager: give the root service a backend or add this service to a parent that has one",
            )
        })
    }

    /// A snapshot of this service and its descendants: name, state, live tasks, gauges,
    /// restarts and last failure.
    pub fn snapshot(&self) -> Snapshot {
        let (state, history) = self.node.run.history();
        Snapshot {
            name: self.name().to_string(),
            path: self.path(),
            state,
            tasks: self.node.run.tasks.live(),
            gauges: lock(&self.node.gauges).iter().map(|(name, gauge)| (name.clone(), gauge.get())).collect(),
            restarts: history.restarts,
            last_failure: history.last_failure,
            children: self.children().iter().map(Context::snapshot).collect(),
        }
    }

    /// The gauge called `name` (made at zero on first use): a number shown in the snapshot.
    pub fn gauge(&self, name: &str) -> Gauge {
        let mut gauges = lock(&self.node.gauges);
        if let Some((_, gauge)) = gauges.iter().find(|(n, _)| n == name) {
            return gauge.clone();
        }
        let gauge = Gauge::default();
        gauges.push((name.to_string(), gauge.clone()));
        gauge
    }

    // ----- tasks -------------------------------------------------------------------------

    /// Spawns a task owned by this service. It gets a clone of the context, for `sleep`,
    /// `stopping` and the like; it is told to stop when the stop reaches the service's tasks,
    /// and cancelled if it still runs after `stop_timeout`. A task returning an error or
    /// panicking fails the service.
    ///
    /// A service that is not running, or whose tasks have been told to stop
    /// ([`is_stopping`](Context::is_stopping)), spawns nothing: `task` is not called, and the
    /// returned handle reports the task as cancelled.
    ///
    /// Cancelled means that the task's future is dropped at its next await point without being
    /// polled again. On the threads backend, where a task is an OS thread of its own, its thread
    /// then ends; a task that never reaches an await point (stuck in a blocking call) cannot be
    /// cancelled on any backend: the stop reports it, and it stays counted until it returns.
    pub fn spawn<F, Fut>(&self, task: F) -> TaskHandle
    where
        F: FnOnce(Context) -> Fut,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        match self.node.manager.get() {
            Some(manager) => self.node.run.tasks.spawn(manager.as_ref(), || task(self.clone())),
            None => self.node.run.tasks.spawn_without_manager(),
        }
    }

    /// Spawns a task that starts after `delay`. If the service's tasks are told to stop first,
    /// `task` is never called.
    pub fn spawn_later<F, Fut>(&self, delay: Duration, task: F) -> TaskHandle
    where
        F: FnOnce(Context) -> Fut + Send + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        self.spawn(move |ctx| async move {
            ctx.sleep(delay).await?;
            task(ctx).await
        })
    }

    /// Runs blocking work on a thread of its own (or the runtime's blocking pool), owned by this
    /// service like any task, and refused like one (`work` is then not called). It cannot be
    /// cancelled: check [`is_stopping`](Context::is_stopping) to end it in time; if it has not
    /// ended after `stop_timeout`, the stop reports it.
    pub fn spawn_blocking<F>(&self, work: F) -> TaskHandle
    where
        F: FnOnce(Context) -> TaskResult + Send + 'static,
    {
        match self.node.manager.get() {
            Some(manager) => {
                let ctx = self.clone();
                self.node.run.tasks.spawn_blocking(manager.as_ref(), Box::new(move || work(ctx)))
            }
            None => self.node.run.tasks.spawn_without_manager(),
        }
    }

    /// Sleeps for `duration`, or until the service's tasks are told to stop, whichever comes
    /// first; then `Err(Stopping)`, which a task can pass on with `?`.
    ///
    /// Once they have been told (or if the service is not running), it returns `Err(Stopping)`
    /// without sleeping, after yielding to the executor once: a task that ignores the error and
    /// sleeps again still lets other tasks run, and can still be cancelled.
    pub async fn sleep(&self, duration: Duration) -> Result<(), Stopping> {
        let tasks = &self.node.run.tasks;
        match self.node.manager.get() {
            Some(manager) if !tasks.is_told_to_stop() => self.until_stopping(manager.sleep(duration)).await,
            _ => {
                tasks.told_to_stop().await;
                Err(Stopping)
            }
        }
    }

    /// Runs `future` unless the service's tasks are told to stop first, then `Err(Stopping)`.
    /// Once they have been told (or if the service is not running), `future` is not polled, and
    /// it returns like [`sleep`](Context::sleep) does.
    pub async fn until_stopping<F: Future>(&self, future: F) -> Result<F::Output, Stopping> {
        let tasks = &self.node.run.tasks;
        if tasks.is_told_to_stop() {
            tasks.told_to_stop().await;
            return Err(Stopping);
        }
        match select(std::pin::pin!(future), std::pin::pin!(tasks.told_to_stop())).await {
            Either::Left((output, _)) => Ok(output),
            Either::Right(_) => Err(Stopping),
        }
    }

    /// Resolves when the service's tasks are told to stop: when its stop reaches them, after
    /// its children have stopped. If they have been told already, or the service is not running
    /// (never started, stopped, failed), it resolves without waiting, yielding to the executor
    /// once like [`sleep`](Context::sleep) does.
    pub async fn stopping(&self) {
        self.node.run.tasks.told_to_stop().await;
    }

    /// True once the service's tasks have been told to stop, and whenever the service is not
    /// running: exactly when [`stopping`](Context::stopping) would resolve without waiting.
    pub fn is_stopping(&self) -> bool {
        self.node.run.tasks.is_told_to_stop()
    }

    /// How many of the service's tasks are alive.
    pub fn live_tasks(&self) -> usize {
        self.node.run.tasks.live()
    }

    // ----- readiness ---------------------------------------------------------------------

    /// Marks a service whose `do_start` returned [`Readiness::NotReady`](crate::Readiness) as
    /// ready. Calling it earlier in the start (even before `do_start` returns) is fine; calling it
    /// when the service is not starting does nothing.
    pub fn set_ready(&self) {
        let became_ready = self.node.run.update(|run| {
            run.ready_requested = true;
            let finishes_the_start = run.awaiting_ready && run.state == State::Starting;
            run.awaiting_ready = false;
            if finishes_the_start {
                run.state = State::Ready;
            }
            finishes_the_start
        });
        if became_ready {
            log::debug!("{}: ready", self.path());
        }
    }

    /// Records `err` as the failure of this run (the first one wins).
    pub(crate) fn record_failure(&self, err: Error) {
        self.node.run.record_failure(err);
    }
}

impl PartialEq for Context {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.node, &other.node)
    }
}

impl Eq for Context {}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("path", &self.path()).field("state", &self.state()).finish()
    }
}

impl AsRef<Context> for Context {
    fn as_ref(&self) -> &Context {
        self
    }
}
