//! HTTP over async-io's sockets: the glue hyper needs, and the server over it.

use ginkgo_core::net::backend::{HttpTransport, HyperIo};

use crate::{AsyncIo, Stream};

/// async-io's streams implement the `futures::io` traits, which reach hyper through
/// [`HyperIo`].
impl HttpTransport for AsyncIo {
    type Io = HyperIo<Stream>;

    fn http_io(stream: Stream) -> HyperIo<Stream> {
        HyperIo::new(stream)
    }
}

/// An HTTP server on the sockets smol and async-std share ([`ginkgo_core::net::HttpServer`]
/// over [`AsyncIo`]): any tower service (an axum `Router`, a `tower::service_fn`, …) over
/// HTTP/1.1 and HTTP/2, on TCP or a Unix socket, with the limits, logs, gauges and graceful
/// stop that type describes. Its HTTP/2 streams are tasks of the service and its timers the
/// backend's: it runs on smol and on async-std alike.
///
/// ```
/// use std::convert::Infallible;
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use ginkgo_asyncstd::{HttpServer, SmolManager};
/// use ginkgo_core::ServiceHandle;
///
/// let hello = tower::service_fn(|_request: http::Request<hyper::body::Incoming>| async {
///     Ok::<_, Infallible>(http::Response::new("Hello World!".to_string()))
/// });
/// let server = ServiceHandle::new(HttpServer::new("127.0.0.1:0", hello)).with_manager(SmolManager::new());
/// ginkgo_asyncstd::block_on_smol(async {
///     server.start().await?;
///     let mut client = smol::net::TcpStream::connect(server.service().local_addr().unwrap()).await?;
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
pub type HttpServer = ginkgo_core::net::HttpServer<AsyncIo>;
