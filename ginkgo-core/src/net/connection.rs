//! `Connection`: what a stream server's or client's handler gets.

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice, Read, Write};
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::io::{AsyncRead, AsyncWrite};

use super::PeerAddr;
use crate::TaskResult;

/// What a stream server or client runs on each connection: `handler(connection, ctx)`, its
/// future boxed once (a task stores it as it is).
pub(crate) type Handler<S> = Arc<dyn Fn(Connection<S>, crate::Context) -> BoxFuture<'static, TaskResult> + Send + Sync>;

/// `handler` as a [`Handler`].
pub(crate) fn handler<S, F, Fut>(handler: F) -> Handler<S>
where
    F: Fn(Connection<S>, crate::Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = TaskResult> + Send + 'static,
{
    Arc::new(move |connection, ctx| Box::pin(handler(connection, ctx)))
}

/// One connection, as a handler of a [`StreamServer`](super::StreamServer) or a
/// [`StreamClient`](super::StreamClient) gets it: the transport's stream `S`, and who is at the
/// other end ([`peer_addr`](Connection::peer_addr)).
///
/// It reads and writes as its stream does: through `futures::io::{AsyncRead, AsyncWrite}`
/// (and so `AsyncReadExt`, `futures::io::BufReader`, `AsyncWriteExt`) when the stream
/// implements them, as `ginkgo::net`'s and the smol and async-std backends' do, and through
/// `std::io::{Read, Write}` when the stream does, as the threads backend's blocking one does.
/// It dereferences to the stream for the rest (a tokio stream's own traits, say:
/// `connection.write_all(..)` with tokio's `AsyncWriteExt`, `&mut *connection` where a tokio
/// reader is asked for). Closing it (`AsyncWriteExt::close`) shuts the writing half down;
/// dropping it closes the connection.
///
/// ```
/// use futures::io::AsyncWriteExt;
/// use ginkgo_core::net::{Connection, PeerAddr};
///
/// futures::executor::block_on(async {
///     let peer = PeerAddr::Tcp("10.0.0.7:50123".parse().unwrap());
///     let mut connection = Connection::new(futures::io::Cursor::new(Vec::new()), peer.clone());
///     connection.write_all(b"Hello World\n").await?;
///     assert_eq!(connection.peer_addr(), &peer);
///     assert_eq!(connection.get_ref().get_ref(), b"Hello World\n");
///     Ok::<_, std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Connection<S> {
    stream: S,
    peer: PeerAddr,
}

impl<S> Connection<S> {
    /// `stream`, whose other end is `peer`.
    pub fn new(stream: S, peer: PeerAddr) -> Self {
        Connection { stream, peer }
    }

    /// Who is at the other end.
    pub fn peer_addr(&self) -> &PeerAddr {
        &self.peer
    }

    /// The stream.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The stream, to use it directly.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// The stream and the peer.
    pub fn into_parts(self) -> (S, PeerAddr) {
        (self.stream, self.peer)
    }
}

impl<S> Deref for Connection<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.stream
    }
}

impl<S> DerefMut for Connection<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.stream
    }
}

impl<S> fmt::Debug for Connection<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").field("peer", &self.peer).finish_non_exhaustive()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Connection<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Connection<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_close(cx)
    }
}

impl<S: Read> Read for Connection<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }
}

impl<S: Write> Write for Connection<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}
