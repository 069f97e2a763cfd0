//! `SmolWebServer`: the hello-world axum app on smol, served by Ginkgo or by hyper by hand.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use ginkgo::http::HttpServer;
use ginkgo::{Backend, ServiceHandle};
use hyper_util::server::conn::auto::Builder;
use smol::net::{TcpListener, TcpStream};
use smol_hyper::rt::{FuturesIo, SmolTimer};
use tower::ServiceExt;

use super::hello_app;

/// The HTTP/2 streams one connection may have in progress: `http.max_concurrent_streams`'s
/// default, which Ginkgo's side runs with.
const HTTP2_STREAMS: u32 = 100;

/// How often an HTTP/2 connection is pinged: `http.idle_timeout`'s default, as on Ginkgo's side.
const HTTP2_PING_INTERVAL: Duration = Duration::from_secs(75);

/// A server of [`hello_app`] on smol's executor, on 127.0.0.1 with a port of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmolWebServer {
    /// `ginkgo::http::HttpServer` hosting the app, on the smol backend.
    Ginkgo,
    /// The baseline: a smol accept loop handing each connection to hyper through smol-hyper's
    /// glue, with `hyper_util`'s builder (HTTP/1.1 and HTTP/2) set as Ginkgo's server sets it.
    Hyper,
}

/// A [`SmolWebServer`] listening, until it is stopped.
pub struct SmolRunning {
    address: SocketAddr,
    stop: SmolStop,
}

enum SmolStop {
    /// A Ginkgo service: its `stop()`.
    Service(ServiceHandle<HttpServer>),
    /// The accept loop: cancelled; its connections end when their clients close them.
    Cancel(smol::Task<()>),
}

impl SmolWebServer {
    /// How the table names it.
    pub fn label(self) -> &'static str {
        match self {
            SmolWebServer::Ginkgo => "ginkgo::http::HttpServer (smol)",
            SmolWebServer::Hyper => "hyper on smol, by hand",
        }
    }

    /// Starts the server on smol's global executor, listening on a free port of 127.0.0.1.
    ///
    /// # Panics
    ///
    /// If the server cannot listen.
    pub fn start(self) -> SmolRunning {
        match self {
            SmolWebServer::Ginkgo => {
                let server = Backend::Smol.service(HttpServer::new("127.0.0.1:0", hello_app()));
                smol::block_on(server.start()).expect("the web server starts");
                let address = server.service().local_addr().expect("the web server listens");
                SmolRunning { address, stop: SmolStop::Service(server) }
            }
            SmolWebServer::Hyper => {
                let listener = smol::block_on(TcpListener::bind("127.0.0.1:0")).expect("the web server listens");
                let address = listener.local_addr().expect("the web server's address");
                let app = hello_app();
                let accepting = smol::spawn(async move {
                    loop {
                        if let Ok((stream, _)) = listener.accept().await {
                            smol::spawn(serve(stream, app.clone())).detach();
                        }
                    }
                });
                SmolRunning { address, stop: SmolStop::Cancel(accepting) }
            }
        }
    }
}

impl SmolRunning {
    /// Where the server listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops the server.
    ///
    /// # Panics
    ///
    /// If the server fails to stop.
    pub fn stop(self) {
        match self.stop {
            SmolStop::Service(server) => smol::block_on(server.stop()).expect("the server stops"),
            SmolStop::Cancel(accepting) => drop(smol::block_on(accepting.cancel())),
        }
    }
}

/// Serves one connection with hyper until it closes, as a smol user writes it: smol-hyper's
/// glue, and the `hyper_util` builder set as Ginkgo's server sets it.
async fn serve(stream: TcpStream, app: Router) {
    let service = hyper::service::service_fn(move |request| app.clone().oneshot(request));
    let mut builder = Builder::new(SmolExecutor);
    // Ginkgo's settings: no header read timeout of hyper's (Ginkgo keeps its own), HTTP/2 with
    // a timer, at most 100 streams at once, and a ping every 75 s (`http.idle_timeout`).
    builder.http1().header_read_timeout(None);
    builder
        .http2()
        .timer(SmolTimer::new())
        .max_concurrent_streams(HTTP2_STREAMS)
        .keep_alive_interval(HTTP2_PING_INTERVAL);
    let _closed_or_failed = builder.serve_connection(FuturesIo::new(stream), service).await;
}

/// hyper's executor: smol's global one, where the connections run too. (smol-hyper's own
/// `SmolExecutor` wants an `async_executor::Executor` to hold, which smol's global one is not.)
#[derive(Clone, Copy)]
struct SmolExecutor;

impl<F> hyper::rt::Executor<F> for SmolExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        smol::spawn(future).detach();
    }
}
