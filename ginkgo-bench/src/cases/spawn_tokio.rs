//! Spawn a trivial task and await it, on tokio: [`Context::spawn`] and its [`TaskHandle`]
//! against `tokio::spawn` and its `JoinHandle`, and against the peer a Rust user writes today
//! for tasks that a component owns and cancels on stop ([`tracked`]).
//!
//! [`TaskHandle`]: ginkgo::TaskHandle

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use ginkgo::backends::TokioManager;
use ginkgo::{Context, ServiceHandle};
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::Mode;
use crate::cases::runtime::tokio_runtime;
use crate::cases::spawner::{Spawner, spawn_and_await};
use crate::measure::{Rounds, alternate};
use crate::report::{Row, Target, count};

/// The ratio Ginkgo must stay within, against the raw runtime.
pub const TARGET: f64 = 1.10;

/// The ratio Ginkgo must stay within, against the peer ([`tracked`]).
pub const PEER_TARGET: f64 = 1.0;

/// Runs the case: 1,000,000 tasks a round (200,000 in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let tasks = mode.pick(200_000, 1_000_000);
    let rounds = mode.pick(Rounds { warmup: 1, measured: 7 }, Rounds { warmup: 2, measured: 15 });
    let runtime = tokio_runtime();
    let service = ServiceHandle::new(Spawner).with_manager(TokioManager::with_handle(runtime.handle().clone()));
    runtime.block_on(service.start()).expect("the spawning service starts");
    let [paired] = alternate(rounds, || [ginkgo(&runtime, &service, tasks)], || [baseline(&runtime, tasks)]);
    let [peer] = alternate(rounds, || [ginkgo(&runtime, &service, tasks)], || [tracked(&runtime, tasks)]);
    runtime.block_on(service.stop()).expect("the spawning service stops");
    let [floor] = alternate(rounds, || [boxed(&runtime, tasks)], || [baseline(&runtime, tasks)]);
    vec![
        Row::new(format!("spawn + await, tokio (per task; {} a round)", count(tasks)), &paired, tasks, TARGET),
        Row::new("floor: a boxed future on tokio::spawn (per task)", &floor, tasks, TARGET).with_target(Target::Report),
        Row::new("spawn + await, tokio, against TaskTracker + CancellationToken (per task)", &peer, tasks, PEER_TARGET),
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

/// The peer: what a Rust user writes today for tasks that a component owns and cancels on stop,
/// with tokio-util. A [`TaskTracker`] spawns each task (so that a stop can wait for them), and
/// each task races its work against a clone of the component's [`CancellationToken`] (so that a
/// stop can end them); the loop is such a task too. Returns how long the loop took.
pub fn tracked(runtime: &Runtime, tasks: u64) -> Duration {
    let tracker = TaskTracker::new();
    let token = CancellationToken::new();
    let began = Instant::now();
    let driver = tracker.track_future({
        let (tracker, token) = (tracker.clone(), token.clone());
        async move {
            for _ in 0..tasks {
                let token = token.clone();
                let task = tracker.spawn(async move { token.run_until_cancelled_owned(async {}).await });
                task.await.expect("a trivial task ends cleanly").expect("nothing cancels it");
            }
        }
    });
    runtime.block_on(runtime.spawn(driver)).expect("the spawning task ends cleanly");
    let elapsed = began.elapsed();
    // The component's stop, not timed: nothing is left to cancel or wait for.
    token.cancel();
    tracker.close();
    runtime.block_on(tracker.wait());
    elapsed
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
        tracked(&runtime, 100);
        assert_eq!(service.live_tasks(), 0);
        runtime.block_on(service.stop()).unwrap();
    }
}
