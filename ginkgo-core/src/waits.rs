//! Waiting on a service: the waits listed together in [`Context`]'s documentation, all built on
//! [`Run::wait_for`](crate::run::Run::wait_for).

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use futures::future::{Either, select};

use crate::error::{Error, ErrorKind};
use crate::{Context, State};

impl Context {
    /// Waits until the service is ready, at most `timeout`. A service in `init` may be started
    /// meanwhile. Once the run can no longer become ready (it is stopping, stopped or failed),
    /// returns why: the run's failure (for a start that failed, the start's error), or an
    /// `InvalidState` error if it was stopped.
    pub async fn wait_ready(&self, timeout: Duration) -> Result<(), Error> {
        let settled = self.node.run.wait_for(|run| match run.state {
            State::Init | State::Starting => None,
            State::Ready => Some(Ok(())),
            other => Some(Err((other, run.failure.clone()))),
        });
        match self.limited(timeout, settled).await? {
            Ok(()) => Ok(()),
            Err((_, Some(failure))) => Err(failure),
            Err((state, None)) => Err(Error::invalid_state(&self.path(), "become ready", state)),
        }
    }

    /// Waits until the service is `stopped` or `failed`, at most `timeout`, and returns which.
    /// A service in `init` may be started and stopped meanwhile.
    pub async fn wait_stopped(&self, timeout: Duration) -> Result<State, Error> {
        self.wait_state(timeout, |s| s == State::Stopped || s == State::Failed).await
    }

    /// Waits, without a deadline, until the service is `stopped` or `failed`, and returns which.
    /// Unlike [`serve_forever`](Context::serve_forever) it never starts the service.
    pub async fn wait_until_stopped(&self) -> State {
        self.node.run.wait_for(|run| matches!(run.state, State::Stopped | State::Failed).then_some(run.state)).await
    }

    /// Waits for a state that satisfies `done`, at most `timeout`, and returns it.
    pub async fn wait_state(&self, timeout: Duration, done: impl Fn(State) -> bool) -> Result<State, Error> {
        self.limited(timeout, self.node.run.wait_for(|run| done(run.state).then_some(run.state))).await
    }

    /// `wait`'s output, or a `Timeout` error if `timeout` runs out first. A wait that is over at
    /// once needs no manager.
    async fn limited<T>(&self, timeout: Duration, wait: impl Future<Output = T>) -> Result<T, Error> {
        let mut wait = std::pin::pin!(wait);
        if let Poll::Ready(found) = futures::poll!(wait.as_mut()) {
            return Ok(found);
        }
        let manager = self.manager()?.clone();
        match select(wait, manager.sleep(timeout)).await {
            Either::Left((found, _)) => Ok(found),
            Either::Right(_) => {
                Err(Error::new(ErrorKind::Timeout, self.path(), format!("still {} after {timeout:?}", self.state())))
            }
        }
    }

    /// Resolves when a stop of this run is requested.
    pub(crate) async fn stop_requested(&self) {
        self.node.run.wait_for(|run| (run.state == State::Stopping).then_some(())).await;
    }

    /// Resolves when `set_ready` has been called in this run.
    pub(crate) async fn ready_requested(&self) {
        self.node.run.wait_for(|run| run.ready_requested.then_some(())).await;
    }
}
