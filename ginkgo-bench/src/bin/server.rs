//! `ginkgo-bench-server SIDE`: an echo server in a process of its own, for the memory case.
//! SIDE is `ginkgo-net`, `ginkgo-tokio` or `tokio` (see `ginkgo_bench::servers::EchoServer`).
//! It prints `listening on ADDRESS` once it listens on 127.0.0.1, serves until its standard
//! input closes, then exits. Exit codes: 0 done, 2 bad arguments.

use std::io::{Read, Write};
use std::process::ExitCode;

use ginkgo_bench::cases::runtime::tokio_runtime;
use ginkgo_bench::process::raise_open_files;
use ginkgo_bench::servers::{EchoServer, LISTENING};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(server) = args.first().and_then(|name| EchoServer::from_name(name)).filter(|_| args.len() == 1) else {
        let names: Vec<&str> = EchoServer::ALL.iter().map(|server| server.name()).collect();
        eprintln!("usage: ginkgo-bench-server {}", names.join("|"));
        return ExitCode::from(2);
    };
    raise_open_files();
    let runtime = tokio_runtime();
    let running = server.start(&runtime);
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{LISTENING}{}", running.address()).and_then(|()| out.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    drop(out);
    // Serve until whoever started this closes our standard input (or dies).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    running.stop(&runtime);
    ExitCode::SUCCESS
}
