//! Start, stop and reload of a service tree, and what happens when part of it fails.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, Either, select};

use crate::error::{Error, ErrorKind};
use crate::task::{current_task_set, mark_current_task_as_stopper, panic_message};
use crate::{AsyncManager, Context, Readiness, Restart, State, supervision};

/// How a start should treat a service that is not ready when `do_start` returns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// Wait up to `start_timeout` for `set_ready`.
    UntilReady,
    /// Return at once, the service still `starting`.
    No,
}

/// Why a start did not reach `ready`.
enum Unstarted {
    /// A stop of this service was requested: that stop rolls the start back.
    StopRequested,
    /// A step failed: the start rolls itself back.
    Failed(Error),
}

impl From<Error> for Unstarted {
    fn from(err: Error) -> Self {
        Unstarted::Failed(err)
    }
}

impl Context {
    /// Starts the service and its children and waits until it is ready.
    ///
    /// Fails if the service is already running, if a child or `do_start` fails or panics, or if
    /// the service is not ready within its `start_timeout`; whatever had been started is then
    /// stopped again in reverse order, the service is `failed`, and the error names the path of
    /// the service that failed.
    ///
    /// A stop of the service during the start (requested by a caller, or by a failure that
    /// reached it from one of its tasks or a child's) interrupts the start. The start then
    /// returns once that stop is done: with the failure that caused it, or a `StartInterrupted`
    /// error if there was none. So a start that began and fails returns with the service down
    /// again, `failed` or `stopped`.
    pub async fn start(&self) -> Result<(), Error> {
        self.start_with(Wait::UntilReady).await
    }

    /// Starts the service like [`start`](Context::start), but returns as soon as `do_start` has
    /// returned, even if the service is still `starting` (waiting for
    /// [`set_ready`](Context::set_ready)).
    pub async fn start_nowait(&self) -> Result<(), Error> {
        self.start_with(Wait::No).await
    }

    fn start_with(&self, wait: Wait) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let manager = self.manager()?.clone();
            let sequence = self.node.sequence.lock().await;
            let number = self.node.run.begin().map_err(|found| Error::invalid_state(&self.path(), "start", found))?;
            if let Some(supervisor) = self.node.supervisor.get() {
                supervisor.new_run();
            }
            log::debug!("{}: starting", self.path());
            let started = {
                let steps = std::pin::pin!(self.start_steps(&manager, wait));
                match select(steps, std::pin::pin!(self.stop_requested())).await {
                    Either::Left((result, _)) => result,
                    Either::Right(_) => Err(Unstarted::StopRequested),
                }
            };
            match started {
                Ok(()) => return Ok(()),
                Err(Unstarted::Failed(err)) => {
                    // Logged where it happened, not again at every level it passes through.
                    if err.path() == self.path() {
                        log::error!("{}", err.chain());
                    }
                    if self.node.run.start_failed(err) {
                        // The rollback is a stop like any other, on its own: a start that its
                        // caller drops midway cannot leave it half done.
                        self.spawn_stop_sequence(&manager, State::Starting);
                    }
                }
                // That stop rolls the start back.
                Err(Unstarted::StopRequested) => {}
            }
            // The stop runs once the sequence is free; the start returns when it is done.
            drop(sequence);
            let failure = self.node.run.over(number).await.and_then(|run| run.failure);
            Err(failure
                .unwrap_or_else(|| Error::new(ErrorKind::StartInterrupted, self.path(), "stopped while starting")))
        })
    }

    async fn start_steps(&self, manager: &Arc<dyn AsyncManager>, wait: Wait) -> Result<(), Unstarted> {
        let hooks = self.hooks();
        // The manager is child zero.
        guarded(manager.do_start(self)).await.map_err(|cause| {
            Error::new(ErrorKind::StartFailed, self.path(), "async manager failed to start").with_source(cause)
        })?;
        // One budget for do_start and the wait for set_ready together (the children's starts,
        // which have budgets of their own, are not counted).
        let limit = hooks.start_timeout;
        if hooks.start_before {
            let (readiness, left) = self.run_do_start(manager, limit).await?;
            self.start_children(wait).await?;
            self.become_ready(manager, readiness, wait, left, limit).await
        } else {
            self.start_children(wait).await?;
            let (readiness, left) = self.run_do_start(manager, limit).await?;
            self.become_ready(manager, readiness, wait, left, limit).await
        }
    }

    async fn start_children(&self, wait: Wait) -> Result<(), Unstarted> {
        for child in self.children() {
            if child.state().is_running() {
                continue;
            }
            child.start_with(wait).await?;
        }
        Ok(())
    }

    /// Runs `do_start` within `limit`; returns its answer and, for a service that is not ready
    /// yet, what is left of the limit (the clock is read only when it is needed).
    async fn run_do_start(
        &self,
        manager: &Arc<dyn AsyncManager>,
        limit: Duration,
    ) -> Result<(Readiness, Duration), Error> {
        let service = self.hooks().service.clone();
        let began = Instant::now();
        let started = within(manager.as_ref(), began, limit, guarded(service.do_start(self))).await;
        match started {
            Some(Ok(Readiness::NotReady)) => Ok((Readiness::NotReady, limit.saturating_sub(began.elapsed()))),
            Some(Ok(Readiness::Ready)) => Ok((Readiness::Ready, Duration::ZERO)),
            Some(Err(cause)) => {
                Err(Error::new(ErrorKind::StartFailed, self.path(), "do_start failed").with_source(cause))
            }
            None => Err(self.start_timed_out(limit)),
        }
    }

    fn start_timed_out(&self, limit: Duration) -> Error {
        Error::new(ErrorKind::StartTimeout, self.path(), format!("not ready within start_timeout ({limit:?})"))
    }

    async fn become_ready(
        &self,
        manager: &Arc<dyn AsyncManager>,
        readiness: Readiness,
        wait: Wait,
        left: Duration,
        limit: Duration,
    ) -> Result<(), Unstarted> {
        let waits_for_ready = readiness == Readiness::NotReady && wait == Wait::UntilReady;
        if waits_for_ready && within(manager.as_ref(), Instant::now(), left, self.ready_requested()).await.is_none() {
            return Err(self.start_timed_out(limit).into());
        }
        let became = self.node.run.update(|run| {
            if run.state != State::Starting {
                return Err(Unstarted::StopRequested);
            }
            if readiness == Readiness::NotReady && wait == Wait::No && !run.ready_requested {
                run.awaiting_ready = true;
                return Ok(false);
            }
            run.state = State::Ready;
            Ok(true)
        })?;
        if became {
            log::debug!("{}: ready", self.path());
        }
        Ok(())
    }

    /// Stops the service: children last-added first, then its tasks, then `do_stop` (if it had
    /// become ready). Waits until it is stopped.
    ///
    /// Stopping a service that was never started, or is already stopped or failed, does nothing.
    /// Concurrent and repeated calls are safe: all of them wait for the one stop. A stop called
    /// while the service is starting interrupts the start.
    ///
    /// It may be called from one of the service's own tasks (or a descendant's): the stop then
    /// runs on its own, and the calling task is ended with the others.
    ///
    /// A [`Restart::Permanent`] child stopped this way is restarted by its parent (if the parent
    /// is running and not stopping), once the stop is done.
    ///
    /// Returns an error if a `do_stop` failed or timed out; everything else is stopped anyway.
    pub async fn stop(&self) -> Result<(), Error> {
        self.mark_current_task_as_stopper();
        let (number, requested) = self.request_stop();
        if let Some(from) = requested {
            self.spawn_stop_sequence(self.manager()?, from);
            if self.restart_policy() == Some(Restart::Permanent) {
                if let Some(parent) = self.parent() {
                    parent.child_ended(self, number);
                }
            }
        }
        self.stopped(number).await
    }

    /// Requests a stop and, if this call requested it, runs the stop sequence as a task of its
    /// own. Returns the number of the run, and whether this call stopped it.
    pub(crate) fn stop_in_background(&self) -> (u64, bool) {
        let (number, requested) = self.request_stop();
        let Some(from) = requested else { return (number, false) };
        if let Ok(manager) = self.manager() {
            self.spawn_stop_sequence(manager, from);
        }
        (number, true)
    }

    /// Stops a child from inside its parent's stop sequence (or its supervisor), without
    /// spawning.
    pub(crate) async fn stop_inline(&self) -> Result<(), Error> {
        let (number, requested) = self.request_stop();
        if let Some(from) = requested {
            self.stop_sequence(from).await;
        }
        self.stopped(number).await
    }

    /// Requests a stop of the current run (see [`Run::request_stop`]).
    ///
    /// [`Run::request_stop`]: crate::run::Run::request_stop
    fn request_stop(&self) -> (u64, Option<State>) {
        let (number, requested) = self.node.run.request_stop();
        if requested.is_some() {
            log::debug!("{}: stopping", self.path());
        }
        (number, requested)
    }

    /// Waits until run `number` is over, and returns its stop's error, if any.
    async fn stopped(&self, number: u64) -> Result<(), Error> {
        match self.node.run.over(number).await.and_then(|run| run.stop_error) {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// If this is called from a task of this service or of a descendant, that task is not waited
    /// for (it waits for us): it is cancelled with the rest.
    fn mark_current_task_as_stopper(&self) {
        let Some(set) = current_task_set() else { return };
        fn owns(ctx: &Context, set: usize) -> bool {
            ctx.node.run.tasks.id() == set || ctx.children().iter().any(|c| owns(c, set))
        }
        if owns(self, set) {
            mark_current_task_as_stopper();
        }
    }

    /// Runs the stop sequence of a service moved to `stopping` from `from`, as a task of its own.
    fn spawn_stop_sequence(&self, manager: &Arc<dyn AsyncManager>, from: State) {
        let ctx = self.clone();
        manager.spawn(Box::pin(async move { ctx.stop_sequence(from).await }));
    }

    async fn stop_sequence(&self, from: State) {
        let _sequence = self.node.sequence.lock().await;
        let Ok(manager) = self.manager().cloned() else {
            self.node.run.end(None);
            return;
        };
        let stop_error = self.teardown(&manager, from == State::Ready).await;
        let end = self.node.run.end(stop_error);
        log::debug!("{}: {end}", self.path());
    }

    /// Children in reverse, then tasks, then the manager, then `do_stop` if the service had been
    /// ready. Everything is stopped even if some part fails; the first failure is returned.
    async fn teardown(&self, manager: &Arc<dyn AsyncManager>, was_ready: bool) -> Option<Error> {
        let hooks = self.hooks();
        // The path is made only for an error: it is a string built from every ancestor's name.
        let mut first_error = None;
        for child in self.children().into_iter().rev() {
            if let Err(err) = Box::pin(child.stop_inline()).await {
                first_error.get_or_insert(err);
            }
        }
        self.node.run.tasks.end_all(manager.as_ref(), hooks.stop_timeout).await;
        if let Err(cause) = guarded(manager.do_stop(self)).await {
            log::error!("{}: async manager failed to stop: {cause}", self.path());
        }
        if was_ready {
            let service = hooks.service.clone();
            let began = Instant::now();
            let stopped = within(manager.as_ref(), began, hooks.stop_timeout, guarded(service.do_stop(self))).await;
            let err = match stopped {
                Some(Ok(())) => None,
                Some(Err(cause)) => {
                    Some(Error::new(ErrorKind::StopFailed, self.path(), "do_stop failed").with_source(cause))
                }
                None => Some(Error::new(
                    ErrorKind::StopFailed,
                    self.path(),
                    format!("do_stop did not finish within stop_timeout ({:?})", hooks.stop_timeout),
                )),
            };
            if let Some(err) = err {
                log::error!("{}", err.chain());
                first_error.get_or_insert(err);
            }
        }
        first_error
    }

    /// Reloads the service: its children in order, then `do_reload` (the other way round with
    /// `start_before`). Services that are not ready are skipped. Every ready service is reloaded
    /// even if one fails; the first failure is returned.
    pub fn reload(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            if self.state() != State::Ready {
                return Ok(());
            }
            let _sequence = self.node.sequence.lock().await;
            let mut first_error = None;
            if self.hooks().start_before {
                if let Err(err) = self.run_do_reload().await {
                    first_error.get_or_insert(err);
                }
            }
            for child in self.children() {
                if let Err(err) = child.reload().await {
                    first_error.get_or_insert(err);
                }
            }
            if !self.hooks().start_before {
                if let Err(err) = self.run_do_reload().await {
                    first_error.get_or_insert(err);
                }
            }
            first_error.map_or(Ok(()), Err)
        })
    }

    /// Reloads the configuration this service reads ([`Context::config`]) and then, if the new
    /// one is valid, the service tree ([`reload`](Context::reload)). A configuration that does
    /// not load leaves both the old values and the tree untouched, and is the error returned.
    pub async fn reload_config(&self) -> Result<(), Error> {
        self.config().reload().map_err(|cause| {
            Error::new(ErrorKind::ConfigFailed, self.path(), "configuration not reloaded").with_source(cause)
        })?;
        self.reload().await
    }

    async fn run_do_reload(&self) -> Result<(), Error> {
        let service = self.hooks().service.clone();
        guarded(service.do_reload(self)).await.map_err(|cause| {
            let err = Error::new(ErrorKind::ReloadFailed, self.path(), "do_reload failed").with_source(cause);
            log::error!("{}", err.chain());
            err
        })
    }

    /// Starts the service if it is not running, then waits until it stops. Returns the failure
    /// if the service (or, through it, any part of the tree) failed.
    pub async fn serve_forever(&self) -> Result<(), Error> {
        if self.state().is_down() {
            self.start().await?;
        }
        let ended = self.node.run.wait_for(|run| match run.state {
            State::Stopped => Some(Ok(())),
            State::Failed => Some(Err(run.failure.clone())),
            _ => None,
        });
        ended.await.map_err(|failure| {
            failure.unwrap_or_else(|| Error::new(ErrorKind::InvalidState, self.path(), "service is failed"))
        })
    }

    /// Starts the service, runs `body`, and stops the service again, also when `body` panics.
    /// Returns what `body` returned, or the error of the start or the stop.
    pub async fn while_started<F: Future>(&self, body: F) -> Result<F::Output, Error> {
        self.start().await?;
        let output = AssertUnwindSafe(body).catch_unwind().await;
        let stopped = self.stop().await;
        match output {
            Ok(output) => stopped.map(|()| output),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// A failure reached `ctx`: log it, then [`pass_up`].
pub(crate) fn escalate(ctx: &Context, err: Error) {
    log::error!("{}", err.chain());
    pass_up(ctx, err);
}

/// What a failure does, once logged. This is the one place that decides it.
///
/// The failure is recorded on `ctx`, then on each ancestor in turn, and goes up until it reaches
/// a service whose parent supervises it ([`supervision::contains_failure`]): that service alone
/// is stopped, and its parent restarts it or not, by its policy. A failure that reaches the root
/// stops the root, and with it the whole tree: with no supervised service on its way, that is
/// every failure, as it was before supervision.
pub(crate) fn pass_up(ctx: &Context, err: Error) {
    let mut at = ctx.clone();
    loop {
        at.record_failure(err.clone());
        let Some(parent) = at.parent() else { break };
        if let Some(restart) = supervision::contains_failure(&at, &parent) {
            let (number, stopped) = at.stop_in_background();
            // Only the failure that ends the run calls for a restart; a run already stopping was
            // ended by someone else, who decides.
            if stopped && restart != Restart::Temporary {
                parent.child_ended(&at, number);
            }
            return;
        }
        at = parent;
    }
    at.stop_in_background();
}

/// Runs a hook, turning a panic into an error.
async fn guarded<T>(hook: impl Future<Output = Result<T, crate::BoxError>>) -> Result<T, crate::BoxError> {
    match AssertUnwindSafe(hook).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(format!("panicked: {}", panic_message(panic.as_ref())).into()),
    }
}

/// `Some(output)` if `future` finishes within `limit`. A future that is done at its first poll
/// (most hooks are) needs no timer: it is made only if that poll leaves the future pending, for
/// what is left of `limit` since `began` (read before the first poll: a future that blocks before
/// its first await gains no time).
async fn within<F: Future>(
    manager: &dyn AsyncManager,
    began: Instant,
    limit: Duration,
    future: F,
) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    if let Poll::Ready(output) = futures::poll!(future.as_mut()) {
        return Some(output);
    }
    match select(future, manager.sleep(limit.saturating_sub(began.elapsed()))).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(_) => None,
    }
}
