//! The life-cycle semantics every backend must share: one body per test, run on every backend
//! compiled in (`cargo test --all-features` runs all four).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ginkgo::testing::{DEADLINE, each_backend, until, within};
use ginkgo::{Backend, BoxError, Context, ErrorKind, Readiness, Service, ServiceHandle, State, async_trait};

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

/// What a test service does in its hooks.
#[derive(Clone, Copy, Default, PartialEq)]
enum OnStart {
    #[default]
    Ready,
    NotReady,
    Fail,
    Panic,
}

#[derive(Clone, Default)]
struct Rec {
    name: &'static str,
    log: Log,
    start_before: bool,
    on_start: OnStart,
    start_timeout: Option<Duration>,
    stop_timeout: Option<Duration>,
}

impl Rec {
    fn new(name: &'static str, log: &Log) -> Self {
        Rec { name, log: log.clone(), ..Default::default() }
    }
    fn before(mut self) -> Self {
        self.start_before = true;
        self
    }
    fn on_start(mut self, on_start: OnStart) -> Self {
        self.on_start = on_start;
        self
    }
    fn start_timeout(mut self, d: Duration) -> Self {
        self.start_timeout = Some(d);
        self
    }
    fn stop_timeout(mut self, d: Duration) -> Self {
        self.stop_timeout = Some(d);
        self
    }
}

#[async_trait]
impl Service for Rec {
    fn name(&self) -> String {
        self.name.to_string()
    }
    fn start_before(&self) -> bool {
        self.start_before
    }
    fn start_timeout(&self) -> Duration {
        self.start_timeout.unwrap_or(Duration::from_secs(2))
    }
    fn stop_timeout(&self) -> Duration {
        self.stop_timeout.unwrap_or(Duration::from_secs(1))
    }
    async fn do_start(&self, _ctx: &Context) -> Result<Readiness, BoxError> {
        self.log.push(format!("{}.do_start", self.name));
        match self.on_start {
            OnStart::Ready => Ok(Readiness::Ready),
            OnStart::NotReady => Ok(Readiness::NotReady),
            OnStart::Fail => Err(format!("{} cannot start", self.name).into()),
            OnStart::Panic => panic!("{} panicked in do_start", self.name),
        }
    }
    async fn do_stop(&self, _ctx: &Context) -> Result<(), BoxError> {
        self.log.push(format!("{}.do_stop", self.name));
        Ok(())
    }
    async fn do_reload(&self, _ctx: &Context) -> Result<(), BoxError> {
        self.log.push(format!("{}.do_reload", self.name));
        Ok(())
    }
}

/// Pushes `event` to the log when dropped: shows when a task's future is gone.
struct OnDrop(Log, &'static str);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.push(self.1);
    }
}

fn tree(backend: Backend, parent: Rec, children: Vec<Rec>) -> ServiceHandle<Rec> {
    let root = backend.service(parent);
    for child in children {
        root.add_service(child);
    }
    root
}

#[test]
fn start_stop_and_reload_follow_the_tree_order() {
    each_backend(|backend| async move {
        let log = Log::default();
        let p = tree(backend, Rec::new("P", &log), vec![Rec::new("a", &log), Rec::new("b", &log)]);
        within(backend, "start", p.start()).await.unwrap();
        assert_eq!(log.take(), ["a.do_start", "b.do_start", "P.do_start"]);
        assert!(p.children().iter().all(|c| c.state() == State::Ready));
        p.reload().await.unwrap();
        assert_eq!(log.take(), ["a.do_reload", "b.do_reload", "P.do_reload"]);
        let guard = OnDrop(log.clone(), "P.task ended");
        let _task = p.spawn(move |ctx| async move {
            let _guard = guard;
            ctx.stopping().await;
            Ok(())
        });
        within(backend, "stop", p.stop()).await.unwrap();
        assert_eq!(log.take(), ["b.do_stop", "a.do_stop", "P.task ended", "P.do_stop"]);
        assert_eq!(p.state(), State::Stopped);
        assert!(p.children().iter().all(|c| c.state() == State::Stopped));
    });
}

#[test]
fn start_before_runs_the_service_first() {
    each_backend(|backend| async move {
        let log = Log::default();
        let q = tree(backend, Rec::new("Q", &log).before(), vec![Rec::new("a", &log), Rec::new("b", &log)]);
        within(backend, "start", q.start()).await.unwrap();
        assert_eq!(log.take(), ["Q.do_start", "a.do_start", "b.do_start"]);
        q.reload().await.unwrap();
        assert_eq!(log.take(), ["Q.do_reload", "a.do_reload", "b.do_reload"]);
        within(backend, "stop", q.stop()).await.unwrap();
        assert_eq!(log.take(), ["b.do_stop", "a.do_stop", "Q.do_stop"]);
    });
}

#[test]
fn a_stopped_service_starts_again() {
    each_backend(|backend| async move {
        let log = Log::default();
        let p = tree(backend, Rec::new("P", &log), vec![Rec::new("a", &log)]);
        for _ in 0..2 {
            within(backend, "start", p.start()).await.unwrap();
            assert_eq!(p.state(), State::Ready);
            let counted = p.spawn(|ctx| async move {
                ctx.stopping().await;
                Ok(())
            });
            assert_eq!(p.live_tasks(), 1);
            within(backend, "stop", p.stop()).await.unwrap();
            assert_eq!(p.state(), State::Stopped);
            within(backend, "task", counted).await.unwrap();
        }
        assert_eq!(
            log.take(),
            [
                "a.do_start",
                "P.do_start",
                "a.do_stop",
                "P.do_stop",
                "a.do_start",
                "P.do_start",
                "a.do_stop",
                "P.do_stop"
            ]
        );
    });
}

#[test]
fn starting_twice_is_an_error_not_a_panic() {
    each_backend(|backend| async move {
        let p = backend.service(Rec::new("P", &Log::default()));
        within(backend, "start", p.start()).await.unwrap();
        let err = p.start().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState);
        assert_eq!(err.to_string(), "P: cannot start while ready");
        assert_eq!(p.state(), State::Ready);
        within(backend, "stop", p.stop()).await.unwrap();
    });
}

#[test]
fn stop_in_init_or_stopped_does_nothing() {
    each_backend(|backend| async move {
        let log = Log::default();
        let p = backend.service(Rec::new("P", &log));
        p.stop().await.unwrap();
        assert_eq!(p.state(), State::Init);
        within(backend, "start", p.start()).await.unwrap();
        within(backend, "stop", p.stop()).await.unwrap();
        within(backend, "second stop", p.stop()).await.unwrap();
        assert_eq!(p.state(), State::Stopped);
        assert_eq!(log.take(), ["P.do_start", "P.do_stop"]);
    });
}

#[test]
fn concurrent_stops_share_one_stop() {
    each_backend(|backend| async move {
        let log = Log::default();
        let p = tree(backend, Rec::new("P", &log), vec![Rec::new("a", &log)]);
        within(backend, "start", p.start()).await.unwrap();
        let (first, second) = within(backend, "stops", futures::future::join(p.stop(), p.stop())).await;
        first.unwrap();
        second.unwrap();
        assert_eq!(log.take(), ["a.do_start", "P.do_start", "a.do_stop", "P.do_stop"]);
    });
}

#[test]
fn not_ready_until_set_ready() {
    each_backend(|backend| async move {
        let log = Log::default();
        let p = backend.service(Rec::new("P", &log).on_start(OnStart::NotReady));
        // A non-waiting start returns while the service is still starting.
        within(backend, "start_nowait", p.start_nowait()).await.unwrap();
        assert_eq!(p.state(), State::Starting);
        p.set_ready();
        assert_eq!(p.state(), State::Ready);
        within(backend, "stop", p.stop()).await.unwrap();

        // A waiting start returns once something calls set_ready.
        let p2 = p.clone();
        let starting = p.start();
        let readier = async move {
            p2.wait_state(DEADLINE, |s| s == State::Starting).await.unwrap();
            p2.set_ready();
        };
        let (started, ()) = within(backend, "start", futures::future::join(starting, readier)).await;
        started.unwrap();
        assert_eq!(p.state(), State::Ready);
        within(backend, "stop", p.stop()).await.unwrap();
    });
}

#[test]
fn a_start_that_is_never_ready_times_out_and_fails() {
    each_backend(|backend| async move {
        let log = Log::default();
        let p = tree(
            backend,
            Rec::new("P", &log),
            vec![Rec::new("slow", &log).on_start(OnStart::NotReady).start_timeout(Duration::from_millis(50))],
        );
        let err = within(backend, "start", p.start()).await.unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::StartTimeout);
        assert_eq!(err.to_string(), "P/slow: not ready within start_timeout (50ms)");
        assert_eq!(p.state(), State::Failed);
        assert_eq!(p.children()[0].state(), State::Failed);
        // Never ready, so its do_stop does not run.
        assert_eq!(log.take(), ["slow.do_start"]);
    });
}

#[test]
fn a_failed_child_rolls_the_start_back() {
    each_backend(|backend| async move {
        for (on_start, cause) in
            [(OnStart::Fail, "b cannot start"), (OnStart::Panic, "panicked: b panicked in do_start")]
        {
            let log = Log::default();
            let p = tree(
                backend,
                Rec::new("P", &log),
                vec![Rec::new("a", &log), Rec::new("b", &log).on_start(on_start), Rec::new("c", &log)],
            );
            let err = within(backend, "start", p.start()).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::StartFailed);
            assert_eq!(err.path(), "P/b");
            assert_eq!(err.chain().to_string(), format!("P/b: do_start failed: {cause}"));
            assert_eq!(std::error::Error::source(&err).unwrap().to_string(), cause);
            assert_eq!(log.take(), ["a.do_start", "b.do_start", "a.do_stop"]);
            let states: Vec<State> = p.children().iter().map(|c| c.state()).collect();
            assert_eq!(states, [State::Stopped, State::Failed, State::Init]);
            assert_eq!(p.state(), State::Failed);
            assert_eq!(p.failure().unwrap().path(), "P/b");
        }
    });
}

/// Spawns, on start, a task that fails (panics or errs) once `trigger` is set.
struct Faulty {
    log: Log,
    panics: bool,
}

#[async_trait]
impl Service for Faulty {
    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let panics = self.panics;
        let _task = ctx.spawn(move |ctx| async move {
            ctx.sleep(Duration::from_millis(5)).await?;
            if panics {
                panic!("boom");
            }
            Err("bad input".into())
        });
        Ok(Readiness::Ready)
    }
    async fn do_stop(&self, _ctx: &Context) -> Result<(), BoxError> {
        self.log.push("Faulty.do_stop");
        Ok(())
    }
}

#[test]
fn a_failing_task_fails_its_service_and_stops_the_tree() {
    each_backend(|backend| async move {
        for (panics, kind, cause) in
            [(true, ErrorKind::TaskPanicked, "boom"), (false, ErrorKind::TaskFailed, "bad input")]
        {
            let log = Log::default();
            let root = backend.service(Rec::new("R", &log));
            let faulty = root.add_service(Faulty { log: log.clone(), panics });
            root.add_service(Rec::new("y", &log));
            let err = within(backend, "serve_forever", root.serve_forever()).await.unwrap_err();
            assert_eq!(err.kind(), kind);
            assert_eq!(err.path(), "R/Faulty");
            assert_eq!(std::error::Error::source(&err).unwrap().to_string(), cause);
            assert_eq!(root.state(), State::Failed);
            assert_eq!(faulty.state(), State::Failed);
            assert_eq!(root.children()[1].state(), State::Stopped);
            assert_eq!(log.take(), ["y.do_start", "R.do_start", "y.do_stop", "Faulty.do_stop", "R.do_stop"]);
        }
    });
}

/// Stops itself (or its parent) from one of its own tasks.
struct SelfStopper {
    parent: bool,
}

#[async_trait]
impl Service for SelfStopper {
    fn stop_timeout(&self) -> Duration {
        // Long enough that a stop waiting for the calling task would miss the test's deadline.
        Duration::from_secs(60)
    }
    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let parent = self.parent;
        let _task = ctx.spawn(move |ctx| async move {
            ctx.sleep(Duration::from_millis(5)).await?;
            let target = if parent { ctx.parent().expect("has a parent") } else { ctx };
            target.stop().await?;
            Ok(())
        });
        Ok(Readiness::Ready)
    }
}

#[test]
fn a_service_stops_itself_or_its_parent_from_its_own_task() {
    each_backend(|backend| async move {
        let alone = backend.service(SelfStopper { parent: false });
        within(backend, "self stop", alone.serve_forever()).await.unwrap();
        assert_eq!(alone.state(), State::Stopped);

        let log = Log::default();
        let root = backend.service(Rec::new("R", &log).stop_timeout(Duration::from_secs(60)));
        let child = root.add_service(SelfStopper { parent: true });
        within(backend, "parent stop", root.serve_forever()).await.unwrap();
        assert_eq!(root.state(), State::Stopped);
        assert_eq!(child.state(), State::Stopped);
        assert_eq!(log.take(), ["R.do_start", "R.do_stop"]);
    });
}

#[test]
fn stop_during_start_interrupts_the_start() {
    each_backend(|backend| async move {
        let log = Log::default();
        let p = tree(
            backend,
            Rec::new("P", &log),
            vec![
                Rec::new("a", &log),
                Rec::new("b", &log).on_start(OnStart::NotReady).start_timeout(Duration::from_secs(60)),
            ],
        );
        let p2 = p.clone();
        let stopper = async move {
            p2.children()[1].wait_state(DEADLINE, |s| s == State::Starting).await.unwrap();
            p2.stop().await
        };
        let starting = async {
            let started = p.start().await;
            // The start returns once the stop it was interrupted by is done.
            (started, p.state())
        };
        let ((started, when_returned), stopped) =
            within(backend, "start and stop", futures::future::join(starting, stopper)).await;
        assert_eq!(started.unwrap_err().kind(), ErrorKind::StartInterrupted);
        assert_eq!(when_returned, State::Stopped);
        stopped.unwrap();
        assert_eq!(p.state(), State::Stopped);
        let states: Vec<State> = p.children().iter().map(|c| c.state()).collect();
        assert_eq!(states, [State::Stopped, State::Stopped]);
        // b never became ready, P never ran do_start: only a is stopped with its hook.
        assert_eq!(log.take(), ["a.do_start", "b.do_start", "a.do_stop"]);
    });
}

#[test]
fn spawn_later_never_fires_after_stop() {
    each_backend(|backend| async move {
        let p = backend.service(Rec::new("P", &Log::default()));
        within(backend, "start", p.start()).await.unwrap();
        let fired = Arc::new(AtomicBool::new(false));
        let flag = fired.clone();
        let later = p.spawn_later(Duration::from_millis(200), move |_| async move {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        let soon = Arc::new(AtomicBool::new(false));
        let flag = soon.clone();
        let early = p.spawn_later(Duration::from_millis(1), move |_| async move {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        within(backend, "early task", early).await.unwrap();
        assert!(soon.load(Ordering::SeqCst), "a delayed task fires while the service runs");
        within(backend, "stop", p.stop()).await.unwrap();
        // The delayed task has ended without firing, so it never can.
        assert!(later.is_finished());
        within(backend, "later task", later).await.unwrap();
        assert!(!fired.load(Ordering::SeqCst));
        assert_eq!(p.live_tasks(), 0);
    });
}

#[test]
fn tasks_get_a_stop_signal_then_are_cancelled_after_stop_timeout() {
    each_backend(|backend| async move {
        let log = Log::default();
        let p = backend.service(Rec::new("P", &log).stop_timeout(Duration::from_millis(100)));
        within(backend, "start", p.start()).await.unwrap();
        assert_eq!(log.take(), ["P.do_start"]);
        let guard = OnDrop(log.clone(), "graceful ended");
        let graceful = p.spawn(move |ctx| async move {
            let _guard = guard;
            ctx.stopping().await;
            Ok(())
        });
        let guard = OnDrop(log.clone(), "stubborn cancelled");
        let manager = p.async_manager().unwrap().clone();
        let stubborn = p.spawn(move |_| async move {
            let _guard = guard;
            loop {
                // Ignores the stop signal: only cancellation ends it.
                manager.sleep(Duration::from_millis(5)).await;
            }
        });
        assert_eq!(p.live_tasks(), 2);
        within(backend, "stop", p.stop()).await.unwrap();
        assert_eq!(log.take(), ["graceful ended", "stubborn cancelled", "P.do_stop"]);
        within(backend, "graceful", graceful).await.unwrap();
        assert_eq!(within(backend, "stubborn", stubborn).await.unwrap_err().kind(), ErrorKind::TaskCancelled);
        assert_eq!(p.live_tasks(), 0);
    });
}

#[test]
fn blocking_work_that_outlives_stop_timeout_is_reported_not_lost() {
    each_backend(|backend| async move {
        let p = backend.service(Rec::new("P", &Log::default()).stop_timeout(Duration::from_millis(50)));
        within(backend, "start", p.start()).await.unwrap();
        let release = Arc::new(AtomicBool::new(false));
        let released = release.clone();
        let stuck = p.spawn_blocking(move |_| {
            while !released.load(Ordering::SeqCst) {
                std::thread::park_timeout(Duration::from_millis(1));
            }
            Ok(())
        });
        within(backend, "stop", p.stop()).await.unwrap();
        assert_eq!(p.state(), State::Stopped);
        // Still counted, and shown in the snapshot, until it really ends.
        assert_eq!(p.live_tasks(), 1);
        assert_eq!(p.snapshot().tasks, 1);
        release.store(true, Ordering::SeqCst);
        within(backend, "stuck task", stuck).await.unwrap();
        assert_eq!(p.live_tasks(), 0);
    });
}

#[test]
fn a_removed_child_keeps_running() {
    each_backend(|backend| async move {
        let log = Log::default();
        let p = tree(backend, Rec::new("P", &log), vec![Rec::new("a", &log), Rec::new("b", &log)]);
        within(backend, "start", p.start()).await.unwrap();
        let b = p.children()[1].clone();
        assert!(p.remove_service(&b));
        assert!(!p.remove_service(&b));
        assert_eq!(b.path(), "b");
        within(backend, "stop", p.stop()).await.unwrap();
        assert_eq!(b.state(), State::Ready);
        within(backend, "stop b", b.stop()).await.unwrap();
        assert_eq!(log.take(), ["a.do_start", "b.do_start", "P.do_start", "a.do_stop", "P.do_stop", "b.do_stop"]);
    });
}

#[test]
fn serve_forever_returns_when_the_service_is_stopped() {
    each_backend(|backend| async move {
        let p = backend.service(Rec::new("P", &Log::default()));
        let p2 = p.clone();
        let stopper = async move {
            p2.wait_ready(DEADLINE).await.unwrap();
            p2.stop().await
        };
        let (served, stopped) = within(backend, "serve", futures::future::join(p.serve_forever(), stopper)).await;
        served.unwrap();
        stopped.unwrap();
        assert_eq!(p.state(), State::Stopped);
    });
}

#[test]
fn while_started_stops_the_service_after_the_body() {
    each_backend(|backend| async move {
        let log = Log::default();
        let p = backend.service(Rec::new("P", &log));
        let seen = within(backend, "body", p.while_started(async { p.state() })).await.unwrap();
        assert_eq!(seen, State::Ready);
        assert_eq!(p.state(), State::Stopped);
        assert_eq!(log.take(), ["P.do_start", "P.do_stop"]);
    });
}

#[test]
fn require_ready_waits_for_the_service() {
    each_backend(|backend| async move {
        let p = backend.service(Rec::new("P", &Log::default()).on_start(OnStart::NotReady));
        let Err(err) = p.require_ready(Duration::from_millis(20)).await else { panic!("ready without a start") };
        assert_eq!(err.kind(), ErrorKind::Timeout);
        within(backend, "start", p.start_nowait()).await.unwrap();
        let p2 = p.clone();
        let (ready, ()) =
            within(backend, "ready", futures::future::join(p.require_ready(DEADLINE), async move { p2.set_ready() }))
                .await;
        assert_eq!(ready.unwrap().name, "P");
        within(backend, "stop", p.stop()).await.unwrap();
    });
}

#[test]
fn the_tree_snapshot_shows_names_states_and_tasks() {
    each_backend(|backend| async move {
        let log = Log::default();
        let p = tree(backend, Rec::new("P", &log), vec![Rec::new("a", &log)]);
        within(backend, "start", p.start()).await.unwrap();
        let a = p.children()[0].clone();
        let counter = Arc::new(AtomicUsize::new(0));
        for _ in 0..3 {
            let counter = counter.clone();
            let _task = a.spawn(move |ctx| async move {
                counter.fetch_add(1, Ordering::SeqCst);
                ctx.stopping().await;
                Ok(())
            });
        }
        let snapshot = p.snapshot();
        assert_eq!(snapshot.to_string(), "P ready (0 tasks)\n  a ready (3 tasks)\n");
        let paths: Vec<&str> = snapshot.walk().iter().map(|s| s.path.as_str()).collect();
        assert_eq!(paths, ["P", "P/a"]);
        within(backend, "stop", p.stop()).await.unwrap();
        assert_eq!(p.snapshot().to_string(), "P stopped (0 tasks)\n  a stopped (0 tasks)\n");
    });
}

#[test]
fn a_service_that_is_not_running_spawns_nothing() {
    each_backend(|backend| async move {
        let p = backend.service(Rec::new("P", &Log::default()));
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let task = p.spawn(move |_| async move {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        assert_eq!(within(backend, "task", task).await.unwrap_err().kind(), ErrorKind::TaskCancelled);
        assert!(!ran.load(Ordering::SeqCst));
    });
}

/// How a task ignores the stop: it loops on a wait that returns at once once the stop has begun.
#[derive(Clone, Copy, Debug)]
enum Deaf {
    Sleep,
    UntilStopping,
    Stopping,
}

/// Spawns on `ctx` a task that loops on `how`, ignoring what it returns; `guard` shows when the
/// task's future is gone.
fn spawn_deaf(ctx: &Context, how: Deaf, guard: OnDrop) -> ginkgo::TaskHandle {
    ctx.spawn(move |ctx| async move {
        let _guard = guard;
        let manager = ctx.async_manager().expect("a running service has a manager").clone();
        loop {
            match how {
                Deaf::Sleep => drop(ctx.sleep(Duration::from_millis(5)).await),
                Deaf::UntilStopping => drop(ctx.until_stopping(manager.sleep(Duration::from_millis(5))).await),
                Deaf::Stopping => ctx.stopping().await,
            }
        }
    })
}

#[test]
fn a_task_that_ignores_the_stop_is_cancelled_at_stop_timeout() {
    each_backend(|backend| async move {
        for how in [Deaf::Sleep, Deaf::UntilStopping, Deaf::Stopping] {
            let log = Log::default();
            let p = backend.service(Rec::new("P", &log).stop_timeout(Duration::from_millis(50)));
            within(backend, "start", p.start()).await.unwrap();
            let deaf = spawn_deaf(&p, how, OnDrop(log.clone(), "deaf task cancelled"));
            within(backend, "stop", p.stop()).await.unwrap();
            assert_eq!(log.take(), ["P.do_start", "deaf task cancelled", "P.do_stop"], "{how:?}");
            let ended = within(backend, "deaf task", deaf).await;
            assert_eq!(ended.unwrap_err().kind(), ErrorKind::TaskCancelled, "{how:?}");
            assert_eq!(p.live_tasks(), 0, "{how:?}");
        }
    });
}

#[test]
fn a_task_that_ignores_the_stop_holds_up_no_other_tree() {
    each_backend(|backend| async move {
        let log = Log::default();
        // A stop_timeout far beyond the test's deadline: only the cancel below ends the task.
        let deaf_tree = backend.service(Rec::new("Deaf", &log).stop_timeout(Duration::from_secs(600)));
        let other = backend.service(Rec::new("Other", &log));
        within(backend, "start", deaf_tree.start()).await.unwrap();
        within(backend, "start other", other.start()).await.unwrap();
        let deaf = spawn_deaf(&deaf_tree, Deaf::Sleep, OnDrop(log.clone(), "deaf task cancelled"));
        let stopping = deaf_tree.stop();
        let meanwhile = async {
            until(backend, "the deaf task told to stop", || deaf_tree.is_stopping()).await;
            // The deaf task now loops on a sleep that returns at once; the executor still runs
            // other trees' tasks, and the deaf one can still be cancelled.
            within(backend, "another tree's task", other.spawn(|_| async { Ok(()) })).await.unwrap();
            assert_eq!(deaf_tree.state(), State::Stopping);
            deaf.cancel();
            within(backend, "deaf task", deaf).await
        };
        let (stopped, deaf_ended) = within(backend, "stop", futures::future::join(stopping, meanwhile)).await;
        stopped.unwrap();
        assert_eq!(deaf_ended.unwrap_err().kind(), ErrorKind::TaskCancelled);
        assert_eq!(deaf_tree.state(), State::Stopped);
        within(backend, "stop other", other.stop()).await.unwrap();
        assert_eq!(
            log.take(),
            ["Deaf.do_start", "Other.do_start", "deaf task cancelled", "Deaf.do_stop", "Other.do_stop"]
        );
    });
}

/// Its task fails as soon as its next sibling is starting: a failure during its parent's start.
struct FailsWhileSiblingStarts {
    log: Log,
}

#[async_trait]
impl Service for FailsWhileSiblingStarts {
    fn name(&self) -> String {
        "Faulty".to_string()
    }
    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let _task = ctx.spawn(|ctx| async move {
            let siblings = ctx.parent().expect("has a parent").children();
            let next = siblings.iter().skip_while(|s| **s != ctx).nth(1).expect("has a next sibling").clone();
            next.wait_state(DEADLINE, |s| s == State::Starting).await?;
            Err("bad input".into())
        });
        Ok(Readiness::Ready)
    }
    async fn do_stop(&self, _ctx: &Context) -> Result<(), BoxError> {
        self.log.push("Faulty.do_stop");
        Ok(())
    }
}

#[test]
fn a_failure_during_the_start_is_returned_once_the_tree_is_down() {
    each_backend(|backend| async move {
        let log = Log::default();
        let root = backend.service(Rec::new("R", &log));
        let faulty = root.add_service(FailsWhileSiblingStarts { log: log.clone() });
        // Never ready: the failure always comes while it is still starting.
        let slow = root.add_service(
            Rec::new("slow", &Log::default()).on_start(OnStart::NotReady).start_timeout(Duration::from_secs(600)),
        );
        let served = async {
            let served = root.serve_forever().await;
            (served, root.state(), slow.state())
        };
        let (served, root_when_returned, slow_when_returned) = within(backend, "serve_forever", served).await;
        let err = served.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TaskFailed, "{err:?}");
        assert_eq!(err.chain().to_string(), "R/Faulty: task failed: bad input");
        assert_eq!((root_when_returned, slow_when_returned), (State::Failed, State::Stopped));
        assert_eq!(faulty.state(), State::Failed);
        assert_eq!(log.take(), ["Faulty.do_stop"]);

        // start() and require_ready() report the same cause, once the tree is down.
        let starting = async {
            let started = root.start().await;
            (started, root.state())
        };
        let ((started, root_when_returned), ready) =
            within(backend, "start", futures::future::join(starting, root.require_ready(DEADLINE))).await;
        assert_eq!(started.unwrap_err().chain().to_string(), "R/Faulty: task failed: bad input");
        assert_eq!(root_when_returned, State::Failed);
        let Err(err) = ready else { panic!("ready although the start failed") };
        assert_eq!(err.chain().to_string(), "R/Faulty: task failed: bad input");
    });
}

#[test]
fn a_service_that_is_not_running_counts_as_stopping_in_every_run() {
    each_backend(|backend| async move {
        let p = backend.service(Rec::new("P", &Log::default()));
        // Never started: nothing of it runs.
        assert!(p.is_stopping());
        within(backend, "stopping() in init", p.stopping()).await;
        for run in 0..2 {
            within(backend, "start", p.start()).await.unwrap();
            assert!(!p.is_stopping(), "run {run}");
            let mut told = Box::pin(p.stopping());
            assert!(futures::poll!(told.as_mut()).is_pending(), "run {run}");
            within(backend, "stop", p.stop()).await.unwrap();
            assert!(p.is_stopping(), "run {run}");
            within(backend, "stopping() awaited during the run", told).await;
            within(backend, "stopping() once stopped", p.stopping()).await;
        }
    });
}

/// Tries, in `do_stop`, every way to spawn; records each closure that is called.
struct SpawnsWhenStopped {
    called: Arc<AtomicUsize>,
    refused: Arc<Mutex<Vec<ErrorKind>>>,
}

/// Spawns on `ctx` with `spawn`, `spawn_later` and `spawn_blocking`, each closure counting its
/// call in `called`; returns how each task ended.
async fn try_every_spawn(ctx: &Context, called: &Arc<AtomicUsize>) -> Vec<Result<(), ginkgo::Error>> {
    let (a, b, c) = (called.clone(), called.clone(), called.clone());
    let handles = [
        ctx.spawn(move |_| {
            a.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        }),
        ctx.spawn_later(Duration::ZERO, move |_| {
            b.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        }),
        ctx.spawn_blocking(move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }),
    ];
    futures::future::join_all(handles).await
}

#[async_trait]
impl Service for SpawnsWhenStopped {
    async fn do_stop(&self, ctx: &Context) -> Result<(), BoxError> {
        let ended = try_every_spawn(ctx, &self.called).await;
        self.refused
            .lock()
            .unwrap()
            .extend(ended.into_iter().map(|e| e.map_or_else(|e| e.kind(), |()| ErrorKind::Timeout)));
        Ok(())
    }
}

#[test]
fn a_service_that_is_not_running_never_calls_the_spawn_closure() {
    each_backend(|backend| async move {
        let called = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(Mutex::new(Vec::new()));
        let p = backend.service(SpawnsWhenStopped { called: called.clone(), refused: refused.clone() });
        // In init.
        let ended = within(backend, "tasks in init", try_every_spawn(&p, &called)).await;
        let kinds: Vec<ErrorKind> = ended.into_iter().map(|e| e.unwrap_err().kind()).collect();
        assert_eq!(kinds, [ErrorKind::TaskCancelled; 3]);
        // From do_stop: the service's tasks have been told to stop.
        within(backend, "start", p.start()).await.unwrap();
        within(backend, "stop", p.stop()).await.unwrap();
        assert_eq!(*refused.lock().unwrap(), [ErrorKind::TaskCancelled; 3]);
        assert_eq!(called.load(Ordering::SeqCst), 0);
    });
}

/// A service whose `do_stop` waits until the test lets it go.
struct HeldStop {
    release: Mutex<Option<futures::channel::oneshot::Receiver<()>>>,
}

#[async_trait]
impl Service for HeldStop {
    fn name(&self) -> String {
        "held".to_string()
    }
    async fn do_stop(&self, _ctx: &Context) -> Result<(), BoxError> {
        let release = self.release.lock().unwrap().take();
        if let Some(release) = release {
            let _ = release.await;
        }
        Ok(())
    }
}

#[test]
fn require_ready_returns_the_failure_of_the_start() {
    each_backend(|backend| async move {
        let log = Log::default();
        let (release, released) = futures::channel::oneshot::channel();
        let p = backend.service(Rec::new("P", &log));
        p.add_service(HeldStop { release: Mutex::new(Some(released)) });
        p.add_service(Rec::new("b", &log).on_start(OnStart::Fail));
        let early = p.require_ready(DEADLINE);
        let rolling_back = async {
            // The start failed, and is being rolled back: `held` is still stopping.
            p.wait_state(DEADLINE, |s| s == State::Stopping).await.unwrap();
            let (during, ()) = futures::future::join(p.require_ready(DEADLINE), async move {
                release.send(()).unwrap();
            })
            .await;
            during
        };
        let (started, during, early) =
            within(backend, "start", futures::future::join3(p.start(), rolling_back, early)).await;
        let after = p.require_ready(DEADLINE).await;
        assert_eq!(started.unwrap_err().chain().to_string(), "P/b: do_start failed: b cannot start");
        for (when, ready) in
            [("before", early.map(drop)), ("during the rollback", during.map(drop)), ("after", after.map(drop))]
        {
            let err = ready.expect_err(when);
            assert_eq!(err.kind(), ErrorKind::StartFailed, "{when}: {err:?}");
            assert_eq!(err.chain().to_string(), "P/b: do_start failed: b cannot start", "{when}");
        }
    });
}

#[test]
fn a_start_given_up_during_its_rollback_still_ends_the_run() {
    each_backend(|backend| async move {
        let log = Log::default();
        let (release, released) = futures::channel::oneshot::channel();
        let p = backend.service(Rec::new("P", &log));
        let held = p.add_service(HeldStop { release: Mutex::new(Some(released)) });
        p.add_service(Rec::new("b", &log).on_start(OnStart::Fail));
        {
            // The caller gives up on the start while `held` is being stopped again (as the
            // runner does when a signal comes during the start).
            let start = std::pin::pin!(p.start());
            let rolling_back = std::pin::pin!(p.wait_state(DEADLINE, |s| s == State::Stopping));
            match within(backend, "rollback", futures::future::select(start, rolling_back)).await {
                futures::future::Either::Left((started, _)) => {
                    panic!("the start returned during its rollback: {started:?}")
                }
                futures::future::Either::Right((stopping, _)) => assert_eq!(stopping.unwrap(), State::Stopping),
            }
        }
        // (Dropped with the start, `held`'s do_stop may no longer be there to hear it.)
        let _ = release.send(());
        assert_eq!(within(backend, "end of the run", p.wait_until_stopped()).await, State::Failed);
        within(backend, "stop", p.stop()).await.unwrap();
        assert_eq!(held.state(), State::Stopped);
        assert_eq!(p.failure().unwrap().chain().to_string(), "P/b: do_start failed: b cannot start");
    });
}

/// Its `do_start` or its `do_stop` never returns.
struct Hangs {
    in_start: bool,
}

#[async_trait]
impl Service for Hangs {
    fn start_timeout(&self) -> Duration {
        Duration::from_millis(50)
    }
    fn stop_timeout(&self) -> Duration {
        Duration::from_millis(50)
    }
    async fn do_start(&self, _ctx: &Context) -> Result<Readiness, BoxError> {
        if self.in_start {
            futures::future::pending::<()>().await;
        }
        Ok(Readiness::Ready)
    }
    async fn do_stop(&self, _ctx: &Context) -> Result<(), BoxError> {
        futures::future::pending::<()>().await;
        Ok(())
    }
}

#[test]
fn a_hook_that_never_returns_is_given_up_at_its_timeout() {
    each_backend(|backend| async move {
        let hangs = backend.service(Hangs { in_start: true });
        let err = within(backend, "start", hangs.start()).await.unwrap_err();
        assert_eq!(
            (err.kind(), err.to_string().as_str()),
            (ErrorKind::StartTimeout, "Hangs: not ready within start_timeout (50ms)")
        );
        assert_eq!(hangs.state(), State::Failed);

        let hangs = backend.service(Hangs { in_start: false });
        within(backend, "start", hangs.start()).await.unwrap();
        let err = within(backend, "stop", hangs.stop()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StopFailed);
        assert_eq!(err.to_string(), "Hangs: do_stop did not finish within stop_timeout (50ms)");
        assert_eq!(hangs.state(), State::Failed);
    });
}
