//! A service's runs, each from its start to the end of its stop, kept in one place.

use std::sync::{Mutex, Weak};

use event_listener::{Event, listener};

use crate::error::Error;
use crate::snapshot::Failure;
use crate::state::{State, lock};
use crate::task::{Owner, TaskSet};

/// Where a service's current run is, and what it has learnt; a start begins a new one.
///
/// Three things say how far a run has got, and each is kept once:
///
/// * its [`State`]. A stop has been *requested* exactly when the state is `stopping`: that is
///   the moment [`Run::request_stop`] moves it there.
/// * whether its tasks have been *told to stop*: [`TaskSet::is_told_to_stop`]. That comes later
///   in a stop (after the children have stopped), and it is all that `Context::stopping`,
///   `is_stopping` and `sleep` look at. The task set keeps it, because the spawn path reads it
///   without a lock; the run opens the set when it begins.
/// * what the run has learnt ([`Record`]), and what the service's runs have learnt together
///   ([`History`]).
///
/// State, record and history change together under one lock, and every change notifies the
/// waiters of [`Run::wait_for`], the one wait that every other is built on.
pub(crate) struct Run {
    kept: Mutex<Kept>,
    changed: Event,
    /// The tasks of the service, run after run.
    pub(crate) tasks: TaskSet,
}

/// What one run is and has learnt.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    /// Which run this is: 0 before the first start, one more at each start.
    pub(crate) number: u64,
    /// Where the run is.
    pub(crate) state: State,
    /// `set_ready` was called during this run.
    pub(crate) ready_requested: bool,
    /// A non-waiting start returned with the service not yet ready: `set_ready` finishes it.
    pub(crate) awaiting_ready: bool,
    /// Why this run failed, if it did (the first failure wins).
    pub(crate) failure: Option<Error>,
    /// What went wrong while stopping, if anything.
    pub(crate) stop_error: Option<Error>,
}

/// What the run's lock guards: the current run, and the history beside it (not in the record, so
/// that a new run does not move it and a copy of the record does not carry it).
struct Kept {
    record: Record,
    history: History,
}

/// What a service's runs have learnt together: kept from one run to the next.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    /// How many times its parent has restarted it.
    pub(crate) restarts: u64,
    /// The failure of the last run that failed, and when it was recorded.
    pub(crate) last_failure: Option<Failure>,
}

impl Record {
    fn new(number: u64, state: State) -> Self {
        Record { number, state, ready_requested: false, awaiting_ready: false, failure: None, stop_error: None }
    }
}

impl Kept {
    /// Records `err` as the run's failure, unless it has one; it is then the last failure too.
    fn fail(&mut self, err: &Error) {
        if self.record.failure.is_none() {
            self.record.failure = Some(err.clone());
            self.history.last_failure = Some(Failure::now(err.clone()));
        }
    }
}

impl Run {
    /// No run yet: `init`, and a task set that admits nothing.
    pub(crate) fn new(owner: Weak<dyn Owner>) -> Self {
        Run {
            kept: Mutex::new(Kept { record: Record::new(0, State::Init), history: History::default() }),
            changed: Event::new(),
            tasks: TaskSet::new(owner),
        }
    }

    pub(crate) fn state(&self) -> State {
        lock(&self.kept).record.state
    }

    /// Reads the record.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Record) -> T) -> T {
        read(&lock(&self.kept).record)
    }

    /// Changes the record, and tells the waiters.
    pub(crate) fn update<T>(&self, change: impl FnOnce(&mut Record) -> T) -> T {
        self.change(|kept| change(&mut kept.record))
    }

    /// Changes what the lock guards, and tells the waiters.
    fn change<T>(&self, change: impl FnOnce(&mut Kept) -> T) -> T {
        let result = change(&mut lock(&self.kept));
        self.changed.notify(usize::MAX);
        result
    }

    /// The state and the history, read together.
    pub(crate) fn history(&self) -> (State, History) {
        let kept = lock(&self.kept);
        (kept.record.state, kept.history.clone())
    }

    /// Its parent restarts the service: one restart more.
    pub(crate) fn count_restart(&self) {
        lock(&self.kept).history.restarts += 1;
    }

    /// Waits until `done` finds what it looks for in the record (at once if it does now).
    pub(crate) async fn wait_for<T>(&self, done: impl Fn(&Record) -> Option<T>) -> T {
        loop {
            if let Some(found) = self.read(&done) {
                return found;
            }
            listener!(self.changed => changed);
            if let Some(found) = self.read(&done) {
                return found;
            }
            changed.await;
        }
    }

    /// Begins a new run, `starting`, with its task set open; returns its number. Refused with
    /// the state found unless the service is down.
    pub(crate) fn begin(&self) -> Result<u64, State> {
        self.update(|record| {
            if !record.state.is_down() {
                return Err(record.state);
            }
            *record = Record::new(record.number + 1, State::Starting);
            self.tasks.open();
            Ok(record.number)
        })
    }

    /// Requests a stop of a running service: moves it to `stopping`. Returns the number of the
    /// current run, and the state it was in if this call requested the stop (`None` if the
    /// service is not running, or a stop was already requested).
    pub(crate) fn request_stop(&self) -> (u64, Option<State>) {
        let mut kept = lock(&self.kept);
        let record = &mut kept.record;
        let number = record.number;
        if !record.state.is_running() {
            return (number, None);
        }
        let from = std::mem::replace(&mut record.state, State::Stopping);
        drop(kept);
        self.changed.notify(usize::MAX);
        (number, Some(from))
    }

    /// Records `err` as the failure of this run, unless it already has one.
    pub(crate) fn record_failure(&self, err: Error) {
        self.change(|kept| kept.fail(&err));
    }

    /// The start of this run failed with `err`: records it and, unless a stop was requested
    /// meanwhile (which then rolls the start back), moves to `stopping`; true if it did.
    pub(crate) fn start_failed(&self, err: Error) -> bool {
        self.change(|kept| {
            kept.fail(&err);
            if kept.record.state != State::Starting {
                return false;
            }
            kept.record.state = State::Stopping;
            true
        })
    }

    /// The stop of this run is done: `failed` if the run recorded a failure or `stop_error` is
    /// one, `stopped` otherwise. Returns the state it ends in.
    pub(crate) fn end(&self, stop_error: Option<Error>) -> State {
        self.change(|kept| {
            if let Some(err) = &stop_error {
                kept.fail(err);
            }
            let record = &mut kept.record;
            record.stop_error = stop_error;
            record.state = if record.failure.is_some() { State::Failed } else { State::Stopped };
            record.state
        })
    }

    /// Resolves when run `number` is over (down, or followed by another), with its record then.
    pub(crate) async fn over(&self, number: u64) -> Option<Record> {
        self.wait_for(|record| match record.number == number {
            true if record.state.is_down() => Some(Some(record.clone())),
            true => None,
            false => Some(None),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ErrorKind;

    struct Nobody;

    impl Owner for Nobody {
        fn path(&self) -> String {
            "Nobody".to_string()
        }
        fn task_failed(self: Arc<Self>, _err: Error) {}
    }

    fn run() -> Run {
        let nobody: Weak<Nobody> = Weak::new();
        Run::new(nobody)
    }

    #[test]
    fn a_run_begins_only_when_the_service_is_down_and_opens_its_tasks() {
        let run = run();
        assert!(run.tasks.is_told_to_stop());
        assert_eq!(run.begin(), Ok(1));
        assert!(!run.tasks.is_told_to_stop());
        assert_eq!(run.begin(), Err(State::Starting));
        assert_eq!(run.request_stop(), (1, Some(State::Starting)));
        assert_eq!(run.request_stop(), (1, None));
        run.tasks.tell_to_stop();
        assert_eq!(run.end(None), State::Stopped);
        assert_eq!(run.begin(), Ok(2));
    }

    #[test]
    fn a_failure_ends_the_run_failed_and_the_next_run_forgets_it() {
        let run = run();
        run.begin().unwrap();
        let cause = Error::new(ErrorKind::StartFailed, "P", "do_start failed");
        assert!(run.start_failed(cause.clone()));
        assert_eq!(run.state(), State::Stopping);
        run.record_failure(Error::new(ErrorKind::TaskFailed, "P", "later"));
        assert_eq!(run.end(None), State::Failed);
        assert_eq!(run.read(|r| r.failure.clone()).unwrap().kind(), ErrorKind::StartFailed);
        run.begin().unwrap();
        assert!(run.read(|r| r.failure.is_none()));
    }

    #[test]
    fn the_history_outlives_the_run_and_keeps_its_first_failure() {
        let run = run();
        run.begin().unwrap();
        run.record_failure(Error::new(ErrorKind::TaskFailed, "P", "first"));
        run.record_failure(Error::new(ErrorKind::TaskFailed, "P", "second"));
        run.count_restart();
        run.request_stop();
        run.end(None);
        run.begin().unwrap();
        let failure = run.read(|record| record.failure.clone());
        let (_, history) = run.history();
        assert!(failure.is_none());
        assert_eq!(history.restarts, 1);
        assert_eq!(history.last_failure.unwrap().error.to_string(), "P: first");
    }

    #[test]
    fn a_start_that_fails_after_a_stop_was_requested_leaves_the_rollback_to_the_stop() {
        let run = run();
        run.begin().unwrap();
        run.request_stop();
        assert!(!run.start_failed(Error::new(ErrorKind::StartFailed, "P", "do_start failed")));
        assert_eq!(run.state(), State::Stopping);
        assert_eq!(run.end(None), State::Failed);
    }

    #[test]
    fn wait_for_wakes_on_a_change_from_another_thread() {
        let run = Arc::new(run());
        let number = run.begin().unwrap();
        let stopper = {
            let run = run.clone();
            std::thread::spawn(move || {
                run.request_stop();
                run.end(None);
            })
        };
        let over = futures::executor::block_on(run.over(number));
        stopper.join().unwrap();
        assert_eq!(over.map(|record| record.state), Some(State::Stopped));
    }
}
