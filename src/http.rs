//! HTTP services (feature `http`): [`HttpServer`] serves any tower service, an axum `Router`
//! included, over HTTP/1.1 and HTTP/2, on TCP or a Unix socket, on whichever of the tokio, smol
//! and async-std backends runs the tree, closing connections that wait too long for a request
//! or for its headers, within a cap on connections ([`ServerLimits`]). On the threads backend
//! its start fails, naming the backends it runs on.

pub use ginkgo_core::net::ServerLimits;

/// An HTTP server on whichever backend runs the tree (tokio, smol or async-std): the same
/// service, and the same tower service or axum `Router`, on each. Its behaviour (start, Unix
/// socket files, HTTP/1.1 and HTTP/2, limits and their settings, logs, gauges, graceful stop)
/// is [`ginkgo_core::net::HttpServer`]'s, over the backend's own sockets
/// ([`BackendTransport`](crate::net::BackendTransport)).
///
/// On the threads backend its start fails (`ginkgo::http::HttpServer runs only on the tokio,
/// smol or async-std backend, not on `threads``), and with it the tree's start, which is rolled
/// back: hyper drives each connection from one task that both reads and writes, which a
/// threads-backend stream, blocking its thread in a read, cannot serve.
///
/// ```
/// use std::io::{Read, Write};
/// use ginkgo::http::HttpServer;
/// use ginkgo::testing::each_backend;
///
/// each_backend(|backend| async move {
///     let app = axum::Router::new().route("/", axum::routing::get(|| async { "Hello World!" }));
///     let server = backend.service(HttpServer::new("127.0.0.1:0", app));
///     if backend.name() == "threads" {
///         assert!(server.start().await.is_err());
///         return;
///     }
///     server.start().await.unwrap();
///     let mut client = std::net::TcpStream::connect(server.service().local_addr().unwrap()).unwrap();
///     client.write_all(b"GET / HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n").unwrap();
///     let mut response = String::new();
///     client.read_to_string(&mut response).unwrap();
///     assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
///     assert!(response.ends_with("\r\n\r\nHello World!"), "{response}");
///     server.stop().await.unwrap();
/// });
/// ```
pub type HttpServer = ginkgo_core::net::HttpServer<crate::net::BackendTransport>;
