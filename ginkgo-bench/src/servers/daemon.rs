//! The services of the `ginkgo-bench-daemon` command line, a `ginkgo` built with
//! `ginkgo_runner` as an application would build it.
//!
//! * [`IdleServer`] (`bench.IdleServer`): a `ginkgo::net::StreamServer` echoing on
//!   [`IDLE_ADDRESS`]; it prints [`LISTENING`] and its address once it listens. The stop case
//!   holds thousands of connections to it open, then sends the process SIGTERM.
//! * [`Hello`] (`bench.Hello`): the manual's hello world, for the time from process start to
//!   ready.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use ginkgo::net::StreamServer;
use ginkgo::{BoxError, Config, Context, Readiness, Service, ServiceHandle, async_trait, setting};

use super::LISTENING;
use super::handlers::echo_until_stopping;

/// The target name of [`IdleServer`].
pub const IDLE_SERVER: &str = "bench.IdleServer";

/// The target name of [`Hello`].
pub const HELLO: &str = "bench.Hello";

setting!(pub static IDLE_ADDRESS: String {
    name: "bench.idle_address",
    default: "127.0.0.1:0".to_string(),
    help: "Where bench.IdleServer listens (port 0: a free port)",
});

/// An echo server whose handlers end when the service stops: what a daemon holding many idle
/// connections runs.
pub struct IdleServer {
    server: ServiceHandle<StreamServer>,
}

impl IdleServer {
    /// The server on [`IDLE_ADDRESS`], as the process's configuration sets it.
    pub fn new() -> ServiceHandle<IdleServer> {
        let address = IDLE_ADDRESS.get(Config::current());
        ServiceHandle::build(|this| IdleServer {
            server: this.add_service(StreamServer::new(address, echo_until_stopping)),
        })
    }

    /// Where it listens, while it does.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.service().local_addr()
    }
}

#[async_trait]
impl Service for IdleServer {
    async fn do_start(&self, _ctx: &Context) -> Result<Readiness, BoxError> {
        // The server, a child, has started (and so listens) before this runs.
        let address = self.local_addr().ok_or("the echo server is not listening")?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{LISTENING}{address}")?;
        out.flush()?;
        Ok(Readiness::Ready)
    }
}

/// Prints `Hello World` once a second until stopped.
pub struct Hello;

#[async_trait]
impl Service for Hello {
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
