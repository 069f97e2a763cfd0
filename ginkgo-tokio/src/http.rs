//! HTTP over tokio's sockets: the glue hyper needs, and the server over it.

use ginkgo_core::net::backend::HttpTransport;
use hyper_util::rt::TokioIo;

use crate::{Stream, Tokio};

/// tokio's streams go to hyper through `hyper_util`'s [`TokioIo`].
impl HttpTransport for Tokio {
    type Io = TokioIo<Stream>;

    fn http_io(stream: Stream) -> TokioIo<Stream> {
        TokioIo::new(stream)
    }
}

/// An HTTP server on tokio's sockets ([`ginkgo_core::net::HttpServer`] over [`Tokio`]): any
/// tower service (an axum `Router`, a `tower::service_fn`, …) over HTTP/1.1 and HTTP/2, on TCP
/// or a Unix socket, with the limits, logs, gauges and graceful stop that type describes.
///
/// Runs on the tokio backend only (its start fails with
/// [`WrongBackend`](ginkgo_core::net::backend::WrongBackend) elsewhere);
/// `ginkgo::http::HttpServer` follows whichever backend runs the tree.
///
/// ```
/// use std::convert::Infallible;
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_tokio::{HttpServer, TokioManager};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// let hello = tower::service_fn(|_request: http::Request<hyper::body::Incoming>| async {
///     Ok::<_, Infallible>(http::Response::new("Hello World!".to_string()))
/// });
/// let server = ServiceHandle::new(HttpServer::new("127.0.0.1:0", hello)).with_manager(TokioManager::new());
/// ginkgo_tokio::block_on(async {
///     server.start().await?;
///     let mut client = tokio::net::TcpStream::connect(server.service().local_addr().unwrap()).await?;
///     client.write_all(b"GET / HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n").await?;
///     let mut response = String::new();
///     client.read_to_string(&mut response).await?;
///     assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
///     assert!(response.ends_with("\r\n\r\nHello World!"));
///     server.stop().await?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type HttpServer = ginkgo_core::net::HttpServer<Tokio>;
