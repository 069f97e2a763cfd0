//! What the tests of `ginkgo::http::HttpServer` share: running a body on every async backend,
//! an axum app with a handler that waits to be released, and a client of HTTP/1.1 written by
//! hand over async-io's sockets (which work under every backend's runtime), plus hyper's HTTP/2
//! client on them.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State as Shared;
use axum::routing::get;
use futures::FutureExt;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use ginkgo::testing::{each_backend, within};
use ginkgo::{AsyncManager, Backend};
use tokio::sync::Notify;

pub(crate) use async_net::TcpStream;

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

/// A connection to `address`.
pub(crate) async fn connect(backend: Backend, address: SocketAddr) -> TcpStream {
    within(backend, "connect", TcpStream::connect(address)).await.expect("connect")
}

/// Sends `GET path` on `stream`, keeping the connection alive.
pub(crate) async fn request(stream: &mut TcpStream, path: &str) {
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes()).await.unwrap();
}

/// Reads one response with a `content-length` body: (status line, body).
pub(crate) async fn response(backend: Backend, stream: &mut TcpStream) -> (String, String) {
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
pub(crate) async fn ask(backend: Backend, stream: &mut TcpStream, path: &str) -> String {
    request(stream, path).await;
    let (status, body) = response(backend, stream).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    body
}

/// Waits until the server closes the connection (end of file, or a reset); true if it sent
/// nothing more before.
pub(crate) async fn closed(backend: Backend, stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    let _end_or_reset = within(backend, "close", stream.read_to_end(&mut rest)).await;
    rest.is_empty()
}

/// True if the server has neither sent anything nor closed: a look at this instant.
pub(crate) fn still_open(stream: &TcpStream) -> bool {
    let mut byte = [0; 1];
    stream.peek(&mut byte).now_or_never().is_none()
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
