//! The `Service` trait: what a user implements.

use std::time::Duration;

use async_trait::async_trait;

use crate::{BoxError, Context};

/// What `do_start` reports: ready now, or ready later through [`Context::set_ready`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// The service is ready as soon as `do_start` returns.
    Ready,
    /// The service becomes ready when something calls [`Context::set_ready`].
    NotReady,
}

/// A component of a daemon that starts, stops and reloads, owns the tasks it spawns, and
/// contains child services.
///
/// Implement the hooks you need; each has an empty default. The framework calls them from
/// [`Context::start`], [`Context::stop`] and [`Context::reload`], which also drive the children
/// and the tasks, so a hook only does what is particular to this service.
///
/// # Life cycle
///
/// A service goes through the [`State`](crate::State)s `init → starting → ready → stopping →
/// stopped` (or `failed`), and a stopped or failed service can be started again.
///
/// * **Start**: the service's [`AsyncManager`](crate::AsyncManager) first (so tasks can be
///   spawned), then the children in the order they were added, then `do_start`. With
///   [`start_before`](Service::start_before) `do_start` runs before the children. The start fails
///   if a child fails, if `do_start` errs or panics, or if the service is not ready within
///   [`start_timeout`](Service::start_timeout); what had been started is then stopped again, in
///   reverse order, and the error names the service's path in the tree.
/// * **Stop**: the children, last added first; then the service's own tasks (they are told to
///   stop, given [`stop_timeout`](Service::stop_timeout) to finish, then cancelled); then
///   `do_stop`, which runs only if the service had become ready.
/// * **Reload**: the children in order, then `do_reload` (reversed with `start_before`).
///
/// # Tasks
///
/// A service does its work in tasks spawned through its [`Context`]: [`Context::spawn`],
/// [`Context::spawn_later`], [`Context::spawn_blocking`]. They belong to the service and never
/// outlive it. A task that fails or panics fails its service; by default the failure travels up
/// to the root, which stops the whole tree in order, and [`Context::serve_forever`] returns it.
/// A parent that supervises a child ([`Context::add_supervised`]) stops the failure there, and
/// restarts that child or leaves it down, by its [`Restart`](crate::Restart) policy.
///
/// # Why the manager is a service
///
/// Spawning, sleeping and the ending of tasks go through the service's [`AsyncManager`](crate::AsyncManager), which
/// is itself a service: it starts before every other child and stops after them, so hooks can
/// always spawn, and a service's tasks are ended right before its own `do_stop`. The backend
/// (tokio, async-std, smol or OS threads) is chosen by which manager the root is given; children
/// inherit it.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use ginkgo::{async_trait, BoxError, Context, Readiness, Service};
///
/// struct Ticker;
///
/// #[async_trait]
/// impl Service for Ticker {
///     async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
///         ctx.spawn(|ctx| async move {
///             loop {
///                 log::info!("tick");
///                 ctx.sleep(Duration::from_secs(1)).await?;
///             }
///         });
///         Ok(Readiness::Ready)
///     }
/// }
///
/// let ticker = ginkgo_core::ServiceHandle::new(Ticker);
/// assert_eq!(ticker.name(), "Ticker");
/// ```
#[async_trait]
pub trait Service: Send + Sync + 'static {
    /// The service's name in the tree and in logs; its type name by default.
    fn name(&self) -> String {
        short_type_name(std::any::type_name::<Self>())
    }

    /// Run `do_start` before the children start (and `do_reload` before theirs). Default false.
    fn start_before(&self) -> bool {
        false
    }

    /// How long a start may take to reach `ready`, `do_start` included. Default 2 s.
    fn start_timeout(&self) -> Duration {
        Duration::from_secs(2)
    }

    /// How long the service's tasks get to finish after being told to stop, before they are
    /// cancelled; also the bound on `do_stop`. Default 1 s.
    fn stop_timeout(&self) -> Duration {
        Duration::from_secs(1)
    }

    /// Starts the service: bind, connect, spawn. Runs after the children have started (before,
    /// with `start_before`). Return [`Readiness::NotReady`] to become ready later through
    /// [`Context::set_ready`].
    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let _ = ctx;
        Ok(Readiness::Ready)
    }

    /// Cleans up after the children have stopped and the service's tasks have ended. Runs only
    /// if the service had become ready.
    async fn do_stop(&self, ctx: &Context) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }

    /// Applies new configuration or state while running; called on reload (SIGHUP under the
    /// runner).
    async fn do_reload(&self, ctx: &Context) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }
}

/// `my_crate::module::Server<T>` → `Server`.
pub(crate) fn short_type_name(full: &str) -> String {
    let base = full.split('<').next().unwrap_or(full);
    // A path's separator is `::`, and a name has no `:` of its own: splitting at the last `:`
    // is the same, and a byte search instead of a substring search.
    base.rsplit(':').next().unwrap_or(base).to_string()
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn short_type_name_drops_the_module_path_and_generics() {
        assert_eq!(short_type_name("a::b::HelloWorld"), "HelloWorld");
        assert_eq!(short_type_name("a::Server<a::Handler<u8>>"), "Server");
        assert_eq!(short_type_name("Plain"), "Plain");
    }
}
