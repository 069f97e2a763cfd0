//! Supervision, on every backend compiled in (`cargo test --all-features --test supervision`
//! runs all four): each restart policy and strategy, the intensity and its backoff, and what a
//! parent that is starting or stopping does with a child's end.
//!
//! A negative ("not restarted") is shown with a probe: a permanent sibling stopped after the
//! event that must not cause a restart. A parent deals with its children's ends one at a time,
//! in order, so once the probe is back, any restart the earlier event caused would have begun.

use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant, SystemTime};

use ginkgo::testing::{DEADLINE, each_backend, until, within};
use ginkgo::{
    Backend, Backoff, BoxError, Context, ErrorKind, Intensity, Readiness, Restart, Service, ServiceHandle, State,
    Strategy, async_trait,
};

/// The events services record, in order.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push(event.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// What a run of a [`Worker`] does once it has started.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Act {
    /// Runs until told to stop.
    Run,
    /// Its task fails once the tree is up.
    Fail,
    /// Its task stops the worker once the tree is up.
    Stop,
    /// Its `do_start` fails.
    FailToStart,
    /// Its task fails when told to stop.
    FailWhenTold,
}

/// A child whose runs do what `acts` says, in turn (`Run` past the end), and that records when
/// each run started and when each planned end came.
#[derive(Clone)]
struct Worker {
    name: &'static str,
    log: Log,
    acts: Arc<Vec<Act>>,
    starts: Arc<Mutex<Vec<Instant>>>,
    ends: Arc<Mutex<Vec<Instant>>>,
}

impl Worker {
    fn new(name: &'static str, log: &Log, acts: &[Act]) -> Self {
        Worker { name, log: log.clone(), acts: Arc::new(acts.to_vec()), starts: Arc::default(), ends: Arc::default() }
    }
    fn starts(&self) -> usize {
        self.starts.lock().unwrap().len()
    }
}

/// Waits until every ancestor and then `ctx` are ready; false if one will not be. (An end that
/// comes while an ancestor is still starting fails that ancestor's start.)
async fn tree_is_up(ctx: &Context) -> bool {
    let mut at = ctx.parent();
    while let Some(ancestor) = at {
        if ancestor.wait_ready(DEADLINE).await.is_err() {
            return false;
        }
        at = ancestor.parent();
    }
    ctx.wait_ready(DEADLINE).await.is_ok()
}

#[async_trait]
impl Service for Worker {
    fn name(&self) -> String {
        self.name.to_string()
    }
    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let run = {
            let mut starts = self.starts.lock().unwrap();
            starts.push(Instant::now());
            starts.len() - 1
        };
        self.log.push(format!("{}.do_start", self.name));
        let act = self.acts.get(run).copied().unwrap_or(Act::Run);
        let name = self.name;
        if act == Act::FailToStart {
            return Err(format!("{name} cannot start").into());
        }
        let ends = self.ends.clone();
        ctx.spawn(move |ctx| async move {
            match act {
                Act::Run => {
                    ctx.stopping().await;
                    return Ok(());
                }
                Act::FailWhenTold => {
                    ctx.stopping().await;
                    return Err(format!("{name} failed while stopping").into());
                }
                _ => {}
            }
            if !tree_is_up(&ctx).await {
                return Ok(());
            }
            ends.lock().unwrap().push(Instant::now());
            if act == Act::Stop {
                ctx.stop().await?;
                return Ok(());
            }
            Err(format!("{name} broke").into())
        });
        Ok(Readiness::Ready)
    }
    async fn do_stop(&self, _ctx: &Context) -> Result<(), BoxError> {
        self.log.push(format!("{}.do_stop", self.name));
        Ok(())
    }
}

/// A parent that does nothing itself.
struct Parent(&'static str);

impl Service for Parent {
    fn name(&self) -> String {
        self.0.to_string()
    }
}

/// Restarts at once, up to 10 within a minute.
fn at_once() -> Intensity {
    Intensity { restarts: 10, period: Duration::from_secs(60), backoff: no_backoff() }
}

fn no_backoff() -> Backoff {
    Backoff { initial_delay: Duration::ZERO, max_delay: Duration::ZERO, factor: 1.0, jitter: 0.0 }
}

/// `name`, supervising `children` by `strategy` and `intensity`; `None` adds a child with
/// `add_service`.
fn parent(
    backend: Backend,
    name: &'static str,
    strategy: Strategy,
    intensity: Intensity,
    children: &[(&Worker, Option<Restart>)],
) -> ServiceHandle<Parent> {
    backend.service(ServiceHandle::build(|this| {
        this.supervise(strategy, intensity);
        for (child, restart) in children {
            match restart {
                Some(restart) => drop(this.add_supervised((*child).clone(), *restart)),
                None => drop(this.add_service((*child).clone())),
            }
        }
        Parent(name)
    }))
}

/// The child of `parent` called `name`.
fn child(parent: &Context, name: &str) -> Context {
    parent.children().into_iter().find(|c| c.name() == name).expect("a child of that name")
}

/// Waits until `child` has been restarted `restarts` times and is ready again.
async fn restarted(backend: Backend, child: &Context, restarts: u64) {
    let what = format!("{} restarted {restarts} times", child.path());
    until(backend, &what, || child.snapshot().restarts == restarts && child.state() == State::Ready).await;
}

/// Stops the permanent `probe` and waits until its parent has restarted it: every end its
/// parent was told of before has been dealt with.
async fn probe(backend: Backend, probe: &Context) {
    let restarts = probe.snapshot().restarts;
    within(backend, "stop the probe", probe.stop()).await.unwrap();
    restarted(backend, probe, restarts + 1).await;
}

#[test]
fn a_permanent_child_is_restarted_after_a_failure_and_after_a_stop_of_its_own() {
    each_backend(|backend| async move {
        let log = Log::default();
        let c = Worker::new("c", &log, &[Act::Fail, Act::Stop]);
        let plain = Worker::new("plain", &log, &[]);
        let p =
            parent(backend, "Perm", Strategy::OneForOne, at_once(), &[(&plain, None), (&c, Some(Restart::Permanent))]);
        let before = SystemTime::now();
        within(backend, "start", p.start()).await.unwrap();
        let cc = child(&p, "c");
        assert_eq!(cc.restart_policy(), Some(Restart::Permanent));
        assert_eq!(child(&p, "plain").restart_policy(), None);
        restarted(backend, &cc, 2).await;
        assert_eq!(c.starts(), 3);
        assert_eq!(p.state(), State::Ready);
        assert!(p.failure().is_none());
        // Its run failed, then stopped, then the third runs: the snapshot keeps the failure.
        let shown = cc.snapshot();
        let failure = shown.last_failure.expect("the failure is kept");
        assert_eq!(failure.error.chain().to_string(), "Perm/c: task failed: c broke");
        assert!(failure.at >= before && failure.at <= SystemTime::now());
        assert!(cc.failure().is_none(), "the run that failed is over");
        assert_eq!(
            p.snapshot().to_string(),
            format!(
                "Perm ready (0 tasks)\n  plain ready (1 task)\n  c ready (1 task, 2 restarts, last failure: Perm/c: task failed: c broke)\n"
            )
        );
        within(backend, "stop", p.stop()).await.unwrap();
        assert_eq!(
            log.take(),
            [
                "plain.do_start",
                "c.do_start",
                "c.do_stop",
                "c.do_start",
                "c.do_stop",
                "c.do_start",
                "c.do_stop",
                "plain.do_stop"
            ]
        );
        // The parent's stop is not followed by a restart.
        assert_eq!(cc.state(), State::Stopped);
        assert_eq!((c.starts(), cc.snapshot().restarts), (3, 2));
    });
}

#[test]
fn a_transient_child_is_restarted_after_a_failure_but_not_after_a_stop_of_its_own() {
    each_backend(|backend| async move {
        let log = Log::default();
        let t = Worker::new("t", &log, &[Act::Fail, Act::Stop]);
        let probe_worker = Worker::new("probe", &Log::default(), &[]);
        let p = parent(
            backend,
            "Trans",
            Strategy::OneForOne,
            at_once(),
            &[(&t, Some(Restart::Transient)), (&probe_worker, Some(Restart::Permanent))],
        );
        within(backend, "start", p.start()).await.unwrap();
        let tc = child(&p, "t");
        // The failure: restarted. The stop of its own, in the second run: left stopped.
        until(backend, "t's second run", || t.starts() == 2).await;
        within(backend, "t's stop", tc.wait_state(DEADLINE, |s| s == State::Stopped)).await.unwrap();
        probe(backend, &child(&p, "probe")).await;
        assert_eq!(tc.state(), State::Stopped);
        assert_eq!((t.starts(), tc.snapshot().restarts), (2, 1));
        assert_eq!(p.state(), State::Ready);
        within(backend, "stop", p.stop()).await.unwrap();
        assert_eq!(log.take(), ["t.do_start", "t.do_stop", "t.do_start", "t.do_stop"]);
    });
}

#[test]
fn a_temporary_childs_failure_stops_only_itself_and_is_reported() {
    each_backend(|backend| async move {
        let log = Log::default();
        let plain = Worker::new("plain", &log, &[]);
        let tmp = Worker::new("tmp", &log, &[Act::Fail]);
        let idle = Worker::new("idle", &log, &[]);
        let perm = Worker::new("perm", &Log::default(), &[]);
        // One for all: a temporary child is not restarted, and does not restart the others.
        let p = parent(
            backend,
            "Temp",
            Strategy::OneForAll,
            at_once(),
            &[
                (&plain, None),
                (&tmp, Some(Restart::Temporary)),
                (&idle, Some(Restart::Temporary)),
                (&perm, Some(Restart::Permanent)),
            ],
        );
        within(backend, "start", p.start()).await.unwrap();
        let tc = child(&p, "tmp");
        assert_eq!(within(backend, "tmp's end", tc.wait_stopped(DEADLINE)).await.unwrap(), State::Failed);
        assert_eq!(tc.failure().unwrap().chain().to_string(), "Temp/tmp: task failed: tmp broke");
        assert_eq!(tc.snapshot().last_failure.unwrap().error.kind(), ErrorKind::TaskFailed);
        assert_eq!(p.state(), State::Ready);
        assert!(p.failure().is_none(), "the failure went no further");
        assert_eq!(log.take(), ["plain.do_start", "tmp.do_start", "idle.do_start", "tmp.do_stop"]);
        // The probe's restart takes the others with it (one for all): a temporary child that
        // runs is stopped with them, and not started again; the failed one stays as it is.
        probe(backend, &child(&p, "perm")).await;
        assert_eq!(log.take(), ["idle.do_stop", "plain.do_stop", "plain.do_start"]);
        assert_eq!((tc.state(), child(&p, "idle").state()), (State::Failed, State::Stopped));
        assert_eq!((tmp.starts(), idle.starts(), tc.snapshot().restarts), (1, 1, 0));
        // The parent stops cleanly.
        within(backend, "stop", p.stop()).await.unwrap();
        assert_eq!(p.state(), State::Stopped);
        assert_eq!(log.take(), ["plain.do_stop"]);
    });
}

#[test]
fn each_strategy_restarts_its_group_stopping_in_reverse_and_starting_in_order() {
    each_backend(|backend| async move {
        let expected: [(Strategy, &[&str], &[u64]); 3] = [
            (Strategy::OneForOne, &["b.do_stop", "b.do_start"], &[0, 1, 0, 0]),
            (
                Strategy::RestForOne,
                &["b.do_stop", "d.do_stop", "c.do_stop", "b.do_start", "c.do_start", "d.do_start"],
                &[0, 1, 1, 1],
            ),
            (
                Strategy::OneForAll,
                &[
                    "b.do_stop",
                    "d.do_stop",
                    "c.do_stop",
                    "a.do_stop",
                    "a.do_start",
                    "b.do_start",
                    "c.do_start",
                    "d.do_start",
                ],
                &[1, 1, 1, 1],
            ),
        ];
        for (strategy, events, restarts) in expected {
            let log = Log::default();
            let a = Worker::new("a", &log, &[]);
            let b = Worker::new("b", &log, &[Act::Fail]);
            let c = Worker::new("c", &log, &[]);
            let d = Worker::new("d", &log, &[]);
            // A transient, a permanent, a child without a policy and a permanent one.
            let p = parent(
                backend,
                "Strat",
                strategy,
                at_once(),
                &[
                    (&a, Some(Restart::Transient)),
                    (&b, Some(Restart::Permanent)),
                    (&c, None),
                    (&d, Some(Restart::Permanent)),
                ],
            );
            within(backend, "start", p.start()).await.unwrap();
            restarted(backend, &child(&p, "b"), 1).await;
            let last = p.children().last().unwrap().clone();
            restarted(backend, &last, restarts[3]).await;
            let started = ["a.do_start", "b.do_start", "c.do_start", "d.do_start"];
            let log_now = log.take();
            assert_eq!(log_now[..4], started, "{strategy}");
            assert_eq!(log_now[4..], *events, "{strategy}");
            let counted: Vec<u64> = p.children().iter().map(|c| c.snapshot().restarts).collect();
            assert_eq!(counted, restarts, "{strategy}");
            assert!(p.children().iter().all(|c| c.state() == State::Ready), "{strategy}");
            within(backend, "stop", p.stop()).await.unwrap();
        }
    });
}

#[test]
fn beyond_its_intensity_a_parent_fails_and_its_own_parent_decides() {
    each_backend(|backend| async move {
        let always_fails = [Act::Fail; 8];
        let two = Intensity { restarts: 2, ..at_once() };

        // Under a root that does not supervise it, the parent's failure stops the tree.
        let c = Worker::new("c", &Log::default(), &always_fails);
        let inner = ServiceHandle::build(|this| {
            this.supervise(Strategy::OneForOne, two.clone());
            this.add_supervised(c.clone(), Restart::Permanent);
            Parent("P")
        });
        let root = backend.service(ServiceHandle::build(|this| {
            this.add_service(inner);
            Parent("R")
        }));
        let err = within(backend, "serve", root.serve_forever()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooManyRestarts);
        assert_eq!(err.path(), "R/P");
        assert_eq!(
            err.chain().to_string(),
            "R/P: more than 2 restarts of its children within 60s: R/P/c: task failed: c broke"
        );
        assert_eq!((c.starts(), child(&child(&root, "P"), "c").snapshot().restarts), (3, 2));
        assert_eq!((root.state(), child(&root, "P").state()), (State::Failed, State::Failed));

        // Under a root that supervises it, the parent is restarted (with a fresh count of its
        // own), until the root's intensity is exceeded too.
        let c = Worker::new("c", &Log::default(), &always_fails);
        let inner = ServiceHandle::build(|this| {
            this.supervise(Strategy::OneForOne, two.clone());
            this.add_supervised(c.clone(), Restart::Permanent);
            Parent("P")
        });
        let root = backend.service(ServiceHandle::build(|this| {
            this.supervise(Strategy::OneForOne, Intensity { restarts: 1, ..at_once() });
            this.add_supervised(inner, Restart::Permanent);
            Parent("R")
        }));
        let err = within(backend, "serve", root.serve_forever()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooManyRestarts);
        assert_eq!(
            err.chain().to_string(),
            "R: more than 1 restarts of its children within 60s: \
             R/P: more than 2 restarts of its children within 60s: R/P/c: task failed: c broke"
        );
        assert_eq!(c.starts(), 6, "two runs of P, each starting c three times");
        assert_eq!(child(&root, "P").snapshot().restarts, 1);
    });
}

#[test]
fn a_restart_waits_for_the_backoff_and_the_delays_grow() {
    each_backend(|backend| async move {
        let backoff = Backoff {
            initial_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(1),
            factor: 2.0,
            jitter: 0.0,
        };
        let c = Worker::new("c", &Log::default(), &[Act::Fail, Act::Fail, Act::Fail]);
        let intensity = Intensity { restarts: 3, period: Duration::from_secs(60), backoff: backoff.clone() };
        let p = parent(backend, "Back", Strategy::OneForOne, intensity, &[(&c, Some(Restart::Permanent))]);
        within(backend, "start", p.start()).await.unwrap();
        restarted(backend, &child(&p, "c"), 3).await;
        let starts = c.starts.lock().unwrap().clone();
        let ends = c.ends.lock().unwrap().clone();
        assert_eq!((starts.len(), ends.len()), (4, 3));
        for (retry, failed) in ends.iter().enumerate() {
            let waited = starts[retry + 1].duration_since(*failed);
            let delay = backoff.base_delay(retry as u32);
            assert!(
                waited >= delay,
                "restart {retry} came {waited:?} after the failure, before its backoff ({delay:?})"
            );
            assert!(starts[retry] < *failed, "run {retry} failed after it started");
        }
        within(backend, "stop", p.stop()).await.unwrap();
    });
}

/// Stops its sibling `c` (a stop of `c`'s own) from its `do_stop`: while their parent stops.
struct StopsSibling;

#[async_trait]
impl Service for StopsSibling {
    async fn do_stop(&self, ctx: &Context) -> Result<(), BoxError> {
        let parent = ctx.parent().expect("has a parent");
        child(&parent, "c").stop().await?;
        Ok(())
    }
}

#[test]
fn no_restart_begins_while_the_parent_stops() {
    each_backend(|backend| async move {
        // A child that fails while its parent stops is left failed, and the parent stops cleanly.
        let log = Log::default();
        let c = Worker::new("c", &log, &[Act::FailWhenTold]);
        let p = parent(backend, "Stopping", Strategy::OneForAll, at_once(), &[(&c, Some(Restart::Permanent))]);
        within(backend, "start", p.start()).await.unwrap();
        within(backend, "stop", p.stop()).await.unwrap();
        let cc = child(&p, "c");
        assert_eq!((p.state(), cc.state()), (State::Stopped, State::Failed));
        assert_eq!(cc.failure().unwrap().chain().to_string(), "Stopping/c: task failed: c failed while stopping");
        // Nothing of that run is restarted later: the next start starts c once more, that's all.
        within(backend, "start again", p.start()).await.unwrap();
        within(backend, "stop again", p.stop()).await.unwrap();
        assert_eq!((c.starts(), cc.snapshot().restarts), (2, 0));
        assert_eq!(log.take(), ["c.do_start", "c.do_stop", "c.do_start", "c.do_stop"]);

        // A permanent child stopped (by its sibling) while the parent stops: its end is queued,
        // and dropped once the parent is down. The next run starts it once, and the probe shows
        // that nothing of the last run was left to do.
        let c = Worker::new("c", &Log::default(), &[]);
        let probe_worker = Worker::new("probe", &Log::default(), &[]);
        let p = backend.service(ServiceHandle::build(|this| {
            this.supervise(Strategy::OneForOne, at_once());
            this.add_supervised(c.clone(), Restart::Permanent);
            this.add_supervised(probe_worker.clone(), Restart::Permanent);
            this.add_service(StopsSibling);
            Parent("Queued")
        }));
        let cc = child(&p, "c");
        for run in 1..=2 {
            within(backend, "start", p.start()).await.unwrap();
            probe(backend, &child(&p, "probe")).await;
            within(backend, "stop", p.stop()).await.unwrap();
            assert_eq!((c.starts(), cc.snapshot().restarts), (run, 0), "run {run}");
        }

        // A restart waiting for its backoff when the parent stops is not made, and does not
        // hold up the stop (the backoff is far beyond the test's deadline).
        let c = Worker::new("c", &Log::default(), &[Act::Fail]);
        let ten_minutes = Duration::from_secs(600);
        let backoff = Backoff { initial_delay: ten_minutes, max_delay: ten_minutes, ..no_backoff() };
        let slow = Intensity { backoff, ..at_once() };
        let p = parent(backend, "Waiting", Strategy::OneForOne, slow, &[(&c, Some(Restart::Permanent))]);
        within(backend, "start", p.start()).await.unwrap();
        let cc = child(&p, "c");
        assert_eq!(within(backend, "c's end", cc.wait_stopped(DEADLINE)).await.unwrap(), State::Failed);
        within(backend, "stop during the backoff", p.stop()).await.unwrap();
        assert_eq!((p.state(), cc.state()), (State::Stopped, State::Failed));
        assert_eq!((c.starts(), cc.snapshot().restarts), (1, 0));
    });
}

/// Its task fails as soon as its next sibling is starting: a failure during its parent's start.
struct FailsWhileSiblingStarts;

#[async_trait]
impl Service for FailsWhileSiblingStarts {
    fn name(&self) -> String {
        "early".to_string()
    }
    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        ctx.spawn(|ctx| async move {
            let siblings = ctx.parent().expect("has a parent").children();
            let next = siblings.iter().skip_while(|s| **s != ctx).nth(1).expect("has a next sibling").clone();
            next.wait_state(DEADLINE, |s| s == State::Starting).await?;
            Err("bad input".into())
        });
        Ok(Readiness::Ready)
    }
}

#[test]
fn a_permanent_child_failing_during_its_parents_start_fails_the_start() {
    each_backend(|backend| async move {
        // Its task fails while a sibling is still starting.
        let slow = Worker::new("slow", &Log::default(), &[]);
        let p = backend.service(ServiceHandle::build(|this| {
            this.add_supervised(FailsWhileSiblingStarts, Restart::Permanent);
            this.add_supervised(SlowStart(slow.clone()), Restart::Permanent);
            Parent("Early")
        }));
        let err = within(backend, "start", p.start()).await.unwrap_err();
        assert_eq!(err.chain().to_string(), "Early/early: task failed: bad input");
        let early = child(&p, "early");
        assert_eq!((p.state(), early.state()), (State::Failed, State::Failed));
        assert_eq!(early.snapshot().restarts, 0);

        // Its own start fails.
        let broken = Worker::new("broken", &Log::default(), &[Act::FailToStart, Act::Run]);
        let p = parent(backend, "Broken", Strategy::OneForOne, at_once(), &[(&broken, Some(Restart::Permanent))]);
        let err = within(backend, "start", p.start()).await.unwrap_err();
        assert_eq!(err.chain().to_string(), "Broken/broken: do_start failed: broken cannot start");
        assert_eq!((p.state(), broken.starts()), (State::Failed, 1));
    });
}

/// A worker that is never ready: its start waits until the parent's start is interrupted.
struct SlowStart(Worker);

#[async_trait]
impl Service for SlowStart {
    fn name(&self) -> String {
        "slow".to_string()
    }
    fn start_timeout(&self) -> Duration {
        Duration::from_secs(600)
    }
    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        self.0.do_start(ctx).await?;
        Ok(Readiness::NotReady)
    }
}

#[test]
fn a_failed_restart_is_an_end_like_any_other() {
    each_backend(|backend| async move {
        // b's restart fails to start once; rest for one: c waits for b, then both start.
        let log = Log::default();
        let a = Worker::new("a", &log, &[]);
        let b = Worker::new("b", &log, &[Act::Fail, Act::FailToStart]);
        let c = Worker::new("c", &log, &[]);
        let p = parent(
            backend,
            "Again",
            Strategy::RestForOne,
            at_once(),
            &[(&a, Some(Restart::Permanent)), (&b, Some(Restart::Permanent)), (&c, Some(Restart::Permanent))],
        );
        within(backend, "start", p.start()).await.unwrap();
        restarted(backend, &child(&p, "b"), 2).await;
        restarted(backend, &child(&p, "c"), 1).await;
        assert_eq!(
            log.take(),
            [
                "a.do_start",
                "b.do_start",
                "c.do_start",
                "b.do_stop",
                "c.do_stop",
                "b.do_start",
                "b.do_start",
                "c.do_start"
            ]
        );
        assert_eq!(child(&p, "b").snapshot().last_failure.unwrap().error.kind(), ErrorKind::StartFailed);
        within(backend, "stop", p.stop()).await.unwrap();
    });
}

#[test]
fn a_removed_child_is_not_restarted() {
    each_backend(|backend| async move {
        let c = Worker::new("c", &Log::default(), &[]);
        let probe_worker = Worker::new("probe", &Log::default(), &[]);
        let p = parent(
            backend,
            "Removed",
            Strategy::OneForOne,
            at_once(),
            &[(&c, Some(Restart::Permanent)), (&probe_worker, Some(Restart::Permanent))],
        );
        within(backend, "start", p.start()).await.unwrap();
        let cc = child(&p, "c");
        assert!(p.remove_service(&cc));
        assert_eq!(cc.restart_policy(), None);
        within(backend, "c's stop", cc.stop()).await.unwrap();
        probe(backend, &child(&p, "probe")).await;
        assert_eq!((cc.state(), c.starts()), (State::Stopped, 1));
        within(backend, "stop", p.stop()).await.unwrap();
    });
}

/// Every line logged at `info` or above, once installed.
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            LINES.lock().unwrap().push(format!("{} {}", record.level(), record.args()));
        }
    }
    fn flush(&self) {}
}

/// The lines captured so far that mention `word`, taken out.
fn logged(word: &str) -> Vec<String> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&Capture).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Info);
    });
    let mut lines = LINES.lock().unwrap();
    let (mine, others) = lines.drain(..).partition(|line| line.contains(word));
    *lines = others;
    mine
}

#[test]
fn every_restart_is_logged_once_with_the_path_and_the_reason() {
    logged("Logged/");
    each_backend(|backend| async move {
        let a = Worker::new("a", &Log::default(), &[]);
        let b = Worker::new("b", &Log::default(), &[Act::Fail, Act::Stop]);
        let p = parent(
            backend,
            "Logged",
            Strategy::OneForAll,
            at_once(),
            &[(&a, Some(Restart::Permanent)), (&b, Some(Restart::Permanent))],
        );
        within(backend, "start", p.start()).await.unwrap();
        restarted(backend, &child(&p, "b"), 2).await;
        restarted(backend, &child(&p, "a"), 2).await;
        within(backend, "stop", p.stop()).await.unwrap();
        let lines: Vec<String> = logged("Logged/").into_iter().filter(|line| line.contains("restarting")).collect();
        assert_eq!(
            lines,
            [
                "WARN Logged/b: restarting in 0ns (restart 1 of at most 10 within 60s) after: Logged/b: task failed: b broke",
                "INFO Logged/a: restarting with Logged/b (one for all)",
                "INFO Logged/b: restarting in 0ns (restart 2 of at most 10 within 60s): it stopped",
                "INFO Logged/a: restarting with Logged/b (one for all)",
            ]
        );
    });
}
