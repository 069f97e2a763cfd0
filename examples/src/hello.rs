//! `hello.HelloWorld`: the smallest useful service, printing `Hello World` every second.

use std::time::Duration;

use ginkgo::{BoxError, Context, Readiness, Service, async_trait};

/// Prints `Hello World` once a second until stopped.
pub struct HelloWorld;

#[async_trait]
impl Service for HelloWorld {
    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        ctx.spawn(|ctx| async move {
            loop {
                println!("Hello World");
                ctx.sleep(Duration::from_secs(1)).await?;
            }
        });
        Ok(Readiness::Ready)
    }
}
