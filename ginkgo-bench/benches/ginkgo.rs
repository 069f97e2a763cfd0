//! The benchmark suite: `cargo bench -p ginkgo-bench` (full) or
//! `cargo bench -p ginkgo-bench -- --quick`. See `docs/benchmarks.md`.

use std::process::ExitCode;

use ginkgo_bench::process::Programs;

/// The 1,000 settings of the reload case, declared here only, so that the daemon the other
/// cases start does not load them.
#[allow(dead_code)]
mod reload_settings {
    include!(concat!(env!("OUT_DIR"), "/reload_settings.rs"));
}

fn main() -> ExitCode {
    Programs {
        server: env!("CARGO_BIN_EXE_ginkgo-bench-server").into(),
        daemon: env!("CARGO_BIN_EXE_ginkgo-bench-daemon").into(),
    }
    .install();
    ginkgo_bench::run(std::env::args().skip(1))
}
