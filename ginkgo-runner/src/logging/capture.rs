//! A daemon's standard output and error, captured: a pipe takes their place, and a thread
//! hands whatever comes through it to the writer of the log file.
//!
//! Without it a daemon's streams are the log file itself (`daemon::redirect_stdio`): on a full
//! disk a service's `println!` panics (std's printing macros do when a write fails), and on a
//! stalled file system it blocks. Through the pipe, writing never fails and never waits for
//! longer than the thread takes to queue the bytes; what the log file cannot take is dropped and
//! counted like any log line. Children of the service inherit the pipe and are relayed too.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use nix::fcntl::OFlag;

use super::output::LogOutput;
use crate::{Failure, daemon};

/// Where captured bytes go: the log file's writer, replaced on reload.
pub(crate) type Target = Mutex<Option<Relay>>;

/// The log file's writer, and whether its lines are JSON: then each line of what comes through
/// the pipe becomes a JSON record of its own (target `stdio`), so that every line of the file
/// parses, whatever the service printed.
pub(crate) struct Relay {
    pub(crate) output: Arc<LogOutput>,
    pub(crate) json: bool,
}

/// The most a single read from the pipe takes.
const CHUNK: usize = 64 * 1024;

struct Capture {
    /// The pipe's writing end, which standard output and error are copies of.
    writer: OwnedFd,
    /// Set by the relay thread once the pipe has no writer left and all it read is queued.
    ended: Arc<(Mutex<bool>, Condvar)>,
}

static CAPTURE: Mutex<Option<Capture>> = Mutex::new(None);

/// Set for good by the first `start`.
static STARTED: AtomicBool = AtomicBool::new(false);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Puts the pipe in place of standard output and error, relaying to `target`: the first time
/// by creating it, later by putting it back (a reload's `daemon::redirect_stdio` points the
/// streams at the log file again).
pub(crate) fn start(target: &'static Target) -> Result<(), Failure> {
    let mut capture = lock(&CAPTURE);
    if capture.is_none() {
        let failed = |err: &dyn std::fmt::Display| Failure::failed(format!("cannot capture standard output: {err}"));
        let (reader, writer) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|err| failed(&err))?;
        let ended = Arc::new((Mutex::new(false), Condvar::new()));
        let done = ended.clone();
        std::thread::Builder::new()
            .name("ginkgo-stdio".into())
            .spawn(move || {
                relay(File::from(reader), target);
                *lock(&done.0) = true;
                done.1.notify_all();
            })
            .map_err(|err| failed(&err))?;
        *capture = Some(Capture { writer, ended });
        STARTED.store(true, Ordering::Relaxed);
    }
    match capture.as_ref() {
        Some(capture) => daemon::point_stdout_and_stderr_at(capture.writer.as_fd()),
        None => Ok(()),
    }
}

/// True once standard output and error were captured, also after `end`.
pub(crate) fn was_started() -> bool {
    STARTED.load(Ordering::Relaxed)
}

/// Ends the capture, at exit: standard output and error go to /dev/null, and the thread
/// queues what is left in the pipe. Waits for that until `deadline` (children of the service
/// that outlive it keep the pipe open: then until the deadline).
pub(crate) fn end(deadline: Instant) {
    let Some(capture) = lock(&CAPTURE).take() else {
        return;
    };
    if let Ok(null) = File::options().write(true).open("/dev/null") {
        let _ = daemon::point_stdout_and_stderr_at(null.as_fd());
    }
    drop(capture.writer);
    let (ended, changed) = &*capture.ended;
    let mut ended = lock(ended);
    while !*ended {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        ended = changed.wait_timeout(ended, left).unwrap_or_else(PoisonError::into_inner).0;
    }
}

/// Queues what comes through the pipe on the target, until no writer is left.
fn relay(mut pipe: File, target: &Target) {
    let mut buffer = vec![0; CHUNK];
    // For JSON: the start of a line whose end has not come through yet.
    let mut partial = Vec::new();
    loop {
        let read = match pipe.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let relay = lock(target).as_ref().map(|relay| (relay.output.clone(), relay.json));
        match relay {
            Some((output, true)) => {
                partial.extend_from_slice(&buffer[..read]);
                push_json_lines(&output, &mut partial);
            }
            Some((output, false)) => {
                output.push_bytes(std::mem::take(&mut partial));
                output.push_bytes(buffer[..read].to_vec());
            }
            None => {}
        }
    }
    if let (false, Some(relay)) = (partial.is_empty(), lock(target).as_ref()) {
        relay.output.push(super::format::json_stdio_line(&partial));
    }
}

/// Queues every whole line of `partial` as a JSON record and keeps the rest, unless it has grown
/// to [`CHUNK`]: then it goes out as a line too.
fn push_json_lines(output: &LogOutput, partial: &mut Vec<u8>) {
    let mut start = 0;
    while let Some(end) = partial[start..].iter().position(|b| *b == b'\n') {
        output.push(super::format::json_stdio_line(&partial[start..start + end]));
        start += end + 1;
    }
    partial.drain(..start);
    if partial.len() >= CHUNK {
        output.push(super::format::json_stdio_line(partial));
        partial.clear();
    }
}
