//! The benchmark suite: `cargo bench -p ginkgo-bench` (full) or
//! `cargo bench -p ginkgo-bench -- --quick`. See `docs/benchmarks.md`.

use std::process::ExitCode;

fn main() -> ExitCode {
    ginkgo_bench::run(std::env::args().skip(1))
}
