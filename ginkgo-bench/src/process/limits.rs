//! The limit on open files: 10,000 connections take 10,000 descriptors at each end.

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// Descriptors a process needs besides its connections: standard streams, the runtime's
/// epoll and wake-up descriptors, the listener, pipes to a child.
pub const SPARE_FILES: u64 = 64;

/// Raises this process's soft limit on open files (`RLIMIT_NOFILE`) to its hard limit, and
/// returns the soft limit now in force. Children inherit it.
pub fn raise_open_files() -> u64 {
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else { return 1024 };
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return hard;
    }
    soft
}

/// How many connections a process whose limit on open files is `limit` can hold, at most
/// `wanted`.
///
/// ```
/// use ginkgo_bench::process::connections_within;
///
/// assert_eq!(connections_within(10_000, 20_000), 10_000);
/// assert_eq!(connections_within(10_000, 4_096), 4_032);
/// ```
pub fn connections_within(wanted: usize, limit: u64) -> usize {
    let room = usize::try_from(limit.saturating_sub(SPARE_FILES)).unwrap_or(usize::MAX);
    wanted.min(room)
}
