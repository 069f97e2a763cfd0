//! tokio's TCP sockets, as the network services use them: where they bind, accept and connect.

use std::io;
use std::net::SocketAddr;

use futures::future::BoxFuture;
use tokio::net::{TcpListener, TcpStream};

/// Listens on `address`; the listener and the address it is bound to.
pub(crate) async fn bind(address: String) -> io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(address).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Waits for the next connection.
pub(crate) fn accept(listener: &TcpListener) -> BoxFuture<'_, io::Result<(TcpStream, SocketAddr)>> {
    Box::pin(listener.accept())
}

/// Connects to `address` (`host:port`).
pub(crate) async fn connect(address: String) -> io::Result<TcpStream> {
    TcpStream::connect(address).await
}
