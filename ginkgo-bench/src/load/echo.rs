//! The client's half of an echo exchange: 64 bytes out, the same 64 bytes back.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The size of an echo message, in bytes.
pub const MESSAGE: usize = 64;

/// What the client sends: 64 bytes that are not all alike, so that a server mixing up bytes
/// would be caught.
const PAYLOAD: [u8; MESSAGE] = {
    let mut payload = [0; MESSAGE];
    let mut i = 0;
    while i < MESSAGE {
        payload[i] = b'a' + (i % 26) as u8;
        i += 1;
    }
    payload
};

/// Sends one message on `stream` and reads the echo back into `buffer`.
///
/// # Errors
///
/// If the connection fails, or what comes back is not what was sent.
pub(crate) async fn exchange(stream: &mut (impl AsyncRead + AsyncWrite + Unpin), buffer: &mut [u8]) -> io::Result<()> {
    stream.write_all(&PAYLOAD).await?;
    let echoed = &mut buffer[..MESSAGE];
    stream.read_exact(echoed).await?;
    if echoed != PAYLOAD {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "the echo differs from the message"));
    }
    Ok(())
}
