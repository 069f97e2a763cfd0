//! `ginkgo-bench-daemon`: the `ginkgo` command line (`ginkgo_runner::ginkgo_main`) with the
//! services of the daemon cases registered: `bench.IdleServer` and `bench.Hello` (see
//! `ginkgo_bench::servers::daemon`). Its exit codes are `ginkgo`'s.

use std::process::ExitCode;

use ginkgo_bench::process::raise_open_files;
use ginkgo_bench::servers::daemon::{HELLO, Hello, IDLE_SERVER, IdleServer};
use ginkgo_runner::Registry;

fn main() -> ExitCode {
    // An idle server may hold 10,000 connections.
    raise_open_files();
    let registry = Registry::new().register(IDLE_SERVER, IdleServer::new).register(HELLO, || Hello);
    ginkgo_runner::ginkgo_main(registry)
}
