//! Stop with 10,000 idle connections open: the time from SIGTERM to the exit of a `ginkgo`
//! daemon (`ginkgo-bench-daemon bench.IdleServer`, a `ginkgo::net::StreamServer` whose handlers
//! end when the service stops). No baseline: the figure is reported against a goal.
//!
//! A run starts the daemon, waits for `READY=1` on its notify socket and for the address it
//! prints, opens the connections from this process and has each echoed once, then sends
//! SIGTERM and times until the process has exited (`waitpid` returns). The connections are
//! closed after.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tokio::runtime::Runtime;

use crate::Mode;
use crate::cases::daemon::DaemonRun;
use crate::cases::runtime::load_runtime;
use crate::load::open_idle;
use crate::measure::{Rounds, repeat};
use crate::process::{Child, DEADLINE, connections_within, raise_open_files};
use crate::report::{Row, Target, count};
use crate::servers::LISTENING;
use crate::servers::daemon::IDLE_SERVER;

/// The goal: the process is gone within this many nanoseconds of SIGTERM.
pub const GOAL_NS: f64 = 100e6;

/// Runs the case: 10,000 connections a run (2,000 in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let wanted = mode.pick(2_000, 10_000);
    let connections = connections_within(wanted, raise_open_files());
    let runs = mode.pick(Rounds { warmup: 1, measured: 3 }, Rounds { warmup: 1, measured: 7 });
    let load = load_runtime();
    let stops = repeat(runs, || round(connections, &load));
    let scaled = match connections < wanted {
        true => format!(" (scaled down from {}: too few file descriptors)", count(wanted as u64)),
        false => String::new(),
    };
    vec![Row::single(
        format!("ginkgo daemon, {} idle connections{scaled}: SIGTERM to exit", count(connections as u64)),
        &stops,
        Target::Under(GOAL_NS),
    )]
}

/// One run with `connections` idle connections opened from `load`: the time from SIGTERM to
/// the daemon's exit.
///
/// # Panics
///
/// If the daemon fails to start, to serve, or to exit with status 0.
pub fn round(connections: usize, load: &Runtime) -> Duration {
    let run = DaemonRun::new();
    let mut daemon = Child::spawn(run.command(IDLE_SERVER)).expect("ginkgo-bench-daemon starts");
    run.notify().wait_for("READY=1", DEADLINE).expect("the daemon becomes ready");
    let address: SocketAddr = daemon
        .wait_for_line(LISTENING, DEADLINE)
        .expect("the daemon's server listens")
        .parse()
        .expect("the daemon prints its address");
    let streams = load.block_on(open_idle(address, connections)).expect("the daemon echoes every connection");

    let began = Instant::now();
    daemon.signal(Signal::SIGTERM).expect("SIGTERM to the daemon");
    let status = daemon.wait().expect("the daemon exits");
    let stop = began.elapsed();
    assert!(status.success(), "the daemon exits cleanly on SIGTERM: {status}");
    drop(streams);
    stop
}
