//! Ginkgo's benchmark suite: each case measures Ginkgo side by side with the code a user would
//! otherwise write by hand, in the same process, in alternating rounds, and reports the ratio.
//!
//! Run it with `cargo bench -p ginkgo-bench` (full) or `cargo bench -p ginkgo-bench -- --quick`;
//! `docs/benchmarks.md` holds the figures of the last full run and what each case means.
//!
//! * [`cases`]: one module per case, Ginkgo's side and its baseline next to each other.
//! * [`servers`]: the servers under test, shared by the cases and the server programs.
//! * [`load`]: the load generators that drive them over 127.0.0.1.
//! * [`process`]: child processes, resident memory, notify socket, limit on open files.
//! * [`measure`]: alternating rounds and their medians.
//! * [`mode`]: quick or full, and the sizes each picks.
//! * [`report`]: the table printed at the end.
//! * [`machine`]: the machine line printed above it.
//! * [`cli`]: the command line of the `ginkgo` bench target.

pub mod cases;
pub mod cli;
pub mod load;
pub mod machine;
pub mod measure;
pub mod mode;
pub mod process;
pub mod report;
pub mod servers;

pub use cli::run;
pub use mode::Mode;
