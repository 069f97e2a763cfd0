//! `service.HelloWorld`: a configurable, logging hello world, for configuration and reloading.
//!
//! Run it with the example configuration, then edit `rate_per_minute` in the file and reload:
//!
//! ```text
//! $ ginkgo examples/service.conf.toml
//! $ ginkgoctl examples/service.conf.toml reload
//! ```

use std::time::Duration;

use ginkgo::{BoxError, Context, Readiness, Service, async_trait, setting};

setting!(pub static MESSAGE: String {
    name: "message",
    default: "Hello World".to_string(),
    help: "Message to print out while running",
});

setting!(pub static RATE: u32 {
    name: "rate_per_minute",
    default: 60,
    help: "Rate at which to emit message",
    range: 1..=60_000,
});

/// Logs [`MESSAGE`] [`RATE`] times a minute; both are read live, so a reload changes them
/// without a restart.
pub struct HelloWorld;

#[async_trait]
impl Service for HelloWorld {
    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        log::info!("Starting up!");
        ctx.spawn(|ctx| async move {
            loop {
                log::info!("{}", MESSAGE.get(ctx.config()));
                let rate = RATE.get(ctx.config()).max(1);
                ctx.sleep(Duration::from_secs_f64(60.0 / f64::from(rate))).await?;
            }
        });
        Ok(Readiness::Ready)
    }

    async fn do_stop(&self, _ctx: &Context) -> Result<(), BoxError> {
        log::info!("Goodbye.");
        Ok(())
    }
}
