//! A TCP client pointed at a port of this host that nothing listens on can end up connected to
//! itself: when the system picks that very port for the client's own end, the two ends of the
//! connection are one socket (TCP's simultaneous open), and the "server" the client talks to
//! is itself. Every backend's sockets must count that as a failed attempt.
//!
//! Linux picks the client's port among the ephemeral ones, going through them from one
//! attempt to the next, and only ports of one parity for connections (the other is left to
//! `bind`); so many attempts at an unused port of that parity in the range reach it. The test
//! has a binary of its own: its thousands of connections must not meet another test's.

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use ginkgo::Service;
use ginkgo::net::Transport;
use ginkgo::net::{Address, BackendTransport};
use ginkgo::testing::{each_backend, within};

struct Quiet;
impl Service for Quiet {}

/// The range of ports the system gives clients, where it tells (Linux).
fn ephemeral_ports() -> Option<(u16, u16)> {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut bounds = range.split_whitespace().map(|bound| bound.parse::<u16>());
    Some((bounds.next()?.ok()?, bounds.next()?.ok()?))
}

/// A port of loopback in `range`, of the parity of its lower bound (the ports Linux gives
/// connections), that nothing uses now.
fn unused_port((low, high): (u16, u16)) -> Option<u16> {
    let middle = low + (high - low) / 2;
    let start = middle - (middle - low) % 2;
    (start..=high).step_by(2).find(|port| TcpListener::bind(("127.0.0.1", *port)).is_ok())
}

#[test]
fn a_client_never_counts_a_connection_to_itself_as_connected() {
    let Some(range) = ephemeral_ports() else {
        eprintln!(
            "skipped: the system does not tell its ephemeral port range (no /proc/sys/net/ipv4/ip_local_port_range)"
        );
        return;
    };
    let attempts = usize::from(range.1 - range.0) + 1_000;
    each_backend(|backend| async move {
        let Some(port) = unused_port(range) else { panic!("no unused port in {range:?}") };
        let target = SocketAddr::from(([127, 0, 0, 1], port));
        let address: Address = target.to_string().parse().unwrap();
        let probe = backend.service(Quiet);
        within(backend, "start", probe.start()).await.unwrap();
        let ctx = probe.context().clone();
        let mut to_itself = 0;
        for _ in 0..attempts {
            match BackendTransport.connect(&ctx, &address, Duration::from_secs(1)).await {
                Ok((_stream, peer)) => {
                    panic!("on {backend}: connected to {peer} through {target}, which nothing listens on")
                }
                Err(err) if err.to_string().starts_with("connected to itself") => {
                    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
                    assert_eq!(err.to_string(), format!("connected to itself on {target}: nothing listens there"));
                    to_itself += 1;
                    break;
                }
                Err(err) => assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "on {backend}: {err}"),
            }
        }
        if to_itself == 0 {
            eprintln!("on {backend}: the system never gave a client port {port} in {attempts} attempts: nothing shown");
        }
        within(backend, "stop", probe.stop()).await.unwrap();
    });
}
