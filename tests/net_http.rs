//! `ginkgo::http::HttpServer` over real sockets on 127.0.0.1 (and one Unix socket): an axum app
//! over HTTP/1.1 and HTTP/2, and what a stop does to requests in flight, idle connections and
//! endless bodies.
#![cfg(feature = "http")]

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State as Shared;
use axum::routing::get;
use bytes::Bytes;
use futures::future::{Either, join, select};
use ginkgo::http::HttpServer;
use ginkgo::{Backend, ErrorKind, ServiceHandle, State};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// A bound on every wait: far above what a passing run needs, it only turns a hang into a
/// failure.
const DEADLINE: Duration = Duration::from_secs(20);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(DEADLINE, future).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: still not done after {DEADLINE:?}"),
    }
}

/// Runs `body` on the tokio backend.
fn on_tokio<F: Future<Output = ()>>(body: impl FnOnce() -> F) {
    Backend::Tokio.block_on(body());
}

/// The handler of `/slow` says it has begun through `entered`, then waits for `release`.
#[derive(Default)]
struct Gates {
    entered: Notify,
    release: Notify,
}

fn app(gates: Arc<Gates>) -> Router {
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
        .route(
            "/stream",
            get(|| async {
                let first = futures::stream::once(async { Ok::<_, Infallible>(Bytes::from("first\n")) });
                Body::from_stream(futures::StreamExt::chain(first, futures::stream::pending()))
            }),
        )
        .route(
            "/panic",
            get(|| async {
                panic!("asked to panic");
                #[allow(unreachable_code)]
                ""
            }),
        )
        .with_state(gates)
}

async fn started(stop_timeout: Duration) -> (ServiceHandle<HttpServer>, Arc<Gates>, std::net::SocketAddr) {
    let gates = Arc::new(Gates::default());
    let server = HttpServer::new("127.0.0.1:0", app(gates.clone())).with_stop_timeout(stop_timeout);
    let server = Backend::Tokio.service(server);
    within("start", server.start()).await.unwrap();
    let address = server.service().local_addr().expect("listening");
    (server, gates, address)
}

async fn send(address: std::net::SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes()).await.unwrap();
    stream
}

/// Reads one response with a `content-length` body: (status line, body).
async fn response(stream: &mut TcpStream) -> (String, String) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = within("response head", stream.read_u8()).await.expect("a response");
        head.push(byte);
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
    within("response body", stream.read_exact(&mut body)).await.unwrap();
    (head.lines().next().unwrap().to_string(), String::from_utf8(body).unwrap())
}

/// Waits until the server closes the connection (end of file, or a reset); true if it sent
/// nothing more before.
async fn closed(stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    let _end_or_reset = within("close", stream.read_to_end(&mut rest)).await;
    rest.is_empty()
}

async fn until(what: &str, done: impl Fn() -> bool) {
    within(what, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await;
}

#[test]
fn an_axum_app_is_served_over_http1_and_http2() {
    on_tokio(|| async {
        let (server, _gates, address) = started(Duration::from_secs(1)).await;
        assert_eq!(address.ip().to_string(), "127.0.0.1");
        assert_ne!(address.port(), 0);

        let mut h1 = send(address, "/").await;
        assert_eq!(response(&mut h1).await, ("HTTP/1.1 200 OK".to_string(), "hello".to_string()));

        // HTTP/2 with prior knowledge, on the same port.
        let stream = TcpStream::connect(address).await.unwrap();
        let (mut h2, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await.unwrap();
        let connection = tokio::spawn(connection);
        let request = http::Request::get("http://test/").body(Empty::<Bytes>::new()).unwrap();
        let answer = within("h2 request", h2.send_request(request)).await.unwrap();
        assert_eq!(answer.version(), http::Version::HTTP_2);
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.into_body().collect().await.unwrap().to_bytes(), "hello");
        assert_eq!(server.gauge("connections").get(), 2);

        // An idle HTTP/2 connection is told to go away at the stop.
        within("stop", server.stop()).await.unwrap();
        within("h2 connection end", connection).await.unwrap().unwrap();
        assert!(closed(&mut h1).await);
        assert_eq!(server.gauge("connections").get(), 0);
        assert_eq!(server.live_tasks(), 0);
        assert!(TcpStream::connect(address).await.is_err(), "nothing listens after the stop");
    });
}

#[test]
fn stop_lets_a_request_in_flight_finish() {
    on_tokio(|| async {
        let (server, gates, address) = started(Duration::from_secs(30)).await;
        let mut client = send(address, "/slow").await;
        within("handler entered", gates.entered.notified()).await;
        let release = async {
            server.wait_state(DEADLINE, |s| s == State::Stopping).await.unwrap();
            // Stopping has begun, and the request is still being answered.
            gates.release.notify_one();
        };
        let (stopped, ()) = within("stop", join(server.stop(), release)).await;
        stopped.unwrap();
        assert_eq!(response(&mut client).await, ("HTTP/1.1 200 OK".to_string(), "done".to_string()));
        assert!(closed(&mut client).await);
    });
}

#[test]
fn stop_closes_idle_keep_alive_connections_at_once() {
    on_tokio(|| async {
        // With a long stop_timeout, a stop that waited for the idle connections would miss the
        // test's deadline.
        let (server, _gates, address) = started(Duration::from_secs(60)).await;
        let mut idle = send(address, "/").await;
        assert_eq!(response(&mut idle).await.1, "hello");
        let mut silent = TcpStream::connect(address).await.unwrap();
        until("both connections open", || server.gauge("connections").get() == 2).await;
        within("stop", server.stop()).await.unwrap();
        assert!(closed(&mut idle).await);
        assert!(closed(&mut silent).await);
        assert_eq!(server.gauge("connections").get(), 0);
    });
}

#[test]
fn stop_cuts_an_endless_body_at_stop_timeout() {
    on_tokio(|| async {
        let stop_timeout = Duration::from_millis(200);
        let (server, _gates, address) = started(stop_timeout).await;
        let mut client = send(address, "/stream").await;
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("first\n") {
            let mut chunk = [0; 256];
            let n = within("first chunk", client.read(&mut chunk)).await.unwrap();
            assert_ne!(n, 0, "the stream ended early");
            seen.extend_from_slice(&chunk[..n]);
        }
        let begun = std::time::Instant::now();
        within("stop", server.stop()).await.unwrap();
        assert!(begun.elapsed() >= stop_timeout, "cut only at stop_timeout");
        assert_eq!(server.live_tasks(), 0);
        let mut rest = Vec::new();
        let _ = within("cut", client.read_to_end(&mut rest)).await;
        assert!(!String::from_utf8_lossy(&rest).contains("0\r\n\r\n"), "cut, not ended: {rest:?}");
    });
}

#[test]
fn a_panicking_request_closes_only_its_connection() {
    on_tokio(|| async {
        let (server, _gates, address) = started(Duration::from_secs(1)).await;
        let mut doomed = send(address, "/panic").await;
        assert!(closed(&mut doomed).await);
        assert_eq!(server.state(), State::Ready);
        let mut next = send(address, "/").await;
        assert_eq!(response(&mut next).await.1, "hello");
        drop(next);
        until("connections closed", || server.gauge("connections").get() == 0).await;
        within("stop", server.stop()).await.unwrap();
        assert_eq!(server.state(), State::Stopped);
    });
}

#[test]
fn an_axum_app_is_served_over_a_unix_socket() {
    on_tokio(|| async {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("app.sock");
        let server = HttpServer::new(format!("unix:{}", path.display()), app(Arc::new(Gates::default())))
            .with_unix_socket_mode(0o600);
        let server = Backend::Tokio.service(server);
        within("start", server.start()).await.unwrap();
        assert_eq!(server.service().local_path(), Some(path.clone()));
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions()) & 0o777,
            0o600
        );
        let mut stream = tokio::net::UnixStream::connect(&path).await.unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        within("the answer", stream.read_to_string(&mut answer)).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\nhello"), "{answer}");
        within("stop", server.stop()).await.unwrap();
        assert!(!path.exists(), "the socket's file is removed at the stop");
    });
}

#[test]
fn a_port_in_use_fails_the_start_naming_the_address() {
    on_tokio(|| async {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap();
        let server = Backend::Tokio.service(HttpServer::new(address, app(Arc::default())));
        let err = within("start", server.start()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StartFailed);
        assert!(
            err.chain().to_string().starts_with(&format!("HttpServer: do_start failed: cannot listen on {address}: ")),
            "{}",
            err.chain()
        );
        assert_eq!(server.state(), State::Failed);
    });
}

#[cfg(feature = "smol")]
#[test]
fn the_http_server_refuses_other_backends() {
    let backend = Backend::Smol;
    backend.block_on(async {
        let server = backend.service(HttpServer::new("127.0.0.1:0", app(Arc::default())));
        let wait = backend.manager().sleep(DEADLINE);
        let err = match select(std::pin::pin!(server.start()), wait).await {
            Either::Left((started, _)) => started.unwrap_err(),
            Either::Right(_) => panic!("start: still not done"),
        };
        assert_eq!(
            err.chain().to_string(),
            "HttpServer: do_start failed: ginkgo_tokio::HttpServer runs only on the tokio backend, not on `smol`"
        );
    });
}
