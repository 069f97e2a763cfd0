//! What the tests of `ginkgo::http::HttpServer` share: running a body on every async backend,
//! over TCP and over a Unix socket; an axum app with a handler that waits to be released; and a
//! client of HTTP/1.1 written by hand over async-io's sockets (which work under every backend's
//! runtime), plus hyper's HTTP/2 client on them.

#![allow(dead_code)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::State as Shared;
use axum::routing::get;
use futures::FutureExt;
use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use ginkgo::http::HttpServer;
use ginkgo::testing::{each_backend, within};
use ginkgo::{AsyncManager, Backend};
use tempfile::TempDir;
use tokio::sync::Notify;

/// Runs `body` once on every async backend compiled in (tokio, smol, async-std): those an
/// `HttpServer` runs on. The threads backend, where its start fails, has tests of its own.
pub(crate) fn each_async_backend<F, Fut>(body: F)
where
    F: Fn(Backend) -> Fut,
    Fut: Future<Output = ()>,
{
    each_backend(|backend| {
        let run = (backend.name() != "threads").then(|| body(backend));
        async move {
            if let Some(run) = run {
                run.await;
            }
        }
    });
}

/// Runs `body` on every async backend, twice: with a server listening on TCP, then on a Unix
/// socket.
pub(crate) fn each_async_backend_and_socket<F, Fut>(body: F)
where
    F: Fn(Backend, Socket) -> Fut,
    Fut: Future<Output = ()>,
{
    each_async_backend(|backend| {
        let (tcp, unix) = (body(backend, Socket::tcp()), body(backend, Socket::unix()));
        async move {
            tcp.await;
            unix.await;
        }
    });
}

/// Where a test's server listens: `127.0.0.1:0`, or a socket in a scratch folder of its own.
pub(crate) struct Socket {
    address: String,
    folder: Option<TempDir>,
}

impl Socket {
    pub(crate) fn tcp() -> Socket {
        Socket { address: "127.0.0.1:0".to_string(), folder: None }
    }

    pub(crate) fn unix() -> Socket {
        let folder = tempfile::tempdir().unwrap();
        let address = format!("unix:{}", folder.path().join("http.sock").display());
        Socket { address, folder: Some(folder) }
    }

    /// The address to give the server.
    pub(crate) fn address(&self) -> &str {
        &self.address
    }

    /// `Tcp` or `Unix`: what tells two runs of a test apart in the names of their services.
    pub(crate) fn kind(&self) -> &'static str {
        if self.folder.is_some() { "Unix" } else { "Tcp" }
    }
}

/// Where a started server can be reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl Endpoint {
    /// Where `server` listens.
    pub(crate) fn of(server: &HttpServer) -> Endpoint {
        match (server.local_addr(), server.local_path()) {
            (Some(address), _) => Endpoint::Tcp(address),
            (None, Some(path)) => Endpoint::Unix(path),
            (None, None) => panic!("the server does not listen"),
        }
    }

    /// A new connection, or why there is none.
    pub(crate) async fn try_connect(&self) -> io::Result<Client> {
        Ok(match self {
            Endpoint::Tcp(address) => Client::Tcp(async_net::TcpStream::connect(address).await?),
            Endpoint::Unix(path) => Client::Unix(async_net::unix::UnixStream::connect(path).await?),
        })
    }

    /// True if a connection is refused at this instant (nothing listens).
    pub(crate) fn refuses(&self) -> bool {
        match self {
            Endpoint::Tcp(address) => std::net::TcpStream::connect(address).is_err(),
            Endpoint::Unix(path) => std::os::unix::net::UnixStream::connect(path).is_err(),
        }
    }
}

/// A client's connection, over TCP or a Unix socket; clones share it.
#[derive(Clone)]
pub(crate) enum Client {
    Tcp(async_net::TcpStream),
    Unix(async_net::unix::UnixStream),
}

impl AsyncRead for Client {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Client::Tcp(stream) => Pin::new(stream).poll_read(cx, buf),
            Client::Unix(stream) => Pin::new(stream).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Client {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Client::Tcp(stream) => Pin::new(stream).poll_write(cx, buf),
            Client::Unix(stream) => Pin::new(stream).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Client::Tcp(stream) => Pin::new(stream).poll_flush(cx),
            Client::Unix(stream) => Pin::new(stream).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Client::Tcp(stream) => Pin::new(stream).poll_close(cx),
            Client::Unix(stream) => Pin::new(stream).poll_close(cx),
        }
    }
}

/// The handler of `/slow` says it has begun through `entered`, then waits for `release`.
#[derive(Default)]
pub(crate) struct Gates {
    pub(crate) entered: Notify,
    pub(crate) release: Notify,
}

/// `/`: `hello`; `/slow`: `done`, once released through `gates`.
pub(crate) fn app(gates: Arc<Gates>) -> Router {
    Router::new()
        .route("/", get(|| async { "hello" }))
        .route(
            "/slow",
            get(|Shared(gates): Shared<Arc<Gates>>| async move {
                gates.entered.notify_one();
                gates.release.notified().await;
                "done"
            }),
        )
        .with_state(gates)
}

/// A connection to `endpoint`.
pub(crate) async fn connect(backend: Backend, endpoint: &Endpoint) -> Client {
    within(backend, "connect", endpoint.try_connect()).await.expect("connect")
}

/// Sends `GET path` on `stream`, keeping the connection alive.
pub(crate) async fn request(stream: &mut Client, path: &str) {
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes()).await.unwrap();
}

/// Reads one response with a `content-length` body: (status line, body).
pub(crate) async fn response(backend: Backend, stream: &mut Client) -> (String, String) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0; 1];
        within(backend, "response head", stream.read_exact(&mut byte)).await.expect("a response");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_string))
        .expect("content-length")
        .trim()
        .parse()
        .unwrap();
    let mut body = vec![0; length];
    within(backend, "response body", stream.read_exact(&mut body)).await.unwrap();
    (head.lines().next().unwrap().to_string(), String::from_utf8(body).unwrap())
}

/// Sends `GET path` and reads the response, which must be a `200 OK`: its body.
pub(crate) async fn ask(backend: Backend, stream: &mut Client, path: &str) -> String {
    request(stream, path).await;
    let (status, body) = response(backend, stream).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    body
}

/// Waits until the server closes the connection (end of file, or a reset); true if it sent
/// nothing more before.
pub(crate) async fn closed(backend: Backend, stream: &mut Client) -> bool {
    let mut rest = Vec::new();
    let _end_or_reset = within(backend, "close", stream.read_to_end(&mut rest)).await;
    rest.is_empty()
}

/// True if the server has neither sent anything nor closed: a look at this instant (which
/// takes a byte, had one come).
pub(crate) fn still_open(stream: &mut Client) -> bool {
    let mut byte = [0; 1];
    stream.read(&mut byte).now_or_never().is_none()
}

/// hyper's executor for its clients' connections: tasks of the backend's runtime.
#[derive(Clone)]
pub(crate) struct Spawner(pub(crate) Arc<dyn AsyncManager>);

impl<F: Future<Output = ()> + Send + 'static> hyper::rt::Executor<F> for Spawner {
    fn execute(&self, future: F) {
        self.0.spawn(Box::pin(future));
    }
}

/// Runs `future` as a task of `backend`'s runtime; its output, once it is done.
pub(crate) fn spawn<T: Send + 'static>(
    backend: Backend,
    future: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = T> {
    let (task, output) = future.remote_handle();
    backend.manager().spawn(Box::pin(task));
    output
}
