//! `EchoServer`: the echo servers compared, by name.

use std::net::SocketAddr;

use ginkgo::ServiceHandle;
use ginkgo::backends::TokioManager;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

use super::Running;
use super::handlers::{echo, echo_connection};

/// An echo server, on 127.0.0.1 with a port of its own, serving [`echo`] on every connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoServer {
    /// `ginkgo::net::StreamServer` on the tokio backend: what the manual's servers use. Its
    /// handler gets a `ginkgo::net::Connection`.
    GinkgoNet,
    /// `ginkgo_tokio::StreamServer`: the same server over tokio's sockets alone, whose handler
    /// gets tokio's stream (`ginkgo_tokio::Stream`: the baseline's `TcpStream`, or a Unix one).
    GinkgoTokio,
    /// The baseline: a tokio accept loop that spawns the handler for each connection.
    HandWritten,
}

impl EchoServer {
    /// Every echo server, Ginkgo's first.
    pub const ALL: [EchoServer; 3] = [EchoServer::GinkgoNet, EchoServer::GinkgoTokio, EchoServer::HandWritten];

    /// The name `ginkgo-bench-server` takes: `ginkgo-net`, `ginkgo-tokio` or `tokio`.
    pub fn name(self) -> &'static str {
        match self {
            EchoServer::GinkgoNet => "ginkgo-net",
            EchoServer::GinkgoTokio => "ginkgo-tokio",
            EchoServer::HandWritten => "tokio",
        }
    }

    /// The server called `name`.
    ///
    /// ```
    /// use ginkgo_bench::servers::EchoServer;
    ///
    /// assert_eq!(EchoServer::from_name("ginkgo-tokio"), Some(EchoServer::GinkgoTokio));
    /// assert_eq!(EchoServer::from_name("nginx"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<EchoServer> {
        EchoServer::ALL.into_iter().find(|server| server.name() == name)
    }

    /// How the table names it.
    pub fn label(self) -> &'static str {
        match self {
            EchoServer::GinkgoNet => "ginkgo::net::StreamServer",
            EchoServer::GinkgoTokio => "ginkgo_tokio::StreamServer",
            EchoServer::HandWritten => "hand-written tokio accept loop",
        }
    }

    /// Starts the server on `runtime`, listening on a free port of 127.0.0.1.
    ///
    /// # Panics
    ///
    /// If the server cannot listen.
    pub fn start(self, runtime: &Runtime) -> Running {
        let manager = || TokioManager::with_handle(runtime.handle().clone());
        match self {
            EchoServer::GinkgoNet => {
                let server = ginkgo::net::StreamServer::new("127.0.0.1:0", |connection, _ctx| async move {
                    Ok(echo_connection(connection).await?)
                });
                let server = ServiceHandle::new(server).with_manager(manager());
                runtime.block_on(server.start()).expect("the echo server starts");
                let address = server.service().local_addr().expect("the echo server listens");
                Running::service(address, server.context().clone())
            }
            EchoServer::GinkgoTokio => {
                let server = ginkgo_tokio::StreamServer::new("127.0.0.1:0", |mut connection, _ctx| async move {
                    Ok(echo(&mut *connection).await?)
                });
                let server = ServiceHandle::new(server).with_manager(manager());
                runtime.block_on(server.start()).expect("the echo server starts");
                let address = server.service().local_addr().expect("the echo server listens");
                Running::service(address, server.context().clone())
            }
            EchoServer::HandWritten => {
                let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).expect("the echo server listens");
                let address: SocketAddr = listener.local_addr().expect("the echo server's address");
                Running::task(address, runtime.spawn(accept_loop(listener)))
            }
        }
    }
}

/// The baseline's server: accepts connections for ever and spawns the handler for each. A
/// failed accept (out of file descriptors, say) is reported and tried again a little later.
async fn accept_loop(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                tokio::spawn(async move {
                    let _ = echo(stream).await;
                });
            }
            Err(err) => {
                eprintln!("accepting a connection failed: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}
