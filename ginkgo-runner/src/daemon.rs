//! Becoming a daemon: two forks, a new session, and a pipe that tells the parent how the
//! start went.
//!
//! Written here rather than taken from the `daemonize` crate, which is unmaintained (with an
//! unfixed soundness report) and has no way to report the daemon's readiness to its parent.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, dup2_stderr, dup2_stdin, dup2_stdout, fork, pipe, setsid};

use crate::Failure;

/// Which side of the fork we are on.
pub(crate) enum Forked {
    /// The original process: the daemon's start report.
    Parent(Result<u32, String>),
    /// The daemon: report through this when ready or failed.
    Daemon(StatusPipe),
}

/// The daemon's end of the pipe to the waiting parent.
pub(crate) struct StatusPipe(Option<File>);

impl StatusPipe {
    /// Tells the parent that the service is ready.
    pub(crate) fn ready(&mut self) {
        self.send(&format!("ready {}\n", std::process::id()));
    }

    /// Tells the parent that the start failed, and why.
    pub(crate) fn failed(&mut self, why: &str) {
        self.send(&format!("failed {}\n", why.replace('\n', " ")));
    }

    fn send(&mut self, line: &str) {
        if let Some(mut file) = self.0.take() {
            let _ = file.write_all(line.as_bytes());
        }
    }
}

/// Forks into a daemon. Must run before any other thread exists (forking copies only the
/// calling thread); it refuses otherwise.
pub(crate) fn daemonize() -> Result<Forked, Failure> {
    let threads = std::fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(1);
    if threads > 1 {
        return Err(Failure::failed(format!("cannot daemonize: {threads} threads are already running")));
    }
    let (reader, writer) = pipe().map_err(|err| Failure::failed(format!("cannot daemonize: pipe: {err}")))?;
    // SAFETY: the process has a single thread (checked above), so the child gets a consistent
    // copy of every lock and allocator state.
    #[allow(unsafe_code)]
    match unsafe { fork() }.map_err(|err| Failure::failed(format!("cannot daemonize: fork: {err}")))? {
        ForkResult::Parent { child } => {
            drop(writer);
            let _ = waitpid(child, None);
            Ok(Forked::Parent(read_report(reader)))
        }
        ForkResult::Child => {
            drop(reader);
            let _ = setsid();
            // SAFETY: still single-threaded, as above.
            #[allow(unsafe_code)]
            match unsafe { fork() } {
                Ok(ForkResult::Child) => Ok(Forked::Daemon(StatusPipe(Some(File::from(writer))))),
                // The middle process leaves at once, so the daemon is not a session leader and
                // can never acquire a controlling terminal.
                _ => std::process::exit(0),
            }
        }
    }
}

/// Reads the daemon's one-line report; a daemon that exits without one failed.
fn read_report(reader: OwnedFd) -> Result<u32, String> {
    let mut line = String::new();
    let _ = BufReader::new(File::from(reader)).read_line(&mut line);
    let line = line.trim_end();
    if let Some(pid) = line.strip_prefix("ready ") {
        return pid.parse().map_err(|_| format!("the daemon sent a bad report: {line}"));
    }
    match line.strip_prefix("failed ") {
        Some(why) => Err(why.to_string()),
        None => Err("the daemon exited before it was ready".to_string()),
    }
}

/// Points stdin at /dev/null and stdout and stderr at `log` (appending), or /dev/null.
pub(crate) fn redirect_stdio(log: Option<&Path>) -> Result<(), Failure> {
    let null = File::options().read(true).write(true).open("/dev/null");
    let null = null.map_err(|err| Failure::failed(format!("cannot open /dev/null: {err}")))?;
    let out = match log {
        Some(path) => crate::files::open_log(path)?,
        None => null.try_clone().map_err(|err| Failure::failed(format!("cannot open /dev/null: {err}")))?,
    };
    let redirected =
        dup2_stdin(null.as_fd()).and_then(|_| dup2_stdout(out.as_fd())).and_then(|_| dup2_stderr(out.as_fd()));
    redirected.map_err(|err| Failure::failed(format!("cannot redirect standard streams: {err}")))
}

/// Points stdout and stderr at `target` (logging's capture of a daemon's streams).
pub(crate) fn point_stdout_and_stderr_at(target: BorrowedFd<'_>) -> Result<(), Failure> {
    let pointed = dup2_stdout(target).and_then(|_| dup2_stderr(target));
    pointed.map_err(|err| Failure::failed(format!("cannot redirect standard streams: {err}")))
}
