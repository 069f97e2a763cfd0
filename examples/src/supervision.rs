//! `supervision`: a service tree that heals itself (the guide's chapter "Supervision").
//!
//! [`Relay`] passes on what an upstream sends, and the upstream drops the connection now and
//! then. Its child [`Upstream`] is permanent: each time the connection drops, the relay restarts
//! it, after a backoff, at most as often as [`INTENSITY`] allows. Its child [`Reporter`] is
//! temporary: it prints the relay's snapshot (restarts and last failure included) every
//! [`REPORT_EVERY`] seconds; if it failed (say, its output were closed), the relay would run on
//! without it.
//!
//! ```text
//! $ cargo run -p ginkgo-examples --bin ginkgo -- supervision.Relay    # with the runner's log
//! $ cargo run -p ginkgo-examples --example supervision [BACKEND]      # the reports only
//! ```

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ginkgo::{
    BoxError, Context, Intensity, Readiness, Restart, Service, ServiceHandle, Strategy, async_trait, setting,
};

setting!(pub static DROP_AFTER: f64 {
    name: "supervision.drop_after",
    default: 3.0,
    help: "Seconds the upstream keeps a connection before it drops it",
    range: 0.001..=86_400.0,
});

setting!(pub static REPORT_EVERY: f64 {
    name: "supervision.report_every",
    default: 2.0,
    help: "Seconds between two reports of the relay's snapshot",
    range: 0.001..=86_400.0,
});

setting!(pub static INTENSITY: Intensity {
    name: "supervision.intensity",
    default: Intensity::default(),
    help: "How often the relay may restart the upstream: a table of restarts, period\n(seconds) and backoff (initial_delay, max_delay, factor, jitter)",
});

/// Where the reports go.
pub type Output = Arc<Mutex<dyn Write + Send>>;

/// Passes on what its upstream sends; restarts the upstream each time it drops the connection.
///
/// ```no_run
/// use ginkgo::Backend;
/// use ginkgo_examples::supervision::Relay;
///
/// Backend::default().serve_forever(Relay::new())?;
/// # Ok::<(), ginkgo::Error>(())
/// ```
pub struct Relay {
    upstream: ServiceHandle<Upstream>,
}

impl Relay {
    /// A relay reporting on standard output.
    pub fn new() -> ServiceHandle<Relay> {
        Relay::with_output(Arc::new(Mutex::new(std::io::stdout())))
    }

    /// A relay reporting to `output`.
    pub fn with_output(output: Output) -> ServiceHandle<Relay> {
        ServiceHandle::build(|this| {
            let upstream = this.add_supervised(Upstream::default(), Restart::Permanent);
            this.add_supervised(Reporter { output }, Restart::Temporary);
            Relay { upstream }
        })
    }

    /// The upstream child.
    pub fn upstream(&self) -> &ServiceHandle<Upstream> {
        &self.upstream
    }

    /// Reads [`INTENSITY`] into the relay's supervision: at the start, and again on reload.
    fn supervise(ctx: &Context) {
        ctx.supervise(Strategy::OneForOne, INTENSITY.get(ctx.config()));
    }
}

#[async_trait]
impl Service for Relay {
    /// Its `do_start` states how it supervises, so it runs before the children start.
    fn start_before(&self) -> bool {
        true
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        Relay::supervise(ctx);
        Ok(Readiness::Ready)
    }

    async fn do_reload(&self, ctx: &Context) -> Result<(), BoxError> {
        Relay::supervise(ctx);
        Ok(())
    }
}

/// A connection to an upstream that drops after [`DROP_AFTER`] seconds: its task then fails,
/// which fails this service, and its parent restarts it.
#[derive(Default)]
pub struct Upstream {
    connections: AtomicU64,
}

impl Upstream {
    /// How many connections it has made, over all its runs.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Service for Upstream {
    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let connection = self.connections.fetch_add(1, Ordering::SeqCst) + 1;
        log::info!("connected to the upstream (connection {connection})");
        let lasts = Duration::from_secs_f64(DROP_AFTER.get(ctx.config()));
        ctx.spawn(move |ctx| async move {
            ctx.sleep(lasts).await?;
            Err(format!("connection {connection} reset by the upstream").into())
        });
        Ok(Readiness::Ready)
    }
}

/// Prints its parent's snapshot every [`REPORT_EVERY`] seconds, the first time once that much
/// has passed: a report that fails then fails this service alone, while a failure during its
/// start would fail its parent's start (see the guide's chapter on supervision).
pub struct Reporter {
    output: Output,
}

#[async_trait]
impl Service for Reporter {
    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let output = self.output.clone();
        ctx.spawn(move |ctx| async move {
            let every = Duration::from_secs_f64(REPORT_EVERY.get(ctx.config()));
            let relay = ctx.parent().ok_or("the reporter reports on its parent")?;
            loop {
                ctx.sleep(every).await?;
                writeln!(output.lock().unwrap_or_else(|e| e.into_inner()), "{}", relay.snapshot())?;
            }
        });
        Ok(Readiness::Ready)
    }
}
