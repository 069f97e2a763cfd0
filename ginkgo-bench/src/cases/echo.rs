//! TCP echo, 64-byte messages, 100 connections: Ginkgo's stream servers on tokio against a
//! hand-written tokio accept loop running the same handler.
//!
//! A round starts one server on the servers' runtime, has the load generator (on a runtime of
//! its own) keep 100 connections busy for the round's time, each sending 64 bytes and waiting
//! for their echo before sending again, then stops the server. It measures the exchanges a
//! second and the 99th percentile of their latency. Both Ginkgo servers are measured, each
//! paired with the baseline: `ginkgo::net::StreamServer` (what the manual uses; its handler
//! gets a `Connection`) and `ginkgo_tokio::StreamServer` (the same server over tokio's sockets
//! alone, whose handler echoes on the tokio stream its connection holds).

use std::time::Duration;

use tokio::runtime::Runtime;

use crate::Mode;
use crate::cases::runtime::{load_runtime, tokio_runtime};
use crate::load::{Protocol, Spec, closed_loop};
use crate::measure::{Rounds, alternate};
use crate::report::{Row, Target, Unit};
use crate::servers::EchoServer;

/// Ginkgo's throughput over the baseline's must be at least this.
pub const THROUGHPUT_TARGET: f64 = 0.95;

/// Ginkgo's 99th-percentile latency over the baseline's must be at most this.
pub const P99_TARGET: f64 = 1.10;

/// Runs the case: 100 connections, 10 s rounds (a quarter of a second in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let spec = Spec { connections: 100, duration: mode.pick(Duration::from_millis(250), Duration::from_secs(10)) };
    let rounds = mode.pick(Rounds { warmup: 1, measured: 3 }, Rounds { warmup: 1, measured: 5 });
    let (servers, load) = (tokio_runtime(), load_runtime());
    let mut rows = Vec::new();
    for ginkgo in [EchoServer::GinkgoNet, EchoServer::GinkgoTokio] {
        let [rate, p99] = alternate(
            rounds,
            || round(ginkgo, &servers, &load, spec),
            || round(EchoServer::HandWritten, &servers, &load, spec),
        );
        let what = format!("TCP echo, {}", ginkgo.label());
        let shape = format!("100 connections, {} s rounds", spec.duration.as_secs_f64());
        rows.push(Row::compared(
            format!("{what}: msg/s ({shape})"),
            &rate,
            Unit::Rate("msg/s"),
            Target::AtLeast(THROUGHPUT_TARGET),
        ));
        rows.push(Row::compared(format!("{what}: p99 latency"), &p99, Unit::Time, Target::AtMost(P99_TARGET)));
    }
    rows
}

/// One round: `server` started on `servers`, loaded from `load` as `spec` says, stopped.
/// Returns the exchanges a second and the 99th-percentile latency in nanoseconds.
///
/// # Panics
///
/// If the server fails, or an echo is wrong.
pub fn round(server: EchoServer, servers: &Runtime, load: &Runtime, spec: Spec) -> [f64; 2] {
    let running = server.start(servers);
    let outcome = load.block_on(closed_loop(running.address(), Protocol::Echo, spec));
    running.stop(servers);
    [outcome.rate(), outcome.p99_ns()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_echo_server_answers_the_load() {
        let (servers, load) = (tokio_runtime(), load_runtime());
        let spec = Spec { connections: 3, duration: Duration::from_millis(20) };
        for server in EchoServer::ALL {
            let [rate, p99] = round(server, &servers, &load, spec);
            assert!(rate > 0.0 && p99 > 0.0, "{server:?}: {rate} msg/s, p99 {p99} ns");
        }
    }
}
