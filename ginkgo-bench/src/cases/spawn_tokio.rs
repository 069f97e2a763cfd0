//! Spawn a trivial task and await it, on tokio: [`Context::spawn`] and its [`TaskHandle`]
//! against `tokio::spawn` and its `JoinHandle`.
//!
//! [`TaskHandle`]: ginkgo::TaskHandle

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use ginkgo::backends::TokioManager;
use ginkgo::{Context, ServiceHandle};
use tokio::runtime::Runtime;

use crate::Mode;
use crate::cases::runtime::tokio_runtime;
use crate::cases::spawner::{Spawner, spawn_and_await};
use crate::measure::{Rounds, alternate};
use crate::report::{Row, Target, count};

/// The ratio Ginkgo must stay within.
pub const TARGET: f64 = 1.10;

/// Runs the case: 1,000,000 tasks a round (200,000 in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let tasks = mode.pick(200_000, 1_000_000);
    let rounds = mode.pick(Rounds { warmup: 1, measured: 7 }, Rounds { warmup: 2, measured: 15 });
    let runtime = tokio_runtime();
    let service = ServiceHandle::new(Spawner).with_manager(TokioManager::with_handle(runtime.handle().clone()));
    runtime.block_on(service.start()).expect("the spawning service starts");
    let [paired] = alternate(rounds, || [ginkgo(&runtime, &service, tasks)], || [baseline(&runtime, tasks)]);
    runtime.block_on(service.stop()).expect("the spawning service stops");
    let [floor] = alternate(rounds, || [boxed(&runtime, tasks)], || [baseline(&runtime, tasks)]);
    vec![
        Row::new(format!("spawn + await, tokio (per task; {} a round)", count(tasks)), &paired, tasks, TARGET),
        Row::new("floor: a boxed future on tokio::spawn (per task)", &floor, tasks, TARGET).with_target(Target::Report),
    ]
}

/// Ginkgo: a task of `service` (on the tokio backend, on `runtime`) spawns and awaits `tasks`
/// trivial tasks through its context. Returns how long it took.
pub fn ginkgo(runtime: &Runtime, service: &Context, tasks: u64) -> Duration {
    let began = Instant::now();
    runtime.block_on(spawn_and_await(service, tasks)).expect("every task ends cleanly");
    began.elapsed()
}

/// The baseline: a tokio task spawns and awaits `tasks` trivial tasks with `tokio::spawn`.
/// Returns how long it took.
pub fn baseline(runtime: &Runtime, tasks: u64) -> Duration {
    let began = Instant::now();
    let driver = runtime.spawn(async move {
        for _ in 0..tasks {
            tokio::spawn(async {}).await.expect("a trivial task ends cleanly");
        }
    });
    runtime.block_on(driver).expect("the spawning task ends cleanly");
    began.elapsed()
}

/// Not Ginkgo: the baseline's loop with each future boxed as a `dyn Future`, the least that
/// spawning through a backend chosen at run time (`dyn AsyncManager`) can cost. It shows how much
/// of Ginkgo's ratio is left to its own bookkeeping. Returns how long it took.
pub fn boxed(runtime: &Runtime, tasks: u64) -> Duration {
    let began = Instant::now();
    let driver = runtime.spawn(async move {
        for _ in 0..tasks {
            let future: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async {});
            tokio::spawn(future).await.expect("a trivial task ends cleanly");
        }
    });
    runtime.block_on(driver).expect("the spawning task ends cleanly");
    began.elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_run_their_tasks() {
        let runtime = tokio_runtime();
        let service = ServiceHandle::new(Spawner).with_manager(TokioManager::with_handle(runtime.handle().clone()));
        runtime.block_on(service.start()).unwrap();
        ginkgo(&runtime, &service, 100);
        baseline(&runtime, 100);
        boxed(&runtime, 100);
        assert_eq!(service.live_tasks(), 0);
        runtime.block_on(service.stop()).unwrap();
    }
}
