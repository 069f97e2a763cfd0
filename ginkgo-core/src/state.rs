//! The states a service goes through.

use std::fmt;
use std::sync::Mutex;

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
}
