//! `Child`: a child process whose standard output is read line by line, killed if dropped.

use std::io::{self, BufRead, BufReader};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// A running child process. Its standard input is a pipe that [`finish`](Child::finish)
/// closes; its standard output is read by a thread of its own, so that waiting for a line can
/// have a deadline. Dropping it kills the process if it still runs.
#[derive(Debug)]
pub struct Child {
    process: std::process::Child,
    lines: mpsc::Receiver<String>,
}

impl Child {
    /// Spawns `command`, with standard input and output piped (standard error is left as the
    /// command has it).
    ///
    /// # Errors
    ///
    /// If the program cannot be started.
    pub fn spawn(mut command: Command) -> io::Result<Child> {
        let mut process = command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let stdout = process.stdout.take().expect("standard output is piped");
        let (tell, lines) = mpsc::channel();
        std::thread::Builder::new().name("child-stdout".into()).spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tell.send(line).is_err() {
                    break;
                }
            }
        })?;
        Ok(Child { process, lines })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Waits, at most `deadline`, for a line of output that starts with `prefix`, and returns
    /// the rest of it. Earlier lines are skipped.
    ///
    /// # Errors
    ///
    /// If the process ends its output first, or no such line comes in time.
    pub fn wait_for_line(&mut self, prefix: &str, deadline: Duration) -> io::Result<String> {
        let until = Instant::now() + deadline;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return Ok(rest.to_string());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, format!("no `{prefix}…` within {deadline:?}")));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.process.wait()?;
                    return Err(io::Error::other(format!("the process ended ({status}) before printing `{prefix}…`")));
                }
            }
        }
    }

    /// Sends `signal` to the process.
    ///
    /// # Errors
    ///
    /// If the signal cannot be sent.
    pub fn signal(&self, signal: Signal) -> io::Result<()> {
        let pid = Pid::from_raw(i32::try_from(self.pid()).map_err(io::Error::other)?);
        kill(pid, signal).map_err(io::Error::from)
    }

    /// Waits for the process to exit.
    ///
    /// # Errors
    ///
    /// If waiting fails.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        self.process.wait()
    }

    /// Closes the process's standard input (which tells `ginkgo-bench-server` to exit) and
    /// waits for it to exit.
    ///
    /// # Errors
    ///
    /// If waiting fails.
    pub fn finish(mut self) -> io::Result<ExitStatus> {
        drop(self.process.stdin.take());
        self.process.wait()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if let Ok(None) = self.process.try_wait() {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
    }
}
