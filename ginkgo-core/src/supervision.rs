//! Supervision as a user states it: the restart policy a child is added with, and the strategy
//! and intensity of the parent that restarts it. [`supervisor`](crate::supervisor) acts on them.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::handle::{IntoService, ServiceHandle};
use crate::{Backoff, Context, State};

/// When a parent restarts a child it supervises (Erlang/OTP's restart types).
///
/// A child added with [`Context::add_service`] has no policy: its failure is its parent's, and
/// goes on up the tree, as it always has. One added with [`Context::add_supervised`] has one of
/// these, and its parent deals with its end:
///
/// | policy | after a failure | after a stop of its own |
/// |---|---|---|
/// | `Permanent` | restarted | restarted |
/// | `Transient` | restarted | left stopped |
/// | `Temporary` | left failed; the failure stops only this child | left stopped |
///
/// A stop "of its own" is any [`stop`](Context::stop) of the child itself, whoever calls it;
/// when its parent stops, no child is restarted. To take a permanent child down for good,
/// [`remove_service`](Context::remove_service) it first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Restart {
    /// Always restarted: it should run for as long as its parent runs.
    Permanent,
    /// Restarted after a failure; a stop of its own is final.
    Transient,
    /// Never restarted, not even with its siblings: its failure is contained and reported (its
    /// state, [`Context::failure`], the log), and its parent runs on.
    Temporary,
}

impl Restart {
    /// True if a run of the child that ended this way (`failed` or not) is followed by another.
    pub(crate) fn restarts_after(self, failed: bool) -> bool {
        match self {
            Restart::Permanent => true,
            Restart::Transient => failed,
            Restart::Temporary => false,
        }
    }
}

/// Which children a parent restarts when one of them is restarted (Erlang/OTP's strategies).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Only the child that ended: the children do not depend on each other.
    #[default]
    OneForOne,
    /// Every child: the others are stopped (last added first) and all are started again, in
    /// order. For children that cannot work without each other.
    OneForAll,
    /// The child that ended and those added after it: each child depends on those before it.
    RestForOne,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::OneForOne => "one for one",
            Strategy::OneForAll => "one for all",
            Strategy::RestForOne => "rest for one",
        })
    }
}

/// How often a parent may restart its children, and how long it waits before each restart.
///
/// At most `restarts` restarts within any `period`: the one after that is not made, and the
/// parent fails instead (with [`ErrorKind::TooManyRestarts`](crate::ErrorKind)), which its own
/// parent then deals with. Before the restart number `k` of the period (0 for the first), the
/// parent waits `backoff.delay(k, …)`, so a child that fails at once is retried more and more
/// slowly, and a calm period starts the delays over.
///
/// The default is systemd's limit for a unit, at most 5 restarts within 10 s, with
/// [`Backoff::default`] between them (100 ms, then doubling, with a 20 % jitter): a child that
/// fails as soon as it starts is given up on after about 3 s.
///
/// It can be a setting, like [`Backoff`]: in a config file it is a table whose period is in
/// seconds, and any field left out keeps its default (`[app.intensity]`, `restarts = 3`,
/// `period = 60`, `backoff = { initial_delay = 1 }`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Intensity {
    /// How many restarts a period may hold. Zero: the first end that calls for a restart fails
    /// the parent.
    pub restarts: u32,
    /// The sliding window the restarts are counted in.
    #[serde(with = "crate::backoff::as_seconds")]
    pub period: Duration,
    /// The wait before each restart, growing with the restarts already in the period.
    pub backoff: Backoff,
}

impl Default for Intensity {
    fn default() -> Self {
        Intensity { restarts: 5, period: Duration::from_secs(10), backoff: Backoff::default() }
    }
}

impl Context {
    /// Adds a child that this service supervises: when the child ends while this service is
    /// ready, this service restarts it, or not, as `restart` says (see [`Restart`]), within its
    /// [`Intensity`] and by its [`Strategy`] ([`supervise`](Context::supervise)). Otherwise like
    /// [`add_service`](Context::add_service).
    ///
    /// ```
    /// use ginkgo::{Restart, Service, ServiceHandle};
    ///
    /// struct Uplink;
    /// impl Service for Uplink {}
    /// struct App;
    /// impl Service for App {}
    ///
    /// let app = ServiceHandle::build(|this| {
    ///     this.add_supervised(Uplink, Restart::Permanent);
    ///     App
    /// });
    /// assert_eq!(app.children()[0].restart_policy(), Some(Restart::Permanent));
    /// ```
    pub fn add_supervised<C: IntoService>(&self, child: C, restart: Restart) -> ServiceHandle<C::Service> {
        let handle = self.add_service(child);
        self.supervisor().set_policy(handle.context(), restart);
        handle
    }

    /// Says how this service restarts the children it supervises: which of them go with a
    /// restart (`strategy`), how many restarts it allows in how long, and how long it waits
    /// before each (`intensity`). Until it is called: [`Strategy::OneForOne`] and
    /// [`Intensity::default`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use ginkgo::{Intensity, Restart, Service, ServiceHandle, Strategy};
    ///
    /// struct Reader;
    /// impl Service for Reader {}
    /// struct Writer;
    /// impl Service for Writer {}
    /// struct Pipeline;
    /// impl Service for Pipeline {}
    ///
    /// let pipeline = ServiceHandle::build(|this| {
    ///     // The writer cannot work without the reader: a restart of the reader restarts both.
    ///     this.supervise(Strategy::RestForOne, Intensity { restarts: 3, period: Duration::from_secs(60), ..Intensity::default() });
    ///     this.add_supervised(Reader, Restart::Permanent);
    ///     this.add_supervised(Writer, Restart::Permanent);
    ///     Pipeline
    /// });
    /// assert_eq!(pipeline.children().len(), 2);
    /// ```
    pub fn supervise(&self, strategy: Strategy, intensity: Intensity) {
        self.supervisor().configure(strategy, intensity);
    }

    /// The policy its parent supervises this service with; `None` if it was added with
    /// [`add_service`](Context::add_service) (its failure is then its parent's), or has no
    /// parent.
    pub fn restart_policy(&self) -> Option<Restart> {
        let parent = self.parent()?;
        parent.node.supervisor.get()?.policy(self)
    }
}

/// Where a failure that reached `child` stops going up: at `child` if its parent supervises it
/// (then returns its policy), unless the parent is still starting and the child would be
/// restarted. A failure during the parent's start fails that start, as OTP fails a supervisor
/// whose child fails while it starts: restarting there would hide a start that cannot succeed.
pub(crate) fn contains_failure(child: &Context, parent: &Context) -> Option<Restart> {
    let restart = parent.node.supervisor.get()?.policy(child)?;
    let parent_starting = parent.state() == State::Starting;
    (restart == Restart::Temporary || !parent_starting).then_some(restart)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn an_intensity_reads_as_a_table_in_seconds_that_keeps_the_other_defaults() {
        let read: Intensity = serde_json::from_str(r#"{"period": 60, "backoff": {"jitter": 0}}"#).unwrap();
        let backoff = Backoff { jitter: 0.0, ..Backoff::default() };
        assert_eq!(read, Intensity { period: Duration::from_secs(60), backoff, ..Intensity::default() });
        assert!(serde_json::from_str::<Intensity>(r#"{"max": 3}"#).is_err(), "unknown fields are refused");
    }

    #[test]
    fn only_a_permanent_child_is_restarted_after_a_stop_and_never_a_temporary_one() {
        let after = |restart: Restart| (restart.restarts_after(true), restart.restarts_after(false));
        assert_eq!(after(Restart::Permanent), (true, true));
        assert_eq!(after(Restart::Transient), (true, false));
        assert_eq!(after(Restart::Temporary), (false, false));
    }
}
