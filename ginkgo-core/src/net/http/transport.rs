//! `HttpTransport`: what hyper needs of a transport's streams.

use crate::{BoxError, Context};

use super::super::Transport;

/// A [`Transport`] whose connections [`HttpServer`](super::HttpServer) can serve: its streams
/// as hyper reads and writes them. This is the only runtime glue an HTTP server takes: hyper's
/// executor (for HTTP/2 streams) and timer (for HTTP/2 pings) are the service's own tasks and
/// its manager's sleeps.
///
/// Each backend crate implements it beside its `Transport`: tokio's streams go to hyper through
/// `hyper_util::rt::TokioIo`; streams of the `futures::io` traits (smol's, async-std's, a
/// futures-rustls TLS stream) through [`HyperIo`](super::HyperIo). A transport that wraps
/// another (TLS) implements it for its own stream, which is the TLS stream: the server needs
/// nothing else, and offers HTTP/2 and HTTP/1.1 on it (its acceptor should announce both,
/// `Alpn::Http`, since hyper tells the two apart by the first bytes).
///
/// ```
/// use ginkgo::net::Transport;
/// use ginkgo_core::net::backend::HyperIo;
///
/// // The glue of a transport whose streams implement `futures::io`'s traits.
/// fn glue<T>(stream: T::Stream) -> HyperIo<T::Stream>
/// where
///     T: Transport,
///     T::Stream: futures::io::AsyncRead + futures::io::AsyncWrite + Unpin,
/// {
///     HyperIo::new(stream)
/// }
/// # let _ = glue::<ginkgo::net::BackendTransport>;
/// ```
pub trait HttpTransport: Transport {
    /// A connection's stream as hyper reads and writes it.
    type Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static;

    /// Hands a connection's stream (once its handshake is done) to hyper.
    fn http_io(stream: Self::Stream) -> Self::Io;

    /// Fails unless an HTTP server on these sockets works under the backend running `ctx`'s
    /// service; by default, where the sockets work
    /// ([`check_backend`](Transport::check_backend)).
    fn check_http_backend(&self, ctx: &Context) -> Result<(), BoxError> {
        self.check_backend(ctx, "HttpServer")
    }
}
