//! Spawn a trivial task and await it, on smol: [`Context::spawn`] and its [`TaskHandle`] against
//! `smol::spawn` and its `Task`.
//!
//! Both sides run on smol's global executor (one thread unless `SMOL_THREADS` says otherwise)
//! and wait with `smol::block_on`.
//!
//! [`TaskHandle`]: ginkgo::TaskHandle

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use ginkgo::{Backend, Context};

use crate::Mode;
use crate::cases::spawner::{Spawner, spawn_and_await};
use crate::measure::{Rounds, alternate};
use crate::report::{Row, Target, count};

/// The ratio Ginkgo must stay within.
pub const TARGET: f64 = 1.10;

/// Runs the case: 1,000,000 tasks a round (200,000 in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let tasks = mode.pick(200_000, 1_000_000);
    let rounds = mode.pick(Rounds { warmup: 1, measured: 7 }, Rounds { warmup: 2, measured: 15 });
    let service = Backend::Smol.service(Spawner);
    smol::block_on(service.start()).expect("the spawning service starts");
    let [paired] = alternate(rounds, || [ginkgo(&service, tasks)], || [baseline(tasks)]);
    smol::block_on(service.stop()).expect("the spawning service stops");
    let [floor] = alternate(rounds, || [boxed(tasks)], || [baseline(tasks)]);
    vec![
        Row::new(format!("spawn + await, smol (per task; {} a round)", count(tasks)), &paired, tasks, TARGET),
        Row::new("floor: a boxed future on smol::spawn (per task)", &floor, tasks, TARGET).with_target(Target::Report),
    ]
}

/// Ginkgo: a task of `service` (on the smol backend) spawns and awaits `tasks` trivial tasks
/// through its context. Returns how long it took.
pub fn ginkgo(service: &Context, tasks: u64) -> Duration {
    let began = Instant::now();
    smol::block_on(spawn_and_await(service, tasks)).expect("every task ends cleanly");
    began.elapsed()
}

/// The baseline: a smol task spawns and awaits `tasks` trivial tasks with `smol::spawn`.
/// Returns how long it took.
pub fn baseline(tasks: u64) -> Duration {
    let began = Instant::now();
    let driver = smol::spawn(async move {
        for _ in 0..tasks {
            smol::spawn(async {}).await;
        }
    });
    smol::block_on(driver);
    began.elapsed()
}

/// Not Ginkgo: the baseline's loop with each future boxed as a `dyn Future`, the least that
/// spawning through a backend chosen at run time (`dyn AsyncManager`) can cost. It shows how much
/// of Ginkgo's ratio is left to its own bookkeeping. Returns how long it took.
pub fn boxed(tasks: u64) -> Duration {
    let began = Instant::now();
    let driver = smol::spawn(async move {
        for _ in 0..tasks {
            let future: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async {});
            smol::spawn(future).await;
        }
    });
    smol::block_on(driver);
    began.elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_run_their_tasks() {
        let service = Backend::Smol.service(Spawner);
        smol::block_on(service.start()).unwrap();
        ginkgo(&service, 100);
        baseline(100);
        boxed(100);
        assert_eq!(service.live_tasks(), 0);
        smol::block_on(service.stop()).unwrap();
    }
}
