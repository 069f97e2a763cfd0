//! A process's resident memory, from `/proc/PID/status`.

use std::io;

/// The resident memory (`VmRSS`) of process `pid`, in bytes.
///
/// ```
/// let mine = ginkgo_bench::process::resident_bytes(std::process::id()).unwrap();
/// assert!(mine > 0);
/// ```
///
/// # Errors
///
/// If the process does not exist, or its status has no `VmRSS` line.
pub fn resident_bytes(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("no VmRSS in /proc/{pid}/status")))
}
