//! Spawn a trivial task and await it, on OS threads: [`Context::spawn`] and its [`TaskHandle`]
//! on the threads backend against `std::thread::spawn` and `join`.
//!
//! [`TaskHandle`]: ginkgo::TaskHandle

use std::time::{Duration, Instant};

use ginkgo::{Backend, Context};

use crate::Mode;
use crate::cases::spawner::{Spawner, spawn_and_await};
use crate::measure::{Rounds, alternate};
use crate::report::{Row, count};

/// The ratio Ginkgo must stay within.
pub const TARGET: f64 = 1.05;

/// Runs the case: 10,000 threads a round (2,000 in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let tasks = mode.pick(2_000, 10_000);
    let rounds = mode.pick(Rounds { warmup: 1, measured: 7 }, Rounds { warmup: 2, measured: 15 });
    let service = Backend::Threads.service(Spawner);
    Backend::Threads.block_on(service.start()).expect("the spawning service starts");
    let [paired] = alternate(rounds, || [ginkgo(&service, tasks)], || [baseline(tasks)]);
    Backend::Threads.block_on(service.stop()).expect("the spawning service stops");
    vec![Row::new(format!("spawn + await, threads (per task; {} a round)", count(tasks)), &paired, tasks, TARGET)]
}

/// Ginkgo: a task of `service` (on the threads backend, so a thread of its own) spawns and
/// awaits `tasks` trivial tasks through its context, each on a new thread. Returns how long it
/// took.
pub fn ginkgo(service: &Context, tasks: u64) -> Duration {
    let began = Instant::now();
    Backend::Threads.block_on(spawn_and_await(service, tasks)).expect("every task ends cleanly");
    began.elapsed()
}

/// The baseline: a thread starts `tasks` threads that do nothing, one at a time, joining each.
/// Returns how long it took.
pub fn baseline(tasks: u64) -> Duration {
    let began = Instant::now();
    let driver = std::thread::spawn(move || {
        for _ in 0..tasks {
            std::thread::spawn(|| {}).join().expect("an empty thread ends cleanly");
        }
    });
    driver.join().expect("the spawning thread ends cleanly");
    began.elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_run_their_tasks() {
        let service = Backend::Threads.service(Spawner);
        Backend::Threads.block_on(service.start()).unwrap();
        ginkgo(&service, 20);
        baseline(20);
        assert_eq!(service.live_tasks(), 0);
        Backend::Threads.block_on(service.stop()).unwrap();
    }
}
