//! The states a service goes through, and a cell that can be read and awaited.

use std::fmt;
use std::sync::Mutex;

use event_listener::{Event, listener};

/// Where a service is in its life.
///
/// ```text
///  init ──start──▶ starting ──ready──▶ ready ──stop──▶ stopping ──▶ stopped
///                     │                                   ▲   └───▶ failed
///                     └────────────────stop───────────────┘
///  stopped and failed can be started again.
/// ```
///
/// A service is `failed` when its start failed (after the rollback), when one of its tasks
/// failed, or when a failure escalated through it from a child; [`Context::failure`] tells why.
///
/// [`Context::failure`]: crate::Context::failure
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Created, never started.
    Init,
    /// Starting: children and `do_start` are running, or it waits for `set_ready`.
    Starting,
    /// Started and ready to do its work.
    Ready,
    /// Stopping: children, tasks and `do_stop` are being ended.
    Stopping,
    /// Stopped cleanly; can be started again.
    Stopped,
    /// Stopped because of a failure; can be started again.
    Failed,
}

impl State {
    /// The lowercase name: `init`, `starting`, `ready`, `stopping`, `stopped`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Init => "init",
            State::Starting => "starting",
            State::Ready => "ready",
            State::Stopping => "stopping",
            State::Stopped => "stopped",
            State::Failed => "failed",
        }
    }

    /// True in `starting` and `ready`: the service has been started and not yet told to stop.
    pub fn is_running(self) -> bool {
        matches!(self, State::Starting | State::Ready)
    }

    /// True in `init`, `stopped` and `failed`: nothing of the service runs, it may be started.
    pub fn is_down(self) -> bool {
        matches!(self, State::Init | State::Stopped | State::Failed)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state that can be read at once and awaited on any runtime.
pub(crate) struct StateCell {
    current: Mutex<State>,
    changed: Event,
}

impl StateCell {
    pub(crate) fn new() -> Self {
        StateCell { current: Mutex::new(State::Init), changed: Event::new() }
    }

    pub(crate) fn get(&self) -> State {
        *lock(&self.current)
    }

    pub(crate) fn set(&self, to: State) {
        *lock(&self.current) = to;
        self.changed.notify(usize::MAX);
    }

    /// Moves to `to` if the current state satisfies `allowed`; returns the state found.
    pub(crate) fn transition(&self, allowed: impl Fn(State) -> bool, to: State) -> Result<State, State> {
        let mut current = lock(&self.current);
        let found = *current;
        if !allowed(found) {
            return Err(found);
        }
        *current = to;
        drop(current);
        self.changed.notify(usize::MAX);
        Ok(found)
    }

    /// Resolves with the first state that satisfies `done` (at once if the current one does).
    pub(crate) async fn wait_until(&self, done: impl Fn(State) -> bool) -> State {
        loop {
            let state = self.get();
            if done(state) {
                return state;
            }
            listener!(self.changed => changed);
            let state = self.get();
            if done(state) {
                return state;
            }
            changed.await;
        }
    }
}

/// Locks a mutex, ignoring poisoning: every critical section here leaves the data consistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase() {
        let all = [State::Init, State::Starting, State::Ready, State::Stopping, State::Stopped, State::Failed];
        let names: Vec<_> = all.iter().map(|s| s.to_string()).collect();
        assert_eq!(names, ["init", "starting", "ready", "stopping", "stopped", "failed"]);
    }

    #[test]
    fn transition_checks_the_current_state() {
        let cell = StateCell::new();
        assert_eq!(cell.transition(State::is_down, State::Starting), Ok(State::Init));
        assert_eq!(cell.transition(State::is_down, State::Starting), Err(State::Starting));
        assert_eq!(cell.get(), State::Starting);
    }

    #[test]
    fn wait_until_wakes_on_a_change_from_another_thread() {
        let cell = std::sync::Arc::new(StateCell::new());
        let setter = {
            let cell = cell.clone();
            std::thread::spawn(move || cell.set(State::Ready))
        };
        let seen = futures::executor::block_on(cell.wait_until(|s| s == State::Ready));
        setter.join().unwrap();
        assert_eq!(seen, State::Ready);
    }
}
