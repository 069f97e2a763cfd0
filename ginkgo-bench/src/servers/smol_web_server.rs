//! `SmolWebServer`: the hello-world axum app on smol, served by Ginkgo or by hyper by hand.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::io::{AsyncRead, AsyncWrite};
use ginkgo::http::HttpServer;
use ginkgo::{Backend, ServiceHandle};
use hyper::rt::ReadBufCursor;
use hyper_util::server::conn::auto::Builder;
use smol::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use super::hello_app;

/// A server of [`hello_app`] on smol's executor, on 127.0.0.1 with a port of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmolWebServer {
    /// `ginkgo::http::HttpServer` hosting the app, on the smol backend.
    Ginkgo,
    /// The baseline: a smol accept loop handing each connection to hyper (the same
    /// `hyper_util` builder, HTTP/1.1 and HTTP/2) through glue of its own (smol-hyper style, in safe code).
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
                let accepting = smol::spawn(async move {
                    loop {
                        if let Ok((stream, _)) = listener.accept().await {
                            smol::spawn(serve(stream)).detach();
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

/// Serves one connection with hyper until it closes, as a smol-hyper user would.
async fn serve(stream: TcpStream) {
    let app = hello_app();
    let service = hyper::service::service_fn(move |request| app.clone().oneshot(request));
    let mut builder = Builder::new(SmolExecutor);
    // Like Ginkgo's server: no hyper timer, so no header read timeout of hyper's.
    builder.http1().header_read_timeout(None);
    let _closed_or_failed = builder.serve_connection(SmolIo::new(stream), service).await;
}

/// hyper's executor: smol's global one.
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

/// smol's stream as hyper reads and writes it: smol-hyper's `FuturesIo`, in safe code. hyper
/// hands reads a buffer that may be uninitialized, which `futures::io` cannot fill without
/// `unsafe` (smol-hyper zeroes it at every read through a raw pointer); so each read lands in a
/// buffer of the connection's, zeroed once, and is copied into hyper's.
struct SmolIo {
    stream: TcpStream,
    landing: Box<[u8]>,
}

impl SmolIo {
    fn new(stream: TcpStream) -> Self {
        SmolIo { stream, landing: vec![0; 16 * 1024].into_boxed_slice() }
    }
}

impl hyper::rt::Read for SmolIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, mut buf: ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let wanted = buf.remaining().min(this.landing.len());
        let read = ready!(Pin::new(&mut this.stream).poll_read(cx, &mut this.landing[..wanted]))?;
        buf.put_slice(&this.landing[..read]);
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for SmolIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_close(cx)
    }
}
