//! What the process cases need of the operating system: child processes and their output, their
//! resident memory, a notify socket, and the limit on open files.
//!
//! * [`Programs`]: where `ginkgo-bench-server` and `ginkgo-bench-daemon` are.
//! * [`Child`]: a child process whose output lines can be waited for; killed if dropped.
//! * [`resident_bytes`]: a process's resident memory (`VmRSS`).
//! * [`NotifySocket`]: the socket a daemon tells `READY=1` on, as systemd's would be.
//! * [`raise_open_files`] and [`connections_within`]: room for 10,000 connections.

mod child;
mod limits;
mod notify;
mod programs;
mod resident;

pub use child::Child;
pub use limits::{SPARE_FILES, connections_within, raise_open_files};
pub use notify::NotifySocket;
pub use programs::Programs;
pub use resident::resident_bytes;

/// How long any wait on a child may take before it is taken for a hang: far above what a
/// working run needs.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);
