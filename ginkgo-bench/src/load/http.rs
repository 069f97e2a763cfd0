//! The client's half of an HTTP exchange: `GET /` on a kept-alive HTTP/1.1 connection, and the
//! whole response read back (headers, then `content-length` bytes of body).
//!
//! Hand-written rather than a client library, so that the load generator spends as little of
//! the machine's two cores as it can: the server under test gets the rest.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// Sends one request on `stream` and reads its response into `buffer`.
///
/// # Errors
///
/// If the connection fails, the response does not fit in `buffer`, or it is not a `200` with
/// a `content-length`.
pub(crate) async fn exchange(stream: &mut (impl AsyncRead + AsyncWrite + Unpin), buffer: &mut [u8]) -> io::Result<()> {
    stream.write_all(REQUEST).await?;
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            return Err(invalid("the response does not fit in the buffer"));
        }
        let n = stream.read(&mut buffer[filled..]).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        filled += n;
        if let Some(length) = complete(&buffer[..filled])? {
            if length != filled {
                return Err(invalid("more bytes than one response"));
            }
            return Ok(());
        }
    }
}

/// The length of the response at the start of `received`, once all of it is there.
fn complete(received: &[u8]) -> io::Result<Option<usize>> {
    let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else { return Ok(None) };
    let head = std::str::from_utf8(&received[..end]).map_err(|_| invalid("headers that are not UTF-8"))?;
    if !head.starts_with("HTTP/1.1 200 ") {
        return Err(invalid("a status other than 200"));
    }
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .ok_or_else(|| invalid("no content-length"))?;
    let total = end + 4 + length;
    Ok((received.len() >= total).then_some(total))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("HTTP response: {what}"))
}

#[cfg(test)]
mod tests {
    use super::complete;

    #[test]
    fn a_response_is_complete_once_its_body_is_in() {
        let response = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\ndate: now\r\n\r\nhello";
        assert_eq!(complete(&response[..20]).unwrap(), None);
        assert_eq!(complete(&response[..response.len() - 1]).unwrap(), None);
        assert_eq!(complete(response).unwrap(), Some(response.len()));
        assert!(complete(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").is_err());
        assert!(complete(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
    }
}
