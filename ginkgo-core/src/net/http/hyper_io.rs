//! `HyperIo`: a stream of the `futures::io` traits as hyper reads and writes it.

use std::cell::RefCell;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::io::{AsyncRead, AsyncWrite};
use hyper::rt::ReadBufCursor;

/// The most one read asks of the stream; hyper's buffer usually has 8 KiB free.
const SCRATCH: usize = 16 * 1024;

thread_local! {
    /// Where reads land before they are copied into hyper's buffer: one per thread, zeroed
    /// once, so that a read costs a copy of the bytes it brought and nothing more.
    static SCRATCH_BUFFER: RefCell<Box<[u8]>> = RefCell::new(vec![0; SCRATCH].into_boxed_slice());
}

/// A byte stream implementing [`futures::io::AsyncRead`] and [`futures::io::AsyncWrite`] (the
/// traits of smol's and async-std's sockets, and of futures-rustls' TLS streams), as hyper's
/// [`hyper::rt::Read`] and [`hyper::rt::Write`]: what `hyper_util::rt::TokioIo` is for tokio's
/// streams.
///
/// hyper hands a read a buffer that may be uninitialized, which the `futures::io` traits cannot
/// take; filling it directly would take `unsafe` code, which Ginkgo does not write. So each
/// read lands in a scratch buffer of the thread's (zeroed once, not at every read) and its
/// bytes are copied into hyper's: one copy of what was read. Writes go straight through;
/// [`poll_shutdown`](hyper::rt::Write::poll_shutdown) closes the stream
/// ([`poll_close`](futures::io::AsyncWrite::poll_close)). hyper is told vectored writes are
/// not efficient (`futures::io` cannot say), so it gathers a response into one write.
///
/// ```
/// use std::pin::pin;
/// use futures::io::Cursor;
/// use ginkgo_core::net::backend::HyperIo;
/// use hyper::rt::{Read, ReadBuf, Write};
///
/// let mut io = HyperIo::new(Cursor::new(b"GET / HTTP/1.1\r\n".to_vec()));
/// let mut bytes = [0; 5];
/// let mut buf = ReadBuf::new(&mut bytes);
/// let waker = futures::task::noop_waker();
/// let mut cx = std::task::Context::from_waker(&waker);
/// assert!(pin!(&mut io).poll_read(&mut cx, buf.unfilled()).is_ready());
/// assert_eq!(buf.filled(), b"GET /");
/// assert!(pin!(&mut io).poll_write(&mut cx, b"HTTP/1.1 200 OK").is_ready());
/// // The write lands where the read stopped, over what the cursor held there.
/// assert_eq!(io.into_inner().into_inner(), b"GET /HTTP/1.1 200 OK");
/// ```
#[derive(Debug)]
pub struct HyperIo<S>(S);

impl<S> HyperIo<S> {
    /// Wraps `stream`.
    pub fn new(stream: S) -> Self {
        HyperIo(stream)
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.0
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> S {
        self.0
    }
}

impl<S: AsyncRead + Unpin> hyper::rt::Read for HyperIo<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, mut buf: ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        let stream = Pin::new(&mut self.get_mut().0);
        let wanted = buf.remaining().min(SCRATCH);
        SCRATCH_BUFFER.with(|scratch| {
            // Only a stream that reads through another `HyperIo` of the same thread would find
            // the scratch buffer taken; it gets one of its own.
            let mut own;
            let mut shared = scratch.try_borrow_mut();
            let scratch: &mut [u8] = match &mut shared {
                Ok(shared) => &mut shared[..wanted],
                Err(_) => {
                    own = vec![0; wanted];
                    &mut own
                }
            };
            let read = ready!(stream.poll_read(cx, scratch))?;
            buf.put_slice(&scratch[..read]);
            Poll::Ready(Ok(()))
        })
    }
}

impl<S: AsyncWrite + Unpin> hyper::rt::Write for HyperIo<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;

    use futures::io::Cursor;
    use hyper::rt::{Read, ReadBuf};

    use super::*;

    fn noop_context() -> Context<'static> {
        Context::from_waker(futures::task::noop_waker_ref())
    }

    #[test]
    fn a_read_larger_than_the_scratch_buffer_is_taken_in_parts() {
        let data: Vec<u8> = (0..SCRATCH * 2 + 10).map(|i| i as u8).collect();
        let mut io = HyperIo::new(Cursor::new(data.clone()));
        let mut landed = vec![0; data.len() + 1];
        let mut buf = ReadBuf::new(&mut landed);
        let mut reads = 0;
        loop {
            let before = buf.filled().len();
            assert!(pin!(&mut io).poll_read(&mut noop_context(), buf.unfilled()).is_ready());
            if buf.filled().len() == before {
                break; // end of file
            }
            reads += 1;
        }
        assert_eq!(buf.filled(), data);
        assert_eq!(reads, 3);
    }

    /// A stream whose reads go through another `HyperIo` on the same thread, as a stream
    /// wrapping a hyper connection's would.
    struct Nested(HyperIo<Cursor<Vec<u8>>>);

    impl AsyncRead for Nested {
        fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
            let mut buf = ReadBuf::new(out);
            ready!(Pin::new(&mut self.0).poll_read(cx, buf.unfilled()))?;
            Poll::Ready(Ok(buf.filled().len()))
        }
    }

    #[test]
    fn a_read_nested_in_another_gets_a_buffer_of_its_own() {
        let mut io = HyperIo::new(Nested(HyperIo::new(Cursor::new(b"nested".to_vec()))));
        let mut landed = [0; 16];
        let mut buf = ReadBuf::new(&mut landed);
        assert!(pin!(&mut io).poll_read(&mut noop_context(), buf.unfilled()).is_ready());
        assert_eq!(buf.filled(), b"nested");
    }
}
