//! Many idle connections: opened, each checked with one echo, then left alone.

use std::io;
use std::net::SocketAddr;

use futures::StreamExt;
use tokio::net::TcpStream;

use super::echo;

/// Connections being opened at once: well under the listen backlog, so that no connection
/// attempt is dropped and retried a second later.
const IN_FLIGHT: usize = 64;

/// Opens `count` connections to the echo server at `address` and sends one message on each,
/// waiting for its echo: once this returns, the server has accepted every connection and
/// its handler for each is running, waiting for the next message. The connections stay open
/// until the returned streams are dropped.
///
/// # Errors
///
/// The first connection or echo that failed.
pub async fn open_idle(address: SocketAddr, count: usize) -> io::Result<Vec<TcpStream>> {
    futures::stream::iter(0..count)
        .map(|_| async move {
            let mut stream = TcpStream::connect(address).await?;
            echo::exchange(&mut stream, &mut [0; echo::MESSAGE]).await?;
            Ok(stream)
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<io::Result<TcpStream>>>()
        .await
        .into_iter()
        .collect()
}
