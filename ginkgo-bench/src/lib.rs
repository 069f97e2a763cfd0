//! Ginkgo's benchmark suite: each case measures Ginkgo side by side with the code a user would
//! otherwise write by hand, in the same process, in alternating rounds, and reports the ratio.
//!
//! Run it with `cargo bench -p ginkgo-bench` (full) or `cargo bench -p ginkgo-bench -- --quick`;
//! `docs/benchmarks.md` holds the figures of the last full run and what each case means.
//!
//! * [`cases`]: one module per case, Ginkgo's side and its baseline next to each other.
//! * [`measure`]: alternating rounds and their medians.
//! * [`mode`]: quick or full, and the sizes each picks.
//! * [`report`]: the table printed at the end.
//! * [`machine`]: the machine line printed above it.
//! * [`cli`]: the command line of the `ginkgo` bench target.

pub mod cases;
pub mod cli;
pub mod machine;
pub mod measure;
pub mod mode;
pub mod report;

pub use cli::run;
pub use mode::Mode;
