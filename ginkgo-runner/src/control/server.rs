//! Serving the control socket: a thread accepts, a thread per connection (a few at most) reads
//! requests and writes replies. None of it runs on the service's runtime, so a slow or
//! hostile client never holds up the service's own work.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nix::sys::socket::{Shutdown, getsockopt, shutdown, sockopt::PeerCredentials};
use nix::unistd::Uid;

use super::protocol::{Answers, Refusal};
use super::socket::SocketFile;
use crate::Failure;

/// Connections served at once; one more is told the daemon is busy.
pub(crate) const MAX_CONNECTIONS: usize = 8;
/// The longest request line, in bytes.
pub(crate) const MAX_REQUEST: usize = 64 * 1024;
/// Requests one connection may make before it is closed.
const MAX_REQUESTS: usize = 100;
/// How long a client has to send a complete request line.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a reply may wait for the client to make room for it.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long accepting pauses after it failed (descriptors exhausted, say).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(200);
/// How long [`ControlServer::close`] waits for the replies still being made (a reload cut short
/// by the stop, say) to reach their clients, before the process goes on to exit.
const LAST_REPLIES: Duration = Duration::from_secs(1);

/// A control socket being served; [`close`](ControlServer::close) ends it.
pub(crate) struct ControlServer {
    socket: SocketFile,
    closed: Arc<AtomicBool>,
    answering: Arc<Answering>,
}

impl ControlServer {
    /// Serves `socket`, letting in only root and `user`.
    pub(crate) fn serve(socket: SocketFile, user: Uid, answers: Answers) -> Result<ControlServer, Failure> {
        let listener = socket.listener.try_clone().map_err(|err| cannot_serve(&socket, &err))?;
        let closed = Arc::new(AtomicBool::new(false));
        let answering = Arc::new(Answering::default());
        let accepting = Accepting {
            listener,
            user,
            answers: Arc::new(answers),
            active: Arc::new(AtomicUsize::new(0)),
            closed: closed.clone(),
            answering: answering.clone(),
        };
        std::thread::Builder::new()
            .name("ginkgo-control".into())
            .spawn(move || accepting.run())
            .map_err(|err| cannot_serve(&socket, &err))?;
        Ok(ControlServer { socket, closed, answering })
    }

    /// Stops accepting and removes the socket's file, then gives the replies still being made
    /// (a reload the stop cut short tells its client why) a moment to reach their clients.
    /// Connections merely open end with the process.
    pub(crate) fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            // Wakes the accepting thread (Linux ends a blocked accept on a shut-down listener).
            let _ = shutdown(self.socket.listener.as_raw_fd(), Shutdown::Both);
            self.socket.remove();
            self.answering.wait_for_none(LAST_REPLIES);
        }
    }
}

/// How many requests are being answered: read, and their reply not yet written.
#[derive(Default)]
struct Answering {
    count: Mutex<usize>,
    changed: Condvar,
}

impl Answering {
    fn begin(self: &Arc<Self>) -> AnswerInProgress {
        *self.count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        AnswerInProgress(self.clone())
    }

    /// Waits until no request is being answered, at most `limit`.
    fn wait_for_none(&self, limit: Duration) {
        let count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self.changed.wait_timeout_while(count, limit, |count| *count > 0);
    }
}

/// One request being answered, until dropped.
struct AnswerInProgress(Arc<Answering>);

impl Drop for AnswerInProgress {
    fn drop(&mut self) {
        *self.0.count.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
        self.0.changed.notify_all();
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        self.close();
    }
}

fn cannot_serve(socket: &SocketFile, err: &std::io::Error) -> Failure {
    Failure::failed(format!("cannot serve control socket {}: {err}", socket.path().display()))
}

struct Accepting {
    listener: UnixListener,
    user: Uid,
    answers: Arc<Answers>,
    active: Arc<AtomicUsize>,
    closed: Arc<AtomicBool>,
    answering: Arc<Answering>,
}

impl Accepting {
    fn run(self) {
        let mut last_complaint: Option<Instant> = None;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => self.admit(stream),
                Err(_) if self.closed.load(Ordering::SeqCst) => return,
                Err(err) => {
                    // Once a minute at most, however often accept fails.
                    if last_complaint.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                        log::warn!(target: "runner", "control socket: cannot accept a connection: {err}");
                        last_complaint = Some(Instant::now());
                    }
                    std::thread::sleep(ACCEPT_BACKOFF);
                }
            }
        }
    }

    /// Checks who is calling and whether there is room, then serves the connection on a thread
    /// of its own.
    fn admit(&self, mut stream: UnixStream) {
        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
        let refuse = |stream: &mut UnixStream, error: String| {
            let _ = writeln!(stream, "{}", self.answers.refuse(Refusal { request: None, error }));
        };
        let uid = match getsockopt(&stream, PeerCredentials) {
            Ok(credentials) => Uid::from_raw(credentials.uid()),
            Err(err) => return refuse(&mut stream, format!("cannot tell who is calling: {err}")),
        };
        if !uid.is_root() && uid != self.user {
            log::warn!(target: "runner", "control socket: refused a connection from uid {uid}");
            let user = self.user;
            return refuse(
                &mut stream,
                format!("permission denied: uid {uid} is neither root nor the service's user (uid {user})"),
            );
        }
        if self.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            self.active.fetch_sub(1, Ordering::SeqCst);
            return refuse(&mut stream, format!("busy: {MAX_CONNECTIONS} control connections are open already"));
        }
        let slot = Slot(self.active.clone());
        let answers = self.answers.clone();
        let answering = self.answering.clone();
        let spawned = std::thread::Builder::new().name("ginkgo-control-connection".into()).spawn(move || {
            let _slot = slot;
            serve_connection(stream, &answers, &answering);
        });
        if let Err(err) = spawned {
            log::warn!(target: "runner", "control socket: cannot start a connection thread: {err}");
        }
    }
}

/// A connection's place among the [`MAX_CONNECTIONS`], given back when it ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Answers the requests of one connection, in order, until it ends or misbehaves.
fn serve_connection(mut stream: UnixStream, answers: &Answers, answering: &Arc<Answering>) {
    let mut pending = Vec::new();
    for _ in 0..MAX_REQUESTS {
        let incoming = read_line(&mut stream, &mut pending);
        let _in_progress = answering.begin();
        let reply = match incoming {
            Incoming::Line(line) => answers.answer_line(&line),
            Incoming::End => return,
            Incoming::Refused(error) => {
                let _ = writeln!(stream, "{}", answers.refuse(Refusal { request: None, error }));
                return;
            }
        };
        if writeln!(stream, "{reply}").is_err() {
            return;
        }
    }
}

enum Incoming {
    Line(Vec<u8>),
    End,
    /// Too long, too slow: answered with this error, then the connection is closed.
    Refused(String),
}

/// The next line from `stream` (bytes read past it stay in `pending`), within
/// [`READ_TIMEOUT`] and [`MAX_REQUEST`] bytes.
fn read_line(stream: &mut UnixStream, pending: &mut Vec<u8>) -> Incoming {
    let deadline = Instant::now() + READ_TIMEOUT;
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = pending.iter().position(|b| *b == b'\n') {
            if end > MAX_REQUEST {
                return too_long();
            }
            let line = pending.drain(..=end).take(end).collect();
            return Incoming::Line(line);
        }
        if pending.len() > MAX_REQUEST {
            return too_long();
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return too_slow();
        }
        match stream.read(&mut chunk) {
            // A last request without its newline still counts.
            Ok(0) if !pending.is_empty() => return Incoming::Line(std::mem::take(pending)),
            Ok(0) => return Incoming::End,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return too_slow(),
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Incoming::End,
        }
    }
}

fn too_long() -> Incoming {
    Incoming::Refused(format!("request longer than {MAX_REQUEST} bytes"))
}

fn too_slow() -> Incoming {
    Incoming::Refused(format!("no complete request within {}s", READ_TIMEOUT.as_secs()))
}
