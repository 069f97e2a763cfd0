//! Asking a daemon over its control socket, as `ginkgoctl` does.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::Failure;

/// The longest reply `ginkgoctl` reads.
const MAX_REPLY: u64 = 1024 * 1024;

/// What the daemon answered.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The daemon's pid, by its own account.
    pub(crate) pid: Option<u32>,
    /// The reply's fields (`ok`, `request`, `pid` and the request's own), or the error.
    pub(crate) outcome: Result<Map<String, Value>, String>,
}

/// Sends `request` (`{"request": NAME}` with `fields`) over the socket at `path` and waits up to
/// `timeout` for the reply. `None` when nothing listens there: no socket, or a stale one.
pub(crate) fn ask(
    path: &Path,
    name: &str,
    fields: Map<String, Value>,
    timeout: Duration,
) -> Result<Option<Reply>, Failure> {
    let cannot =
        |err: &dyn std::fmt::Display| Failure::failed(format!("cannot use control socket {}: {err}", path.display()));
    let mut stream = match UnixStream::connect(path) {
        Ok(stream) => stream,
        Err(err) if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::ConnectionRefused) => return Ok(None),
        Err(err) => return Err(cannot(&err)),
    };
    let mut request = fields;
    request.insert("request".into(), name.into());
    stream.set_write_timeout(Some(timeout)).map_err(|err| cannot(&err))?;
    stream.set_read_timeout(Some(timeout)).map_err(|err| cannot(&err))?;
    // A daemon that turns the caller away answers at once and closes: the write may fail, and
    // the answer still waits to be read.
    let written = writeln!(stream, "{}", Value::Object(request));
    let mut line = String::new();
    match BufReader::new(stream.take(MAX_REPLY)).read_line(&mut line) {
        Ok(0) => {
            let why = written.err().map_or_else(|| "the daemon closed it without an answer".into(), |e| e.to_string());
            return Err(cannot(&why));
        }
        Ok(_) => {}
        Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            return Err(cannot(&format!("no answer within {timeout:?}")));
        }
        Err(err) => return Err(cannot(&err)),
    }
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&line) else {
        return Err(cannot(&format!("the daemon answered something else than JSON: {}", line.trim_end())));
    };
    let pid = fields.get("pid").and_then(Value::as_u64).and_then(|pid| u32::try_from(pid).ok());
    let outcome = match fields.get("ok") {
        Some(Value::Bool(true)) => Ok(fields),
        _ => Err(fields.get("error").and_then(Value::as_str).unwrap_or("the daemon gave no reason").to_string()),
    };
    Ok(Some(Reply { pid, outcome }))
}
