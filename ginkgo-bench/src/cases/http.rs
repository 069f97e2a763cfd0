//! HTTP hello world, keep-alive, 100 connections: `ginkgo::http::HttpServer` hosting an axum
//! `Router` against `axum::serve` of the same `Router`.
//!
//! A round starts one server on the servers' runtime, has the load generator (on a runtime of
//! its own) keep 100 HTTP/1.1 connections busy for the round's time, each sending `GET /` and
//! reading the whole response before sending the next, then stops the server. It measures the
//! requests a second and the 99th percentile of their latency.

use std::time::Duration;

use tokio::runtime::Runtime;

use crate::Mode;
use crate::cases::runtime::{load_runtime, tokio_runtime};
use crate::load::{Protocol, Spec, closed_loop};
use crate::measure::{Rounds, alternate};
use crate::report::{Row, Target, Unit};
use crate::servers::WebServer;

/// Ginkgo's throughput over the baseline's must be at least this.
pub const THROUGHPUT_TARGET: f64 = 0.95;

/// Ginkgo's 99th-percentile latency over the baseline's must be at most this.
pub const P99_TARGET: f64 = 1.10;

/// Runs the case: 100 connections, 5 s rounds (a quarter of a second in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let spec = Spec { connections: 100, duration: mode.pick(Duration::from_millis(250), Duration::from_secs(5)) };
    let rounds = mode.pick(Rounds { warmup: 1, measured: 3 }, Rounds { warmup: 1, measured: 5 });
    let (servers, load) = (tokio_runtime(), load_runtime());
    let [rate, p99] = alternate(
        rounds,
        || round(WebServer::Ginkgo, &servers, &load, spec),
        || round(WebServer::Axum, &servers, &load, spec),
    );
    let what = "HTTP hello, ginkgo::http::HttpServer + axum Router";
    vec![
        Row::compared(
            format!("{what}: req/s (100 connections, {} s rounds)", spec.duration.as_secs_f64()),
            &rate,
            Unit::Rate("req/s"),
            Target::AtLeast(THROUGHPUT_TARGET),
        ),
        Row::compared(format!("{what}: p99 latency"), &p99, Unit::Time, Target::AtMost(P99_TARGET)),
    ]
}

/// One round: `server` started on `servers`, loaded from `load` as `spec` says, stopped.
/// Returns the requests a second and the 99th-percentile latency in nanoseconds.
///
/// # Panics
///
/// If the server fails, or a response is wrong.
pub fn round(server: WebServer, servers: &Runtime, load: &Runtime, spec: Spec) -> [f64; 2] {
    let running = server.start(servers);
    let outcome = load.block_on(closed_loop(running.address(), Protocol::Http, spec));
    running.stop(servers);
    [outcome.rate(), outcome.p99_ns()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_web_servers_answer_the_load() {
        let (servers, load) = (tokio_runtime(), load_runtime());
        let spec = Spec { connections: 3, duration: Duration::from_millis(20) };
        for server in [WebServer::Ginkgo, WebServer::Axum] {
            let [rate, p99] = round(server, &servers, &load, spec);
            assert!(rate > 0.0 && p99 > 0.0, "{server:?}: {rate} req/s, p99 {p99} ns");
        }
    }
}
