//! Resident memory per idle TCP connection: Ginkgo's stream servers on tokio against the
//! hand-written tokio server, each in a process of its own (`ginkgo-bench-server`).
//!
//! A round starts the server program, reads its resident memory (`VmRSS`), opens the
//! connections from this process and has each echoed once (so every handler is running, waiting
//! for its next message), reads the resident memory again, and ends the program. The figure is
//! the growth divided by the number of connections. 10,000 connections take 10,000 descriptors
//! in each process: the limit on open files is raised to its hard limit, and the count lowered
//! (and the row says so) if even that is too low.

use std::net::SocketAddr;

use tokio::runtime::Runtime;

use crate::Mode;
use crate::cases::runtime::load_runtime;
use crate::load::open_idle;
use crate::measure::{Rounds, alternate};
use crate::process::{Child, DEADLINE, Programs, connections_within, raise_open_files, resident_bytes};
use crate::report::{Row, Target, Unit, count};
use crate::servers::{EchoServer, LISTENING};

/// Ginkgo's memory per connection over the baseline's must be at most this.
pub const TARGET: f64 = 1.10;

/// Runs the case: 10,000 connections a round (2,000 in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let wanted = mode.pick(2_000, 10_000);
    let connections = connections_within(wanted, raise_open_files());
    let rounds = mode.pick(Rounds { warmup: 1, measured: 3 }, Rounds { warmup: 1, measured: 5 });
    let load = load_runtime();
    let held = match connections < wanted {
        true => format!(
            "{} idle TCP connections (scaled down from {}: too few file descriptors)",
            count(connections as u64),
            count(wanted as u64)
        ),
        false => format!("{} idle TCP connections", count(connections as u64)),
    };
    let mut rows = Vec::new();
    for ginkgo in [EchoServer::GinkgoNet, EchoServer::GinkgoTokio] {
        let [paired] = alternate(
            rounds,
            || [round(ginkgo, connections, &load)],
            || [round(EchoServer::HandWritten, connections, &load)],
        );
        rows.push(Row::compared(
            format!("{held}, {}: memory per connection", ginkgo.label()),
            &paired,
            Unit::Bytes,
            Target::AtMost(TARGET),
        ));
    }
    rows
}

/// One round: `server` in a `ginkgo-bench-server` process holding `connections` idle
/// connections opened from `load`. Returns the growth of its resident memory per connection, in
/// bytes.
///
/// # Panics
///
/// If the program fails, or a connection is refused or not echoed.
pub fn round(server: EchoServer, connections: usize, load: &Runtime) -> f64 {
    let mut command = Programs::get().server_command();
    command.arg(server.name());
    let mut child = Child::spawn(command).expect("ginkgo-bench-server starts");
    let address: SocketAddr = child
        .wait_for_line(LISTENING, DEADLINE)
        .expect("ginkgo-bench-server listens")
        .parse()
        .expect("ginkgo-bench-server prints its address");
    let before = resident_bytes(child.pid()).expect("the server's resident memory");
    let streams = load.block_on(open_idle(address, connections)).expect("the server echoes every connection");
    let after = resident_bytes(child.pid()).expect("the server's resident memory");
    drop(streams);
    let status = child.finish().expect("ginkgo-bench-server exits");
    assert!(status.success(), "ginkgo-bench-server {}: {status}", server.name());
    (after as f64 - before as f64) / connections as f64
}
