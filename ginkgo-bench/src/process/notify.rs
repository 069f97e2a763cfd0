//! `NotifySocket`: where a daemon says it is ready, as it would tell systemd.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A datagram socket bound to a path, to be given to a daemon as `NOTIFY_SOCKET`.
#[derive(Debug)]
pub struct NotifySocket {
    socket: UnixDatagram,
    path: PathBuf,
}

impl NotifySocket {
    /// Binds a socket at `path` (which must not exist; a path of at most 107 bytes).
    ///
    /// # Errors
    ///
    /// If the socket cannot be bound there.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<NotifySocket> {
        let path = path.as_ref().to_path_buf();
        Ok(NotifySocket { socket: UnixDatagram::bind(&path)?, path })
    }

    /// Where the socket is bound: the value for `NOTIFY_SOCKET`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits for a message with the line `line` (such as `READY=1`), at most `deadline`;
    /// messages without it are skipped.
    ///
    /// ```
    /// use std::os::unix::net::UnixDatagram;
    /// use std::time::Duration;
    /// use ginkgo_bench::process::NotifySocket;
    ///
    /// let folder = tempfile::tempdir().unwrap();
    /// let socket = NotifySocket::bind(folder.path().join("notify")).unwrap();
    /// let daemon = UnixDatagram::unbound().unwrap();
    /// daemon.send_to(b"STATUS=starting", socket.path()).unwrap();
    /// daemon.send_to(b"READY=1\nSTATUS=ready", socket.path()).unwrap();
    /// socket.wait_for("READY=1", Duration::from_secs(5)).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::TimedOut`] (or `WouldBlock`) if no such message came in time.
    pub fn wait_for(&self, line: &str, deadline: Duration) -> io::Result<()> {
        let until = Instant::now() + deadline;
        let mut buffer = [0u8; 4096];
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, format!("no {line} within {deadline:?}")));
            }
            self.socket.set_read_timeout(Some(left))?;
            let n = self.socket.recv(&mut buffer)?;
            if String::from_utf8_lossy(&buffer[..n]).lines().any(|l| l == line) {
                return Ok(());
            }
        }
    }
}
