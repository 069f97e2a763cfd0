//! HTTP hello world on smol, keep-alive, 100 connections: `ginkgo::http::HttpServer` on the smol
//! backend hosting an axum `Router` against the same `Router` served by hyper on smol by hand
//! (an accept loop, `hyper_util`'s builder, and glue from smol's streams to hyper's).
//!
//! Both servers run on smol's global executor; the load generator is the `http` case's (100
//! HTTP/1.1 connections, each sending `GET /` and reading the whole response before the next),
//! on a tokio runtime of its own. It measures the requests a second and the 99th percentile of
//! their latency.

use std::time::Duration;

use tokio::runtime::Runtime;

use crate::Mode;
use crate::cases::http::{P99_TARGET, THROUGHPUT_TARGET};
use crate::cases::runtime::load_runtime;
use crate::load::{Protocol, Spec, closed_loop};
use crate::measure::{Rounds, alternate};
use crate::report::{Row, Target, Unit};
use crate::servers::SmolWebServer;

/// Runs the case: 100 connections, 5 s rounds (a quarter of a second in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let spec = Spec { connections: 100, duration: mode.pick(Duration::from_millis(250), Duration::from_secs(5)) };
    let rounds = mode.pick(Rounds { warmup: 1, measured: 3 }, Rounds { warmup: 1, measured: 5 });
    let load = load_runtime();
    let [rate, p99] =
        alternate(rounds, || round(SmolWebServer::Ginkgo, &load, spec), || round(SmolWebServer::Hyper, &load, spec));
    let what = "HTTP hello on smol, ginkgo::http::HttpServer + axum Router vs hyper by hand";
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

/// One round: `server` started on smol, loaded from `load` as `spec` says, stopped. Returns
/// the requests a second and the 99th-percentile latency in nanoseconds.
///
/// # Panics
///
/// If the server fails, or a response is wrong.
pub fn round(server: SmolWebServer, load: &Runtime, spec: Spec) -> [f64; 2] {
    let running = server.start();
    let outcome = load.block_on(closed_loop(running.address(), Protocol::Http, spec));
    running.stop();
    [outcome.rate(), outcome.p99_ns()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_smol_web_servers_answer_the_load() {
        let load = load_runtime();
        let spec = Spec { connections: 3, duration: Duration::from_millis(20) };
        for server in [SmolWebServer::Ginkgo, SmolWebServer::Hyper] {
            let [rate, p99] = round(server, &load, spec);
            assert!(rate > 0.0 && p99 > 0.0, "{server:?}: {rate} req/s, p99 {p99} ns");
        }
    }
}
