//! TLS echo, 64-byte messages, 100 connections: Ginkgo's stream servers with `with_tls` on
//! tokio against a hand-written tokio-rustls accept loop running the same handler, all three
//! presenting the same certificate.
//!
//! A round is the echo case's, over TLS: the load generator (tokio-rustls, on a runtime of its
//! own) opens 100 connections and finishes their handshakes before the time starts, then keeps
//! them busy with 64-byte messages, each waiting for its echo. What is measured is the traffic
//! over established TLS connections: the exchanges a second and their 99th-percentile latency.

use std::time::Duration;

use tokio::runtime::Runtime;

use crate::Mode;
use crate::cases::echo::{P99_TARGET, THROUGHPUT_TARGET};
use crate::cases::runtime::{load_runtime, tokio_runtime};
use crate::load::{Protocol, Spec, closed_loop_over_tls};
use crate::measure::{Rounds, alternate};
use crate::report::{Row, Target, Unit};
use crate::servers::{BenchCertificate, TlsEchoServer};

/// Runs the case: 100 connections, 10 s rounds (a quarter of a second in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let spec = Spec { connections: 100, duration: mode.pick(Duration::from_millis(250), Duration::from_secs(10)) };
    let rounds = mode.pick(Rounds { warmup: 1, measured: 3 }, Rounds { warmup: 1, measured: 5 });
    let (servers, load) = (tokio_runtime(), load_runtime());
    let certificate = BenchCertificate::new();
    let mut rows = Vec::new();
    for ginkgo in [TlsEchoServer::GinkgoNet, TlsEchoServer::GinkgoTokioTls] {
        let [rate, p99] = alternate(
            rounds,
            || round(ginkgo, &certificate, &servers, &load, spec),
            || round(TlsEchoServer::HandWritten, &certificate, &servers, &load, spec),
        );
        let what = format!("TLS echo, {}", ginkgo.label());
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

/// One round: `server` started on `servers` with `certificate`, loaded over TLS from `load` as
/// `spec` says, stopped. Returns the exchanges a second and the 99th-percentile latency in
/// nanoseconds.
///
/// # Panics
///
/// If the server fails, a handshake fails, or an echo is wrong.
pub fn round(
    server: TlsEchoServer,
    certificate: &BenchCertificate,
    servers: &Runtime,
    load: &Runtime,
    spec: Spec,
) -> [f64; 2] {
    let running = server.start(servers, certificate);
    let tls = certificate.client_config();
    let outcome = load.block_on(closed_loop_over_tls(running.address(), Protocol::Echo, spec, tls));
    running.stop(servers);
    [outcome.rate(), outcome.p99_ns()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tls_echo_server_answers_the_load() {
        let (servers, load) = (tokio_runtime(), load_runtime());
        let certificate = BenchCertificate::new();
        let spec = Spec { connections: 3, duration: Duration::from_millis(20) };
        for server in TlsEchoServer::ALL {
            let [rate, p99] = round(server, &certificate, &servers, &load, spec);
            assert!(rate > 0.0 && p99 > 0.0, "{server:?}: {rate} msg/s, p99 {p99} ns");
        }
    }
}
