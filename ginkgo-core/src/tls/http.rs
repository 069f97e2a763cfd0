//! `TlsHttpIo`: a runtime's TLS streams as hyper reads them, which makes `TlsTransport` over
//! that runtime a transport `HttpServer` serves HTTPS on.

use super::{TlsHandshakes, TlsTransport};
use crate::net::backend::HttpTransport;
use crate::{BoxError, Context};

/// How hyper reads and writes the TLS streams of a runtime's [`TlsHandshakes`]: what a backend
/// crate adds (feature `http`) so that `HttpServer` over its [`TlsTransport`] serves HTTPS, as
/// [`HttpTransport`] is for its plain sockets. tokio's TLS streams go to hyper through
/// `hyper_util`'s `TokioIo`, futures-rustls' through
/// [`HyperIo`](crate::net::backend::HyperIo).
pub trait TlsHttpIo: TlsHandshakes + HttpTransport {
    /// A TLS stream as hyper reads and writes it.
    type TlsIo: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static;

    /// Hands a TLS stream, its handshake done, to hyper.
    fn tls_http_io(stream: Self::TlsStream) -> Self::TlsIo;
}

impl<T: TlsHttpIo> HttpTransport for TlsTransport<T> {
    type Io = T::TlsIo;

    fn http_io(stream: T::TlsStream) -> T::TlsIo {
        T::tls_http_io(stream)
    }

    fn check_http_backend(&self, ctx: &Context) -> Result<(), BoxError> {
        self.inner().check_http_backend(ctx)
    }
}
