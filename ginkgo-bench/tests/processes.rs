//! The process cases run once each at a tiny size, with the real programs: a server program
//! per side holding a few idle connections, the daemon stopped by SIGTERM with connections
//! open, and the daemon's start to `READY=1`.

use std::time::Duration;

use ginkgo_bench::cases::runtime::load_runtime;
use ginkgo_bench::cases::{idle_memory, start_ready, stop_idle};
use ginkgo_bench::process::{DEADLINE, Programs};
use ginkgo_bench::servers::EchoServer;

fn install_programs() {
    Programs {
        server: env!("CARGO_BIN_EXE_ginkgo-bench-server").into(),
        daemon: env!("CARGO_BIN_EXE_ginkgo-bench-daemon").into(),
    }
    .install();
}

#[test]
fn every_server_program_holds_idle_connections() {
    install_programs();
    let load = load_runtime();
    for server in EchoServer::ALL {
        let per_connection = idle_memory::round(server, 20, &load);
        assert!(per_connection.is_finite(), "{server:?}: {per_connection} bytes a connection");
    }
}

#[test]
fn the_daemon_exits_on_sigterm_with_idle_connections_open() {
    install_programs();
    let load = load_runtime();
    let stop = stop_idle::round(20, &load);
    assert!(stop > Duration::ZERO && stop < DEADLINE, "{stop:?}");
    let floor = stop_idle::floor(20, &load);
    assert!(floor > Duration::ZERO && floor < DEADLINE, "{floor:?}");
}

#[test]
fn the_daemon_tells_it_is_ready() {
    install_programs();
    let start = start_ready::round();
    assert!(start > Duration::ZERO && start < DEADLINE, "{start:?}");
}
