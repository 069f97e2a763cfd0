//! Ginkgo's side of the spawn cases, the same code on every backend: a task of a running service
//! spawns trivial tasks through its [`Context`], one after the other, awaiting each.

use ginkgo::{Context, Service, TaskHandle};

/// A service that does nothing itself: the spawn cases spawn their tasks from its context.
pub struct Spawner;

impl Service for Spawner {}

/// Spawns, on `service`, a task that spawns `tasks` trivial tasks one at a time and awaits each
/// [`TaskHandle`]; the returned handle resolves when the last one has ended.
///
/// ```
/// use ginkgo::Backend;
/// use ginkgo_bench::cases::spawner::{Spawner, spawn_and_await};
///
/// let service = Backend::Threads.service(Spawner);
/// Backend::Threads.block_on(async {
///     service.start().await.unwrap();
///     spawn_and_await(&service, 3).await.unwrap();
///     service.stop().await.unwrap();
/// });
/// ```
pub fn spawn_and_await(service: &Context, tasks: u64) -> TaskHandle {
    service.spawn(move |ctx| async move {
        for _ in 0..tasks {
            ctx.spawn(|_| async { Ok(()) }).await?;
        }
        Ok(())
    })
}
