//! Process start to tree ready: from just before spawning a `ginkgo` daemon
//! (`ginkgo-bench-daemon bench.Hello`, the manual's hello world) to `READY=1` on the notify
//! socket this process gave it. No baseline: the figure is reported against a goal.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::Mode;
use crate::cases::daemon::DaemonRun;
use crate::measure::{Rounds, repeat};
use crate::process::{Child, DEADLINE};
use crate::report::{Row, Target};
use crate::servers::daemon::HELLO;

/// The goal: ready within this many nanoseconds of the spawn.
pub const GOAL_NS: f64 = 10e6;

/// Runs the case: 21 runs (5 in quick mode), after warm-up runs.
pub fn run(mode: Mode) -> Vec<Row> {
    let runs = mode.pick(Rounds { warmup: 1, measured: 5 }, Rounds { warmup: 2, measured: 21 });
    let starts = repeat(runs, round);
    vec![Row::single("ginkgo daemon (hello service): process start to READY=1", &starts, Target::Under(GOAL_NS))]
}

/// One run: the time from spawning the daemon to its `READY=1`. The daemon is then stopped
/// with SIGTERM (not timed).
///
/// # Panics
///
/// If the daemon fails to start, or to exit with status 0.
pub fn round() -> Duration {
    let run = DaemonRun::new();
    let command = run.command(HELLO);
    let began = Instant::now();
    let mut daemon = Child::spawn(command).expect("ginkgo-bench-daemon starts");
    run.notify().wait_for("READY=1", DEADLINE).expect("the daemon becomes ready");
    let start = began.elapsed();
    daemon.signal(Signal::SIGTERM).expect("SIGTERM to the daemon");
    let status = daemon.wait().expect("the daemon exits");
    assert!(status.success(), "the daemon exits cleanly on SIGTERM: {status}");
    start
}
