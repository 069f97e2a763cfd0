//! `BackendTransport` for `ginkgo::http::HttpServer`: each backend's streams handed to hyper
//! through that backend's own glue.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use ginkgo_core::net::backend::HttpTransport;
#[cfg(feature = "tls")]
use ginkgo_core::tls::TlsHttpIo;
use ginkgo_core::{BoxError, Context};
use hyper::rt::{Read, ReadBufCursor, Write};

use super::{BackendStream, BackendTransport, Sockets, Stream};

/// A connection over the sockets of the backend running an `HttpServer`, as hyper reads and
/// writes it: a tokio stream through `hyper_util`'s `TokioIo`, the others through
/// `ginkgo_core`'s `HyperIo`, as their backend crates' own servers do.
pub struct BackendHttpIo(Inner);

enum Inner {
    #[cfg(feature = "tokio")]
    Tokio(<ginkgo_tokio::Tokio as HttpTransport>::Io),
    #[cfg(any(feature = "smol", feature = "async-std"))]
    AsyncIo(<ginkgo_asyncstd::AsyncIo as HttpTransport>::Io),
    /// Never served: the threads backend's start fails first.
    #[cfg(feature = "threads")]
    Threads(ginkgo_core::net::backend::HyperIo<Box<ginkgo_threads::Stream>>),
    #[cfg(all(feature = "tokio", feature = "tls"))]
    TokioTls(Box<<ginkgo_tokio::Tokio as TlsHttpIo>::TlsIo>),
    #[cfg(all(any(feature = "smol", feature = "async-std"), feature = "tls"))]
    AsyncIoTls(Box<<ginkgo_asyncstd::AsyncIo as TlsHttpIo>::TlsIo>),
    /// Never served, as `Threads`.
    #[cfg(all(feature = "threads", feature = "tls"))]
    ThreadsTls(ginkgo_core::net::backend::HyperIo<Box<ginkgo_threads::TlsStream>>),
}

/// Serves HTTP on tokio, smol and async-std. Not on the threads backend: hyper drives a
/// connection from one task that both reads and writes, and a threads-backend stream blocks
/// its thread in a read, so a response could not go out while the connection waits for the
/// client; an `HttpServer` started there fails with an error naming the backends it runs on.
impl HttpTransport for BackendTransport {
    type Io = BackendHttpIo;

    fn http_io(stream: BackendStream) -> BackendHttpIo {
        BackendHttpIo(match stream.0 {
            #[cfg(feature = "tokio")]
            Stream::Tokio(stream) => Inner::Tokio(ginkgo_tokio::Tokio::http_io(stream.into_inner())),
            #[cfg(any(feature = "smol", feature = "async-std"))]
            Stream::AsyncIo(stream) => Inner::AsyncIo(ginkgo_asyncstd::AsyncIo::http_io(*stream)),
            #[cfg(feature = "threads")]
            Stream::Threads(stream) => Inner::Threads(ginkgo_core::net::backend::HyperIo::new(stream)),
            #[cfg(all(feature = "tokio", feature = "tls"))]
            Stream::TokioTls(stream) => {
                Inner::TokioTls(Box::new(ginkgo_tokio::Tokio::tls_http_io(stream.into_inner())))
            }
            #[cfg(all(any(feature = "smol", feature = "async-std"), feature = "tls"))]
            Stream::AsyncIoTls(stream) => Inner::AsyncIoTls(Box::new(ginkgo_asyncstd::AsyncIo::tls_http_io(*stream))),
            #[cfg(all(feature = "threads", feature = "tls"))]
            Stream::ThreadsTls(stream) => Inner::ThreadsTls(ginkgo_core::net::backend::HyperIo::new(stream)),
        })
    }

    fn check_http_backend(&self, ctx: &Context) -> Result<(), BoxError> {
        let sockets = Sockets::of(ctx)?;
        #[cfg(feature = "threads")]
        #[allow(irrefutable_let_patterns)] // when threads is the only backend compiled in
        if let Sockets::Threads = sockets {
            let needs = "tokio, smol or async-std";
            return Err(
                ginkgo_core::net::backend::WrongBackend::new("ginkgo::http", "HttpServer", needs, "threads").into()
            );
        }
        let _ = sockets;
        Ok(())
    }
}

impl BackendHttpIo {
    fn io(self: Pin<&mut Self>) -> Pin<&mut dyn HyperStream> {
        match &mut self.get_mut().0 {
            #[cfg(feature = "tokio")]
            Inner::Tokio(io) => Pin::new(io),
            #[cfg(any(feature = "smol", feature = "async-std"))]
            Inner::AsyncIo(io) => Pin::new(io),
            #[cfg(feature = "threads")]
            Inner::Threads(io) => Pin::new(io),
            #[cfg(all(feature = "tokio", feature = "tls"))]
            Inner::TokioTls(io) => Pin::new(&mut **io),
            #[cfg(all(any(feature = "smol", feature = "async-std"), feature = "tls"))]
            Inner::AsyncIoTls(io) => Pin::new(&mut **io),
            #[cfg(all(feature = "threads", feature = "tls"))]
            Inner::ThreadsTls(io) => Pin::new(io),
        }
    }
}

/// What hyper reads and writes a connection through.
trait HyperStream: Read + Write + Unpin {}

impl<T: Read + Write + Unpin> HyperStream for T {}

impl Read for BackendHttpIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        self.io().poll_read(cx, buf)
    }
}

impl Write for BackendHttpIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        match &self.0 {
            #[cfg(feature = "tokio")]
            Inner::Tokio(io) => io.is_write_vectored(),
            #[cfg(any(feature = "smol", feature = "async-std"))]
            Inner::AsyncIo(io) => io.is_write_vectored(),
            #[cfg(feature = "threads")]
            Inner::Threads(io) => io.is_write_vectored(),
            #[cfg(all(feature = "tokio", feature = "tls"))]
            Inner::TokioTls(io) => io.is_write_vectored(),
            #[cfg(all(any(feature = "smol", feature = "async-std"), feature = "tls"))]
            Inner::AsyncIoTls(io) => io.is_write_vectored(),
            #[cfg(all(feature = "threads", feature = "tls"))]
            Inner::ThreadsTls(io) => io.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        self.io().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        self.io().poll_shutdown(cx)
    }
}

impl std::fmt::Debug for BackendHttpIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendHttpIo").finish_non_exhaustive()
    }
}
