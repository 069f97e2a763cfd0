//! Reading a `Setting<String>`: `Setting::load`, which returns the live value as an
//! `Arc<String>`, against cloning an `Arc<String>` the reader keeps itself (what code that
//! shares a value it read once does, and what a live setting must not cost much more than).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ginkgo::{Config, setting};

use crate::Mode;
use crate::measure::{Rounds, alternate};
use crate::report::{Row, count};

setting!(pub static GREETING: String {
    name: "bench.greeting",
    default: "Hello World".to_string(),
    help: "The setting the setting-read benchmark reads",
});

/// Ginkgo's time per read over the baseline's must be at most this.
pub const TARGET: f64 = 2.0;

/// Runs the case: 20,000,000 reads a round (2,000,000 in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let reads = mode.pick(2_000_000, 20_000_000);
    let rounds = mode.pick(Rounds { warmup: 1, measured: 7 }, Rounds { warmup: 2, measured: 15 });
    let config = configured();
    let cached = GREETING.load(&config);
    let [paired] = alternate(rounds, || [ginkgo(&config, reads)], || [baseline(&cached, reads)]);
    vec![Row::new(format!("read a Setting<String> (per read; {} a round)", count(reads)), &paired, reads, TARGET)]
}

/// A configuration that sets [`GREETING`] (so that a read finds a loaded value, not the
/// default), without reading the environment.
///
/// # Panics
///
/// If the configuration does not load.
pub fn configured() -> Config {
    Config::builder()
        .env(false)
        .set(GREETING.name(), "Hello from the configuration")
        .load()
        .expect("the configuration loads")
}

/// Ginkgo: `reads` reads of [`GREETING`] from `config`. Returns how long they took.
pub fn ginkgo(config: &Config, reads: u64) -> Duration {
    let began = Instant::now();
    for _ in 0..reads {
        black_box(GREETING.load(black_box(config)));
    }
    began.elapsed()
}

/// The baseline: `reads` clones of `cached`. Returns how long they took.
pub fn baseline(cached: &Arc<String>, reads: u64) -> Duration {
    let began = Instant::now();
    for _ in 0..reads {
        black_box(Arc::clone(black_box(cached)));
    }
    began.elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_read_the_configured_value() {
        let config = configured();
        let cached = GREETING.load(&config);
        assert_eq!(*cached, "Hello from the configuration");
        let shared = Arc::strong_count(&cached);
        ginkgo(&config, 100);
        baseline(&cached, 100);
        assert_eq!(Arc::strong_count(&cached), shared, "every clone was dropped");
    }
}
