//! The cases: each one measures something Ginkgo does against what a user would write by hand
//! without it, and returns the rows it adds to the table.
//!
//! A case is one module with a `run(Mode) -> Vec<Row>` function; to add one, write the module and
//! list it in [`all`]. Cases still to come, once the parts of Ginkgo they measure exist (network
//! services, settings, the runner): TCP echo, HTTP hello, memory per idle connection, stop latency
//! with 10,000 idle connections, reading a `Setting` against a cached `Arc<String>`, and process
//! start to ready.

pub mod runtime;
pub mod spawn_smol;
pub mod spawn_threads;
pub mod spawn_tokio;
pub mod spawner;
pub mod tree;

use crate::Mode;
use crate::report::Row;

/// A case of the suite.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// A short name, used to pick cases on the command line.
    pub name: &'static str,
    /// One line saying what is compared with what.
    pub about: &'static str,
    /// Runs the case and returns its rows.
    pub run: fn(Mode) -> Vec<Row>,
}

/// Every case, in the order a run goes through them.
///
/// ```
/// let names: Vec<_> = ginkgo_bench::cases::all().iter().map(|case| case.name).collect();
/// assert_eq!(names, ["spawn-tokio", "spawn-smol", "spawn-threads", "tree"]);
/// ```
pub fn all() -> [Case; 4] {
    [
        Case {
            name: "spawn-tokio",
            about: "Context::spawn + await on the tokio backend vs tokio::spawn + await",
            run: spawn_tokio::run,
        },
        Case {
            name: "spawn-smol",
            about: "Context::spawn + await on the smol backend vs smol::spawn + await",
            run: spawn_smol::run,
        },
        Case {
            name: "spawn-threads",
            about: "Context::spawn + await on the threads backend vs std::thread::spawn + join",
            run: spawn_threads::run,
        },
        Case {
            name: "tree",
            about: "start and stop 10,000 services (fan-out 10) on tokio vs the same tokio-graceful-shutdown subsystems",
            run: tree::run,
        },
    ]
}
