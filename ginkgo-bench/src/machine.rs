//! The machine and build a run's figures come from, printed above the table.

use std::fmt;

/// What a reader needs to know to compare two runs: cores, CPU, compiler, build profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    /// Cores this process may use (what `nproc` prints).
    pub cores: usize,
    /// The first `model name` of `/proc/cpuinfo`, or `unknown`.
    pub cpu: String,
    /// `rustc --version` of the compiler that built this binary.
    pub rustc: &'static str,
    /// True when built with optimizations (`cargo bench`, or `--release`).
    pub optimized: bool,
}

impl Machine {
    /// The machine this process runs on.
    pub fn detect() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|line| line.starts_with("model name"))
                    .and_then(|line| line.split_once(':'))
                    .map(|(_, model)| model.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        Machine {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            cpu,
            rustc: env!("BENCH_RUSTC_VERSION"),
            optimized: !cfg!(debug_assertions),
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let build = if self.optimized { "optimized" } else { "DEBUG BUILD: these figures mean nothing" };
        write!(f, "{} cores ({}), {}, {build}", self.cores, self.cpu, self.rustc)
    }
}
