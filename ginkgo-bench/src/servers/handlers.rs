//! The echo handler: reads what the client sends and writes it back, until the client closes
//! the connection. Written once for tokio's streams (the baseline's `TcpStream`, and
//! `ginkgo_tokio::StreamServer`'s `ginkgo_tokio::Stream`, TCP or Unix) and once for a
//! `ginkgo::net::Connection`, with the same steps and the same 64-byte buffer.

use std::io;

use futures::io::{AsyncReadExt as _, AsyncWriteExt as _};
use ginkgo::net::Connection;
use ginkgo::{Context, TaskResult};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

use crate::load::MESSAGE;

/// Echoes on a tokio stream until the client closes it.
///
/// # Errors
///
/// A failed read or write.
pub async fn echo(mut stream: impl AsyncRead + AsyncWrite + Unpin) -> io::Result<()> {
    let mut buffer = [0; MESSAGE];
    loop {
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buffer[..n]).await?;
    }
}

/// Echoes on a `ginkgo::net::Connection` until the client closes it.
///
/// # Errors
///
/// A failed read or write.
pub async fn echo_connection(mut connection: Connection) -> io::Result<()> {
    let mut buffer = [0; MESSAGE];
    loop {
        let n = connection.read(&mut buffer).await?;
        if n == 0 {
            return Ok(());
        }
        connection.write_all(&buffer[..n]).await?;
    }
}

/// Echoes on a `ginkgo::net::Connection` until the client closes it or the service begins to
/// stop, as a daemon's handler should: a handler that only waited for the client would hold
/// the stop up until the server's `stop_timeout`.
///
/// # Errors
///
/// A failed read or write, or [`Stopping`](ginkgo::Stopping) once the service stops.
pub async fn echo_until_stopping(mut connection: Connection, ctx: Context) -> TaskResult {
    let mut buffer = [0; MESSAGE];
    loop {
        let n = ctx.until_stopping(connection.read(&mut buffer)).await??;
        if n == 0 {
            return Ok(());
        }
        connection.write_all(&buffer[..n]).await?;
    }
}
