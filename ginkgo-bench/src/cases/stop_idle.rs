//! Stop with 10,000 idle connections open: the time from SIGTERM to the exit of a `ginkgo`
//! daemon (`ginkgo-bench-daemon bench.IdleServer`, a `ginkgo::net::StreamServer` whose handlers
//! end when the service stops), held to a goal of 100 ms.
//!
//! A run starts the daemon, waits for `READY=1` on its notify socket and for the address it
//! prints, opens the connections from this process and has each echoed once, then sends
//! SIGTERM and times until the process has exited (`waitpid` returns). The connections are
//! closed after.
//!
//! There is no graceful baseline to compare with, but there is a floor: the same connections
//! held by the hand-written tokio server (`ginkgo-bench-server tokio`), which has no handler
//! for SIGTERM, so that the signal's default action ends it at once and the kernel closes the
//! connections as the process exits. Its runs alternate with the daemon's; no stop, graceful or
//! not, can be faster than that.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tokio::runtime::Runtime;

use crate::Mode;
use crate::cases::daemon::DaemonRun;
use crate::cases::runtime::load_runtime;
use crate::load::open_idle;
use crate::measure::{Rounds, alternate};
use crate::process::{Child, DEADLINE, Programs, connections_within, raise_open_files};
use crate::report::{Row, Target, count};
use crate::servers::daemon::IDLE_SERVER;
use crate::servers::{EchoServer, LISTENING};

/// The goal: the process is gone within this many nanoseconds of SIGTERM.
pub const GOAL_NS: f64 = 100e6;

/// Runs the case: 10,000 connections a run (2,000 in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let wanted = mode.pick(2_000, 10_000);
    let connections = connections_within(wanted, raise_open_files());
    let rounds = mode.pick(Rounds { warmup: 1, measured: 3 }, Rounds { warmup: 1, measured: 7 });
    let load = load_runtime();
    let [paired] = alternate(rounds, || [round(connections, &load)], || [floor(connections, &load)]);
    let scaled = match connections < wanted {
        true => format!(" (scaled down from {}: too few file descriptors)", count(wanted as u64)),
        false => String::new(),
    };
    let case = format!("ginkgo daemon, {} idle connections{scaled}: SIGTERM to exit", count(connections as u64));
    vec![Row::new(case, &paired, 1, 1.0).with_target(Target::Under(GOAL_NS))]
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
    let (stop, status) = hold_and_terminate(&mut daemon, connections, load);
    assert!(status.success(), "the daemon exits cleanly on SIGTERM: {status}");
    stop
}

/// The floor: the same, with the hand-written tokio server, which SIGTERM kills outright.
///
/// # Panics
///
/// If the server fails to start or to serve, or outlives SIGTERM.
pub fn floor(connections: usize, load: &Runtime) -> Duration {
    let mut command = Programs::get().server_command();
    command.arg(EchoServer::HandWritten.name());
    let mut server = Child::spawn(command).expect("ginkgo-bench-server starts");
    let (stop, status) = hold_and_terminate(&mut server, connections, load);
    assert!(!status.success(), "SIGTERM's default action ends the server: {status}");
    stop
}

/// Opens `connections` idle connections from `load` to the server `child` prints the address
/// of, then times from SIGTERM to its exit. Returns that time and how the process ended.
fn hold_and_terminate(child: &mut Child, connections: usize, load: &Runtime) -> (Duration, std::process::ExitStatus) {
    let address: SocketAddr = child
        .wait_for_line(LISTENING, DEADLINE)
        .expect("the server listens")
        .parse()
        .expect("the server prints its address");
    let streams = load.block_on(open_idle(address, connections)).expect("the server echoes every connection");
    let began = Instant::now();
    child.signal(Signal::SIGTERM).expect("SIGTERM to the server");
    let status = child.wait().expect("the server exits");
    let stop = began.elapsed();
    drop(streams);
    (stop, status)
}
