//! Just enough HTTP/1.1 for probes and scrapers, on a blocking stream: a request's head is read
//! within a size and a time limit; its method is GET or HEAD and it has no body; every response
//! has a length, so one connection carries request after request until either side closes it.
//! Anything else is refused with the status that says why, and the connection is closed.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The longest request head (request line and headers), in bytes.
pub(crate) const MAX_HEAD: usize = 8 * 1024;
/// The most header lines a request may have.
const MAX_HEADERS: usize = 64;

/// A request to answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Request {
    /// The path, without its query.
    pub(crate) path: String,
    /// HEAD: the response without its body.
    pub(crate) head_only: bool,
    /// The client will send another request on this connection.
    pub(crate) keep_alive: bool,
}

/// A response: a status, a content type and a body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: String,
}

impl Response {
    /// A plain-text response.
    pub(crate) fn text(status: u16, body: impl Into<String>) -> Response {
        Response { status, content_type: "text/plain; charset=utf-8", body: body.into() }
    }
}

/// What came next on a connection.
#[derive(Debug)]
pub(crate) enum Incoming {
    Request(Request),
    /// A request that cannot be answered: this response says why, then the connection closes.
    Refused(Response),
    /// The client closed the connection, or sent nothing while it was idle.
    Closed,
}

/// Reads the next request head from `stream` (bytes read past it stay in `pending`): its first
/// byte within `idle`, all of it within `header_timeout` of the first byte.
pub(crate) fn read_request(
    stream: &mut TcpStream,
    pending: &mut Vec<u8>,
    idle: Duration,
    header_timeout: Duration,
) -> Incoming {
    let mut deadline = (!pending.is_empty()).then(|| Instant::now() + header_timeout);
    let idle_until = Instant::now() + idle;
    let mut chunk = [0u8; 2048];
    loop {
        if let Some(end) = find_end_of_head(pending) {
            let head: Vec<u8> = pending.drain(..end).collect();
            return match parse_head(&head) {
                Ok(request) => Incoming::Request(request),
                Err(response) => Incoming::Refused(response),
            };
        }
        if pending.len() > MAX_HEAD {
            return Incoming::Refused(Response::text(431, format!("request head longer than {MAX_HEAD} bytes\n")));
        }
        let until = deadline.unwrap_or(idle_until);
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return timed_out(deadline);
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Incoming::Closed,
            Ok(n) => {
                deadline.get_or_insert_with(|| Instant::now() + header_timeout);
                pending.extend_from_slice(&chunk[..n]);
            }
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return timed_out(deadline);
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Incoming::Closed,
        }
    }
}

/// An idle connection is closed without a word; a head that came too slowly gets a 408.
fn timed_out(head_begun: Option<Instant>) -> Incoming {
    match head_begun {
        Some(_) => Incoming::Refused(Response::text(408, "request head not received in time\n")),
        None => Incoming::Closed,
    }
}

/// Where the head ends: after the blank line (`\r\n\r\n`, or bare `\n\n`).
fn find_end_of_head(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|at| at + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Reads a request head: its request line and headers.
pub(crate) fn parse_head(head: &[u8]) -> Result<Request, Response> {
    let bad = |why: &str| Response::text(400, format!("{why}\n"));
    let head = std::str::from_utf8(head).map_err(|_| bad("the request head is not UTF-8"))?;
    let mut lines = head.split('\n').map(|line| line.strip_suffix('\r').unwrap_or(line));
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("a request line is METHOD TARGET VERSION"));
    };
    let http_11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(Response::text(505, "HTTP/1.1 or HTTP/1.0 only\n")),
    };
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Err(Response::text(405, "GET or HEAD only\n")),
    };
    if !target.starts_with('/') {
        return Err(bad("the target is a path"));
    }
    let mut keep_alive = http_11;
    for (count, line) in lines.filter(|line| !line.is_empty()).enumerate() {
        if count >= MAX_HEADERS {
            return Err(Response::text(431, format!("more than {MAX_HEADERS} headers\n")));
        }
        let Some((name, value)) = line.split_once(':') else { return Err(bad("a header is NAME: VALUE")) };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" if value != "0" => return Err(bad("requests with a body are not accepted")),
            "transfer-encoding" => return Err(bad("requests with a body are not accepted")),
            "connection" => {
                for token in value.split(',').map(|token| token.trim().to_ascii_lowercase()) {
                    match token.as_str() {
                        "close" => keep_alive = false,
                        "keep-alive" => keep_alive = true,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let path = target.split('?').next().unwrap_or(target).to_string();
    Ok(Request { path, head_only, keep_alive })
}

/// Writes `response`, without its body for a HEAD; says `Connection: close` unless
/// `keep_alive`.
pub(crate) fn write_response(
    stream: &mut impl Write,
    response: &Response,
    head_only: bool,
    keep_alive: bool,
) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len()
    );
    if response.status == 405 {
        out.push_str("Allow: GET, HEAD\r\n");
    }
    if !keep_alive {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    if !head_only {
        out.push_str(&response.body);
    }
    stream.write_all(out.as_bytes())?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, head_only: bool, keep_alive: bool) -> Result<Request, Response> {
        Ok(Request { path: path.into(), head_only, keep_alive })
    }

    #[test]
    fn probes_and_scrapers_are_understood() {
        let kubelet = b"GET /livez HTTP/1.1\r\nHost: 10.0.0.5:8081\r\nUser-Agent: kube-probe/1.30\r\nAccept: */*\r\nConnection: close\r\n\r\n";
        assert_eq!(parse_head(kubelet), request("/livez", false, false));
        let prometheus = b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: application/openmetrics-text\r\n\r\n";
        assert_eq!(parse_head(prometheus), request("/metrics", false, true));
        assert_eq!(parse_head(b"HEAD /readyz HTTP/1.0\n\n"), request("/readyz", true, false));
        assert_eq!(parse_head(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), request("/", false, true));
        assert_eq!(parse_head(b"GET /livez HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), request("/livez", false, true));
    }

    #[test]
    fn everything_else_is_refused_with_the_status_that_says_why() {
        let status = |head: &[u8]| parse_head(head).unwrap_err().status;
        assert_eq!(status(b"POST /livez HTTP/1.1\r\n\r\n"), 405);
        assert_eq!(status(b"GET /livez HTTP/2.0\r\n\r\n"), 505);
        assert_eq!(status(b"GET /livez\r\n\r\n"), 400);
        assert_eq!(status(b"GET  /livez HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status(b"GET http://a/livez HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status(b"GET /livez HTTP/1.1\r\nContent-Length: 5\r\n\r\n"), 400);
        assert_eq!(status(b"GET /livez HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
        assert_eq!(status(b"GET /livez HTTP/1.1\r\nno colon\r\n\r\n"), 400);
        assert_eq!(status(b"GET /\xff HTTP/1.1\r\n\r\n"), 400);
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(MAX_HEADERS + 1));
        assert_eq!(status(many.as_bytes()), 431);
    }

    #[test]
    fn a_response_has_a_length_and_a_head_has_no_body() {
        let mut out = Vec::new();
        write_response(&mut out, &Response::text(503, "not ready\n"), false, true).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\
             Cache-Control: no-store\r\n\r\nnot ready\n"
        );
        let mut out = Vec::new();
        write_response(&mut out, &Response::text(405, "GET or HEAD only\n"), true, false).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.ends_with(
                "Content-Length: 17\r\nCache-Control: no-store\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\n"
            ),
            "{out}"
        );
    }
}
