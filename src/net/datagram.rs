//! The datagram services of whichever backend runs the tree: `BackendTransport`'s UDP sockets.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use ginkgo_core::net::backend::DatagramTransport;
use ginkgo_core::{BoxError, Context};

use super::BackendTransport;
use crate::Backend;

/// A UDP socket of the backend running the service: tokio's, async-io's (smol and async-std),
/// or the threads backend's blocking one.
pub struct BackendDatagramSocket(Socket);

enum Socket {
    #[cfg(feature = "tokio")]
    Tokio(<ginkgo_tokio::Tokio as DatagramTransport>::Socket),
    #[cfg(any(feature = "smol", feature = "async-std"))]
    AsyncIo(<ginkgo_asyncstd::AsyncIo as DatagramTransport>::Socket),
    #[cfg(feature = "threads")]
    Threads(<ginkgo_threads::Threads as DatagramTransport>::Socket),
}

/// Runs `$call` with the transport of the socket's backend, bound as `$transport`, and the
/// backend's socket as `$socket`.
macro_rules! on_socket {
    ($socket:expr, |$transport:ident, $inner:ident| $call:expr) => {
        match &$socket.0 {
            #[cfg(feature = "tokio")]
            Socket::Tokio($inner) => {
                let $transport = ginkgo_tokio::Tokio;
                $call
            }
            #[cfg(any(feature = "smol", feature = "async-std"))]
            Socket::AsyncIo($inner) => {
                let $transport = ginkgo_asyncstd::AsyncIo;
                $call
            }
            #[cfg(feature = "threads")]
            Socket::Threads($inner) => {
                let $transport = ginkgo_threads::Threads;
                $call
            }
        }
    };
}

/// The backend running `ctx`'s service, if it is one of this build's.
fn backend_of(ctx: &Context) -> io::Result<Backend> {
    let name = ctx.async_manager().map_or("none", |manager| manager.backend());
    Backend::from_name(name)
        .map_err(|_| io::Error::other(format!("ginkgo::net has no datagram sockets for the async backend `{name}`")))
}

impl DatagramTransport for BackendTransport {
    type Socket = BackendDatagramSocket;

    fn check_backend(&self, ctx: &Context, _service: &'static str) -> Result<(), BoxError> {
        backend_of(ctx)?;
        Ok(())
    }

    async fn bind(&self, ctx: &Context, address: &str) -> io::Result<(BackendDatagramSocket, SocketAddr)> {
        let (socket, local) = match backend_of(ctx)? {
            #[cfg(feature = "tokio")]
            Backend::Tokio => {
                let (socket, local) = ginkgo_tokio::Tokio.bind(ctx, address).await?;
                (Socket::Tokio(socket), local)
            }
            #[cfg(feature = "smol")]
            Backend::Smol => Self::bind_async_io(ctx, address).await?,
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => Self::bind_async_io(ctx, address).await?,
            #[cfg(feature = "threads")]
            Backend::Threads => {
                let (socket, local) = ginkgo_threads::Threads.bind(ctx, address).await?;
                (Socket::Threads(socket), local)
            }
        };
        Ok((BackendDatagramSocket(socket), local))
    }

    async fn connect(
        &self,
        ctx: &Context,
        address: &str,
    ) -> io::Result<(BackendDatagramSocket, SocketAddr, SocketAddr)> {
        let (socket, local, peer) = match backend_of(ctx)? {
            #[cfg(feature = "tokio")]
            Backend::Tokio => {
                let (socket, local, peer) = ginkgo_tokio::Tokio.connect(ctx, address).await?;
                (Socket::Tokio(socket), local, peer)
            }
            #[cfg(feature = "smol")]
            Backend::Smol => Self::connect_async_io(ctx, address).await?,
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => Self::connect_async_io(ctx, address).await?,
            #[cfg(feature = "threads")]
            Backend::Threads => {
                let (socket, local, peer) = ginkgo_threads::Threads.connect(ctx, address).await?;
                (Socket::Threads(socket), local, peer)
            }
        };
        Ok((BackendDatagramSocket(socket), local, peer))
    }

    async fn recv_from(&self, socket: &BackendDatagramSocket, buffer: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        on_socket!(socket, |transport, inner| transport.recv_from(inner, buffer).await)
    }

    async fn send_to(&self, socket: &BackendDatagramSocket, datagram: &[u8], peer: SocketAddr) -> io::Result<usize> {
        on_socket!(socket, |transport, inner| transport.send_to(inner, datagram, peer).await)
    }

    async fn send(&self, socket: &BackendDatagramSocket, datagram: &[u8]) -> io::Result<usize> {
        on_socket!(socket, |transport, inner| transport.send(inner, datagram).await)
    }

    fn wake_receivers(&self, socket: &BackendDatagramSocket) {
        on_socket!(socket, |transport, inner| transport.wake_receivers(inner))
    }
}

#[cfg(any(feature = "smol", feature = "async-std"))]
impl BackendTransport {
    /// An async-io socket bound to `address`: smol's and async-std's.
    async fn bind_async_io(ctx: &Context, address: &str) -> io::Result<(Socket, SocketAddr)> {
        let (socket, local) = ginkgo_asyncstd::AsyncIo.bind(ctx, address).await?;
        Ok((Socket::AsyncIo(socket), local))
    }

    /// An async-io socket connected to `address`: smol's and async-std's.
    async fn connect_async_io(ctx: &Context, address: &str) -> io::Result<(Socket, SocketAddr, SocketAddr)> {
        let (socket, local, peer) = ginkgo_asyncstd::AsyncIo.connect(ctx, address).await?;
        Ok((Socket::AsyncIo(socket), local, peer))
    }
}

impl fmt::Debug for BackendDatagramSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendDatagramSocket").finish_non_exhaustive()
    }
}
