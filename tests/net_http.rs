//! `ginkgo::http::HttpServer` over real sockets, TCP on 127.0.0.1 and Unix sockets, on each
//! async backend (tokio, smol, async-std): an axum app over HTTP/1.1 and HTTP/2, and what a stop
//! does to requests in flight, new clients, idle connections and endless bodies; on the threads
//! backend, a start that fails naming the backends it runs on.
#![cfg(feature = "http")]

mod http_support;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use bytes::Bytes;
use futures::future::join;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use ginkgo::http::HttpServer;
use ginkgo::testing::{DEADLINE, each_backend, until, within};
use ginkgo::{Backend, ErrorKind, ServiceHandle, State};
use ginkgo_core::net::backend::HyperIo;
use http_body_util::{BodyExt, Empty};
use http_support::{
    Client, Endpoint, Gates, Socket, Spawner, closed, connect, each_async_backend, each_async_backend_and_socket,
    request, response, spawn,
};

/// The support module's app, and `/stream`, an endless body, and `/panic`.
fn app(gates: Arc<Gates>) -> Router {
    http_support::app(gates)
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
}

async fn started(
    backend: Backend,
    socket: &Socket,
    stop_timeout: Duration,
) -> (ServiceHandle<HttpServer>, Arc<Gates>, Endpoint) {
    let gates = Arc::new(Gates::default());
    let server = HttpServer::new(socket.address(), app(gates.clone())).with_stop_timeout(stop_timeout);
    let server = backend.service(server);
    within(backend, "start", server.start()).await.unwrap();
    let endpoint = Endpoint::of(server.service());
    (server, gates, endpoint)
}

async fn send(backend: Backend, endpoint: &Endpoint, path: &str) -> Client {
    let mut stream = connect(backend, endpoint).await;
    request(&mut stream, path).await;
    stream
}

#[test]
fn an_axum_app_is_served_over_http1_and_http2() {
    each_async_backend_and_socket(|backend, socket| async move {
        let (server, _gates, endpoint) = started(backend, &socket, Duration::from_secs(1)).await;
        if let Endpoint::Tcp(address) = &endpoint {
            assert_eq!(address.ip().to_string(), "127.0.0.1");
            assert_ne!(address.port(), 0);
        }

        let mut h1 = send(backend, &endpoint, "/").await;
        assert_eq!(response(backend, &mut h1).await, ("HTTP/1.1 200 OK".to_string(), "hello".to_string()));

        // HTTP/2 with prior knowledge, on the same socket.
        let stream = connect(backend, &endpoint).await;
        let handshake = hyper::client::conn::http2::handshake(Spawner(backend.manager()), HyperIo::new(stream));
        let (mut h2, connection) = within(backend, "h2 handshake", handshake).await.unwrap();
        let connection = spawn(backend, connection);
        let request = http::Request::get("http://test/").body(Empty::<Bytes>::new()).unwrap();
        let answer = within(backend, "h2 request", h2.send_request(request)).await.unwrap();
        assert_eq!(answer.version(), http::Version::HTTP_2);
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.into_body().collect().await.unwrap().to_bytes(), "hello");
        assert_eq!(server.gauge("connections").get(), 2);

        // An idle HTTP/2 connection is told to go away at the stop.
        within(backend, "stop", server.stop()).await.unwrap();
        within(backend, "h2 connection end", connection).await.unwrap();
        assert!(closed(backend, &mut h1).await);
        assert_eq!(server.gauge("connections").get(), 0);
        assert_eq!(server.live_tasks(), 0);
        assert!(endpoint.try_connect().await.is_err(), "nothing listens after the stop");
        if let Endpoint::Unix(path) = &endpoint {
            assert!(!path.exists(), "the socket's file is removed at the stop");
        }
    });
}

#[test]
fn stop_lets_a_request_in_flight_finish_and_refuses_new_clients() {
    each_async_backend_and_socket(|backend, socket| async move {
        let (server, gates, endpoint) = started(backend, &socket, Duration::from_secs(30)).await;
        let mut client = send(backend, &endpoint, "/slow").await;
        within(backend, "handler entered", gates.entered.notified()).await;
        assert!(!endpoint.refuses(), "new clients are welcome before the stop");
        let release = async {
            server.wait_state(DEADLINE, |s| s == State::Stopping).await.unwrap();
            // Stopping has begun: the listener closes at once, while the request is still
            // being answered.
            until(backend, "new clients refused", || endpoint.refuses()).await;
            assert_eq!(server.state(), State::Stopping, "the request in flight holds the stop");
            gates.release.notify_one();
        };
        let (stopped, ()) = within(backend, "stop", join(server.stop(), release)).await;
        stopped.unwrap();
        assert_eq!(response(backend, &mut client).await, ("HTTP/1.1 200 OK".to_string(), "done".to_string()));
        assert!(closed(backend, &mut client).await);
    });
}

#[test]
fn stop_closes_idle_keep_alive_connections_at_once() {
    each_async_backend_and_socket(|backend, socket| async move {
        // With a long stop_timeout, a stop that waited for the idle connections would miss the
        // test's deadline.
        let (server, _gates, endpoint) = started(backend, &socket, Duration::from_secs(60)).await;
        let mut idle = send(backend, &endpoint, "/").await;
        assert_eq!(response(backend, &mut idle).await.1, "hello");
        let mut silent = connect(backend, &endpoint).await;
        until(backend, "both connections open", || server.gauge("connections").get() == 2).await;
        within(backend, "stop", server.stop()).await.unwrap();
        assert!(closed(backend, &mut idle).await);
        assert!(closed(backend, &mut silent).await);
        assert_eq!(server.gauge("connections").get(), 0);
    });
}

#[test]
fn stop_cuts_an_endless_body_at_stop_timeout() {
    each_async_backend_and_socket(|backend, socket| async move {
        let stop_timeout = Duration::from_millis(200);
        let (server, _gates, endpoint) = started(backend, &socket, stop_timeout).await;
        let mut client = send(backend, &endpoint, "/stream").await;
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("first\n") {
            let mut chunk = [0; 256];
            let n = within(backend, "first chunk", client.read(&mut chunk)).await.unwrap();
            assert_ne!(n, 0, "the stream ended early");
            seen.extend_from_slice(&chunk[..n]);
        }
        let begun = Instant::now();
        within(backend, "stop", server.stop()).await.unwrap();
        assert!(begun.elapsed() >= stop_timeout, "cut only at stop_timeout");
        assert_eq!(server.live_tasks(), 0);
        let mut rest = Vec::new();
        let _ = within(backend, "cut", client.read_to_end(&mut rest)).await;
        assert!(!String::from_utf8_lossy(&rest).contains("0\r\n\r\n"), "cut, not ended: {rest:?}");
    });
}

#[test]
fn a_panicking_request_closes_only_its_connection() {
    each_async_backend_and_socket(|backend, socket| async move {
        let (server, _gates, endpoint) = started(backend, &socket, Duration::from_secs(1)).await;
        let mut doomed = send(backend, &endpoint, "/panic").await;
        assert!(closed(backend, &mut doomed).await);
        assert_eq!(server.state(), State::Ready);
        let mut next = send(backend, &endpoint, "/").await;
        assert_eq!(response(backend, &mut next).await.1, "hello");
        drop(next);
        until(backend, "connections closed", || server.gauge("connections").get() == 0).await;
        within(backend, "stop", server.stop()).await.unwrap();
        assert_eq!(server.state(), State::Stopped);
    });
}

#[test]
fn an_axum_app_is_served_over_a_unix_socket() {
    each_async_backend(|backend| async move {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("app.sock");
        let server = HttpServer::new(format!("unix:{}", path.display()), app(Arc::new(Gates::default())))
            .with_unix_socket_mode(0o600);
        let server = backend.service(server);
        within(backend, "start", server.start()).await.unwrap();
        assert_eq!(server.service().local_path(), Some(path.clone()));
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions()) & 0o777,
            0o600
        );
        let mut stream = async_net::unix::UnixStream::connect(&path).await.unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        within(backend, "the answer", stream.read_to_string(&mut answer)).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\nhello"), "{answer}");
        within(backend, "stop", server.stop()).await.unwrap();
        assert!(!path.exists(), "the socket's file is removed at the stop");
    });
}

#[test]
fn a_port_in_use_fails_the_start_naming_the_address() {
    each_async_backend(|backend| async move {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap();
        let server = backend.service(HttpServer::new(address, app(Arc::default())));
        let err = within(backend, "start", server.start()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StartFailed);
        assert!(
            err.chain().to_string().starts_with(&format!("HttpServer: do_start failed: cannot listen on {address}: ")),
            "{}",
            err.chain()
        );
        assert_eq!(server.state(), State::Failed);
    });
}

#[test]
fn a_unix_socket_in_use_fails_the_start_naming_it_and_the_first_server_goes_on() {
    each_async_backend(|backend| async move {
        let socket = Socket::unix();
        let (first, _gates, endpoint) = started(backend, &socket, Duration::from_secs(1)).await;
        let Endpoint::Unix(path) = &endpoint else { unreachable!() };
        let second = backend.service(HttpServer::new(socket.address(), app(Arc::default())));
        let err = within(backend, "second start", second.start()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StartFailed);
        assert_eq!(
            err.chain().to_string(),
            format!(
                "HttpServer: do_start failed: cannot listen on {}: {} is in use by another server",
                socket.address(),
                path.display()
            )
        );
        let mut client = send(backend, &endpoint, "/").await;
        assert_eq!(response(backend, &mut client).await.1, "hello", "the first still answers");
        drop(client);
        within(backend, "stop", first.stop()).await.unwrap();
    });
}

#[cfg(feature = "threads")]
#[test]
fn on_the_threads_backend_the_start_fails_naming_the_backends_it_runs_on() {
    each_backend(|backend| async move {
        if backend != Backend::Threads {
            return;
        }
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("app.sock");
        for address in ["127.0.0.1:0".to_string(), format!("unix:{}", path.display())] {
            let server = backend.service(HttpServer::new(&address, app(Arc::default())));
            let err = within(backend, "start", server.start()).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::StartFailed);
            assert_eq!(
                err.chain().to_string(),
                "HttpServer: do_start failed: ginkgo::http::HttpServer runs only on the tokio, smol or async-std \
                 backend, not on `threads`"
            );
            assert_eq!(server.state(), State::Failed);
            assert_eq!(server.service().local_addr(), None, "nothing was bound");
            assert!(!path.exists(), "no socket file was made");
        }
    });
}

#[cfg(all(feature = "smol", feature = "tokio"))]
#[test]
fn the_tokio_crates_http_server_refuses_other_backends() {
    let backend = Backend::Smol;
    backend.block_on(async {
        let server = backend.service(ginkgo_tokio::HttpServer::new("127.0.0.1:0", app(Arc::default())));
        let err = within(backend, "start", server.start()).await.unwrap_err();
        assert_eq!(
            err.chain().to_string(),
            "HttpServer: do_start failed: ginkgo_tokio::HttpServer runs only on the tokio backend, not on `smol`"
        );
    });
}
