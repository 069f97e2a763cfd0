//! A TCP client pointed at a port of this host that nothing listens on can end up connected to
//! itself: when the system picks that very port for the client's own end, the two ends of the
//! connection are one socket (TCP's simultaneous open), and the "server" the client talks to
//! is itself. Every backend's sockets must count that as a failed attempt.
//!
//! Linux picks the client's port among the ephemeral ones, going through them from one attempt
//! to the next with small random jumps, and only ports of one parity for connections (the other
//! is left to `bind`); so enough attempts at an unused port of that parity in the range reach
//! it (a few thousand, in well under a second). The test has a binary of its own: its thousands
//! of connections must not meet another test's.

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ginkgo::net::Transport;
use ginkgo::net::{Address, BackendTransport};
use ginkgo::testing::{each_backend, within};
use ginkgo::{Backend, Context, Service};

struct Quiet;
impl Service for Quiet {}

/// The range of ports the system gives clients, where it tells (Linux).
fn ephemeral_ports() -> Option<(u16, u16)> {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut bounds = range.split_whitespace().map(|bound| bound.parse::<u16>());
    Some((bounds.next()?.ok()?, bounds.next()?.ok()?))
}

/// A port of loopback in `range`, of the parity of its lower bound (the ports Linux gives
/// connections), that no socket listens on or is bound to now. Each call starts looking from a
/// different place: the connection to itself of an earlier run stays closing (`TIME_WAIT`) for
/// a minute, and the system does not give a client that port again meanwhile.
fn unused_port((low, high): (u16, u16)) -> Option<u16> {
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.subsec_nanos());
    let span = u32::from((high - low) / 2);
    let start = low + u16::try_from(2 * (seed % span)).unwrap_or(0);
    (start..=high).chain(low..start).step_by(2).find(|port| TcpListener::bind(("127.0.0.1", *port)).is_ok())
}

/// How many ports the test tries on each backend before it says it could show nothing.
const PORTS: usize = 3;

/// Connects to `target`, where nothing listens, until the system gives the client that very
/// port (true) or `attempts` are done (false). Panics if an attempt connects.
async fn connect_until_connected_to_itself(
    ctx: &Context,
    backend: Backend,
    target: SocketAddr,
    attempts: usize,
) -> bool {
    let address: Address = target.to_string().parse().unwrap();
    for _ in 0..attempts {
        match BackendTransport::default().connect(ctx, &address, Duration::from_secs(1)).await {
            Ok((_stream, peer)) => {
                panic!("on {backend}: connected to {peer} through {target}, which nothing listens on")
            }
            Err(err) if err.to_string().starts_with("connected to itself") => {
                assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
                assert_eq!(err.to_string(), format!("connected to itself on {target}: nothing listens there"));
                return true;
            }
            Err(err) => assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "on {backend}: {err}"),
        }
    }
    false
}

#[test]
fn a_client_never_counts_a_connection_to_itself_as_connected() {
    let Some(range) = ephemeral_ports() else {
        eprintln!(
            "skipped: the system does not tell its ephemeral port range (no /proc/sys/net/ipv4/ip_local_port_range)"
        );
        return;
    };
    // Linux gives the clients of one destination the ports of the range in turn, with small
    // random jumps (so that they cannot be foretold): about eight passes through the range.
    let attempts = usize::from(range.1 - range.0) + 4_000;
    each_backend(|backend| async move {
        let probe = backend.service(Quiet);
        within(backend, "start", probe.start()).await.unwrap();
        let ctx = probe.context().clone();
        let mut shown = false;
        for _ in 0..PORTS {
            let Some(port) = unused_port(range) else { break };
            let target = SocketAddr::from(([127, 0, 0, 1], port));
            if connect_until_connected_to_itself(&ctx, backend, target, attempts).await {
                shown = true;
                break;
            }
        }
        if !shown {
            eprintln!(
                "on {backend}: the system gave no client the port it connected to, in {PORTS} × {attempts} attempts: nothing shown"
            );
        }
        within(backend, "stop", probe.stop()).await.unwrap();
    });
}
