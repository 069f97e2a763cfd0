//! What the process uses, read from `/proc/self`: resident memory, open descriptors, CPU time.
//! The health endpoint's `/metrics` reports them under the names every Prometheus client uses
//! (`process_resident_memory_bytes`, `process_open_fds`, `process_cpu_seconds_total`).

use std::time::Duration;

/// The process's use of memory, descriptors and CPU at one moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ProcessStats {
    pub(crate) resident_bytes: u64,
    pub(crate) open_descriptors: u64,
    /// User and system time together.
    pub(crate) cpu_time: Duration,
}

/// Reads them now. `None` where `/proc` is not mounted or cannot be read.
pub(crate) fn read() -> Option<ProcessStats> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let (cpu_ticks, resident_pages) = parse_stat(&stat)?;
    // Listing the folder opens a descriptor of its own, which the listing shows: not counted.
    let open_descriptors = std::fs::read_dir("/proc/self/fd").ok()?.count().saturating_sub(1) as u64;
    let ticks_per_second = rustix::param::clock_ticks_per_second().max(1);
    let cpu_time = Duration::from_secs(cpu_ticks / ticks_per_second)
        + Duration::from_secs_f64((cpu_ticks % ticks_per_second) as f64 / ticks_per_second as f64);
    Some(ProcessStats {
        resident_bytes: resident_pages.saturating_mul(rustix::param::page_size() as u64),
        open_descriptors,
        cpu_time,
    })
}

/// From `/proc/self/stat`: user plus system time in clock ticks (fields 14 and 15), and the
/// resident set in pages (field 24). The command's name (field 2, in parentheses) may hold
/// spaces and parentheses itself, so fields are counted from the last `)`.
fn parse_stat(stat: &str) -> Option<(u64, u64)> {
    let (_, after_name) = stat.rsplit_once(')')?;
    // The first field after the name is field 3.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |number: usize| fields.get(number - 3)?.parse::<u64>().ok();
    Some((field(14)?.saturating_add(field(15)?), field(24)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stat_line_is_read_after_the_command_s_name() {
        let line = "42 (a (weird) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1000 123456 789 18446744073709551615";
        assert_eq!(parse_stat(line), Some((300, 789)));
        assert_eq!(parse_stat("42 (short) S 1"), None);
    }

    #[test]
    fn this_process_uses_memory_and_descriptors() {
        let stats = read().expect("/proc is mounted");
        assert!(stats.resident_bytes > 0 && stats.open_descriptors >= 3, "{stats:?}");
    }
}
