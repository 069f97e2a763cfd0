//! `Socket`: a TCP or a Unix socket of one runtime, as one type.

use std::io::{self, IoSlice, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};

/// A TCP socket `T` or a Unix socket `U`: the listener or the stream of a transport whose
/// address may be either. It reads and writes as the socket it holds does, through
/// `futures::io`'s traits and `std::io`'s.
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use ginkgo_core::net::backend::Socket;
///
/// futures::executor::block_on(async {
///     let mut socket: Socket<futures::io::Cursor<Vec<u8>>, futures::io::Cursor<Vec<u8>>> =
///         Socket::Unix(futures::io::Cursor::new(Vec::new()));
///     socket.write_all(b"ping").await?;
///     let Socket::Unix(written) = socket else { unreachable!() };
///     assert_eq!(written.into_inner(), b"ping");
///     let mut tcp: Socket<_, futures::io::Cursor<Vec<u8>>> = Socket::Tcp(&b"pong"[..]);
///     let mut read = String::new();
///     tcp.read_to_string(&mut read).await?;
///     assert_eq!(read, "pong");
///     Ok::<_, std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub enum Socket<T, U> {
    /// A TCP socket.
    Tcp(T),
    /// A Unix socket.
    Unix(U),
}

impl<T: AsyncRead + Unpin, U: AsyncRead + Unpin> AsyncRead for Socket<T, U> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Socket::Tcp(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Socket::Unix(unix) => Pin::new(unix).poll_read(cx, buf),
        }
    }
}

impl<T: AsyncWrite + Unpin, U: AsyncWrite + Unpin> AsyncWrite for Socket<T, U> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Socket::Tcp(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Socket::Unix(unix) => Pin::new(unix).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Socket::Tcp(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Socket::Unix(unix) => Pin::new(unix).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Tcp(tcp) => Pin::new(tcp).poll_flush(cx),
            Socket::Unix(unix) => Pin::new(unix).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Tcp(tcp) => Pin::new(tcp).poll_close(cx),
            Socket::Unix(unix) => Pin::new(unix).poll_close(cx),
        }
    }
}

impl<T: Read, U: Read> Read for Socket<T, U> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(tcp) => tcp.read(buf),
            Socket::Unix(unix) => unix.read(buf),
        }
    }
}

impl<T: Write, U: Write> Write for Socket<T, U> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(tcp) => tcp.write(buf),
            Socket::Unix(unix) => unix.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Socket::Tcp(tcp) => tcp.flush(),
            Socket::Unix(unix) => unix.flush(),
        }
    }
}
