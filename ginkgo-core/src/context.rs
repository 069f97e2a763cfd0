//! `Context`: a service's place in the tree, and what its hooks and tasks use.

use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use event_listener::{Event, listener};
use futures::future::{Either, select};

use crate::error::{Error, ErrorKind, Stopping};
use crate::handle::{IntoService, ServiceHandle};
use crate::state::{StateCell, lock};
use crate::task::{StopSignal, TaskHandle, TaskResult, TaskSet};
use crate::{AsyncManager, Config, Gauge, Service, Snapshot, State};

/// A service's node in the tree: its state, children, manager and tasks.
///
/// Hooks receive `&Context`; tasks receive an owned clone. Cloning is cheap (an `Arc`), and
/// every clone refers to the same service. [`ServiceHandle`] dereferences to it, so the life
/// cycle methods ([`start`](Context::start), [`stop`](Context::stop), …) are called the same way
/// from inside and outside the service.
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

/// What one run (start to stop) of a service has learnt.
#[derive(Default)]
pub(crate) struct Run {
    /// `set_ready` was called during this run.
    pub(crate) ready_requested: bool,
    /// A non-waiting start returned with the service not yet ready: `set_ready` finishes it.
    pub(crate) awaiting_ready: bool,
    /// Someone asked this run to stop.
    pub(crate) stop_requested: bool,
    /// Why this run failed, if it did.
    pub(crate) failure: Option<Error>,
    /// What went wrong while stopping, if anything.
    pub(crate) stop_error: Option<Error>,
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
    pub(crate) tasks: TaskSet,
    pub(crate) state: StateCell,
    pub(crate) run: Mutex<Run>,
    /// Notified when anything in `run` changes.
    pub(crate) run_changed: Event,
    /// Named numbers shown in the snapshot, in the order they were first asked for.
    pub(crate) gauges: Mutex<Vec<(String, Gauge)>>,
    /// Held while a start, stop or reload sequence runs, so they never interleave.
    pub(crate) sequence: futures::lock::Mutex<()>,
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

impl Context {
    pub(crate) fn new_node() -> Context {
        let node = Arc::new_cyclic(|weak: &Weak<Node>| Node {
            name: OnceLock::new(),
            hooks: OnceLock::new(),
            parent: Mutex::new(Weak::new()),
            children: Mutex::new(Vec::new()),
            manager: OnceLock::new(),
            config: OnceLock::new(),
            tasks: TaskSet::new(weak.clone()),
            state: StateCell::new(),
            run: Mutex::new(Run::default()),
            run_changed: Event::new(),
            gauges: Mutex::new(Vec::new()),
            sequence: futures::lock::Mutex::new(()),
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
        self.node.state.get()
    }

    /// Why the service is `failed` (or why its last run failed), if it did.
    pub fn failure(&self) -> Option<Error> {
        lock(&self.node.run).failure.clone()
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

    /// Removes a child. It is no longer started, stopped or reloaded with this service; if it
    /// is running, it keeps running. Returns false if it was not a child of this service.
    pub fn remove_service(&self, child: &Context) -> bool {
        let mut children = lock(&self.node.children);
        let Some(index) = children.iter().position(|c| c == child) else {
            return false;
        };
        children.remove(index);
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

    /// A snapshot of this service and its descendants: name, state, live tasks.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            name: self.name().to_string(),
            path: self.path(),
            state: self.state(),
            tasks: self.node.tasks.live(),
            gauges: lock(&self.node.gauges).iter().map(|(name, gauge)| (name.clone(), gauge.get())).collect(),
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
    /// `stopping` and the like; it is told to stop when the service stops and cancelled after
    /// `stop_timeout`. A task returning an error or panicking fails the service.
    ///
    /// A service that is not running (or that is stopping) spawns nothing: the returned handle
    /// reports the task as cancelled.
    pub fn spawn<F, Fut>(&self, task: F) -> TaskHandle
    where
        F: FnOnce(Context) -> Fut,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        match self.node.manager.get() {
            Some(manager) => self.node.tasks.spawn(manager.as_ref(), task(self.clone())),
            None => self.node.tasks.spawn_without_manager(self.path()),
        }
    }

    /// Spawns a task that starts after `delay`. If the service begins to stop first, the task
    /// never runs.
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
    /// service like any task. It cannot be cancelled: check [`is_stopping`](Context::is_stopping)
    /// to end it in time; if it has not ended after `stop_timeout`, the stop reports it.
    pub fn spawn_blocking<F>(&self, work: F) -> TaskHandle
    where
        F: FnOnce(Context) -> TaskResult + Send + 'static,
    {
        match self.node.manager.get() {
            Some(manager) => {
                let ctx = self.clone();
                self.node.tasks.spawn_blocking(manager.as_ref(), Box::new(move || work(ctx)))
            }
            None => self.node.tasks.spawn_without_manager(self.path()),
        }
    }

    /// Sleeps for `duration`, or until the service begins to stop, whichever comes first; then
    /// `Err(Stopping)`, which a task can pass on with `?`.
    pub async fn sleep(&self, duration: Duration) -> Result<(), Stopping> {
        let manager = self.manager().map_err(|_| Stopping)?.clone();
        self.until_stopping(manager.sleep(duration)).await
    }

    /// Runs `future` unless the service begins to stop first, then `Err(Stopping)`.
    pub async fn until_stopping<F: Future>(&self, future: F) -> Result<F::Output, Stopping> {
        let signal = self.node.tasks.stop_signal();
        if signal.is_fired() {
            return Err(Stopping);
        }
        let stopped = std::pin::pin!(signal.wait());
        match select(std::pin::pin!(future), stopped).await {
            Either::Left((output, _)) => Ok(output),
            Either::Right(_) => Err(Stopping),
        }
    }

    /// Resolves when the service begins to stop (at once if it is not running).
    pub async fn stopping(&self) {
        let signal: Arc<StopSignal> = self.node.tasks.stop_signal();
        signal.wait().await;
    }

    /// True once the service has begun to stop (and while it is not running).
    pub fn is_stopping(&self) -> bool {
        self.node.tasks.stop_signal().is_fired()
    }

    /// How many of the service's tasks are alive.
    pub fn live_tasks(&self) -> usize {
        self.node.tasks.live()
    }

    // ----- readiness ---------------------------------------------------------------------

    /// Marks a service whose `do_start` returned [`Readiness::NotReady`](crate::Readiness) as
    /// ready. Calling it earlier in the start (even before `do_start` returns) is fine; calling it
    /// when the service is not starting does nothing.
    pub fn set_ready(&self) {
        let mut run = lock(&self.node.run);
        run.ready_requested = true;
        if run.awaiting_ready {
            run.awaiting_ready = false;
            if self.node.state.transition(|s| s == State::Starting, State::Ready).is_ok() {
                log::debug!("{}: ready", self.path());
            }
        }
        drop(run);
        self.node.run_changed.notify(usize::MAX);
    }

    /// Waits until the service is ready, at most `timeout`. Fails if the time runs out or the
    /// service stops or fails first.
    pub async fn wait_ready(&self, timeout: Duration) -> Result<(), Error> {
        let reached = self.wait_state(timeout, |s| s != State::Starting && s != State::Init).await?;
        match reached {
            State::Ready => Ok(()),
            State::Failed => Err(self.failure_or(reached)),
            other => Err(Error::invalid_state(&self.path(), "become ready", other)),
        }
    }

    /// Waits until the service is stopped or failed, at most `timeout`.
    pub async fn wait_stopped(&self, timeout: Duration) -> Result<State, Error> {
        self.wait_state(timeout, |s| s == State::Stopped || s == State::Failed).await
    }

    /// Waits, without a deadline, until the service is stopped or failed, and returns which.
    /// Unlike [`serve_forever`](Context::serve_forever) it never starts the service.
    pub async fn wait_until_stopped(&self) -> State {
        self.node.state.wait_until(|s| s == State::Stopped || s == State::Failed).await
    }

    /// Waits for a state that satisfies `done`, at most `timeout`, and returns it.
    pub async fn wait_state(&self, timeout: Duration, done: impl Fn(State) -> bool) -> Result<State, Error> {
        let current = self.state();
        if done(current) {
            return Ok(current);
        }
        let manager = self.manager()?.clone();
        let waited = std::pin::pin!(self.node.state.wait_until(done));
        match select(waited, manager.sleep(timeout)).await {
            Either::Left((state, _)) => Ok(state),
            Either::Right(_) => {
                Err(Error::new(ErrorKind::Timeout, self.path(), format!("still {} after {timeout:?}", self.state())))
            }
        }
    }

    pub(crate) fn failure_or(&self, state: State) -> Error {
        self.failure()
            .unwrap_or_else(|| Error::new(ErrorKind::InvalidState, self.path(), format!("service is {state}")))
    }

    /// Resolves when this run's stop was requested.
    pub(crate) async fn stop_requested(&self) {
        loop {
            if lock(&self.node.run).stop_requested {
                return;
            }
            listener!(self.node.run_changed => changed);
            if lock(&self.node.run).stop_requested {
                return;
            }
            changed.await;
        }
    }

    pub(crate) fn task_failed(&self, err: Error) {
        crate::lifecycle::escalate(self, err);
    }

    /// Records `err` as the failure of this run (the first one wins).
    pub(crate) fn record_failure(&self, err: Error) {
        let mut run = lock(&self.node.run);
        if run.failure.is_none() {
            run.failure = Some(err);
        }
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
