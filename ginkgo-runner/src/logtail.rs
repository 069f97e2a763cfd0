//! `log` and `logtail`: show the log file, or its end and what is written next; a reader of
//! their output that goes away (`| head -1`) ends them quietly.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::Failure;

/// How many lines `logtail` shows before following.
const TAIL_LINES: usize = 20;

/// How often `logtail` looks for new lines: often enough to feel live, rarely enough to cost
/// nothing while the log is quiet.
const FOLLOW_POLL: Duration = Duration::from_millis(100);

fn open(path: &Path) -> Result<File, Failure> {
    File::open(path).map_err(|err| Failure::failed(format!("cannot read log file {}: {err}", path.display())))
}

/// Prints the whole log file. A reader that leaves before the end (`| head -1`) is no failure.
pub(crate) fn print(path: &Path) -> Result<u8, Failure> {
    let mut file = open(path)?;
    let mut out = std::io::stdout().lock();
    match std::io::copy(&mut file, &mut out).and_then(|_| out.flush()) {
        Ok(()) => Ok(0),
        Err(err) => ended(err),
    }
}

/// Prints the last lines, then every new line as it is written, until SIGINT or SIGTERM, or
/// until the reader of standard output goes away (exit 0 in each case). Follows the file across
/// rotation (a new file at the path, or a truncated one).
pub(crate) fn follow(path: &Path) -> Result<u8, Failure> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone())
            .map_err(|err| Failure::failed(format!("cannot install signal handlers: {err}")))?;
    }
    let mut file = open(path)?;
    let lines: Vec<String> = BufReader::new(&mut file).lines().map_while(Result::ok).collect();
    let tail: String = lines[lines.len().saturating_sub(TAIL_LINES)..].iter().map(|line| format!("{line}\n")).collect();
    if let Err(err) = show(tail.as_bytes()) {
        return ended(err);
    }
    let mut position = file.stream_position().unwrap_or(0);
    let mut inode = file.metadata().map(|m| m.ino()).unwrap_or(0);
    let mut buffer = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.ino() != inode || meta.len() < position {
                if let Ok(reopened) = File::open(path) {
                    file = reopened;
                    inode = meta.ino();
                    position = 0;
                }
            }
        }
        buffer.clear();
        let _ = file.seek(SeekFrom::Start(position));
        if let Ok(read) = file.read_to_end(&mut buffer) {
            if read > 0 {
                position += read as u64;
                if let Err(err) = show(&buffer) {
                    return ended(err);
                }
                continue;
            }
        }
        if reader_gone(FOLLOW_POLL) {
            return Ok(0);
        }
    }
    Ok(0)
}

fn show(bytes: &[u8]) -> io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

/// Printing stopped on `err`: the end of the command if the reader has gone, a failure if
/// anything else went wrong.
fn ended(err: io::Error) -> Result<u8, Failure> {
    match err.kind() {
        io::ErrorKind::BrokenPipe => Ok(0),
        _ => Err(Failure::failed(format!("cannot print the log: {err}"))),
    }
}

/// Waits up to `limit` for the reader of standard output to go away (a pipe's reading end
/// closed, a socket's peer gone); true if it has. A signal ends the wait early.
fn reader_gone(limit: Duration) -> bool {
    let stdout = std::io::stdout();
    let mut watched = [PollFd::new(stdout.as_fd(), PollFlags::empty())];
    let timeout = PollTimeout::try_from(limit).unwrap_or(PollTimeout::MAX);
    match poll(&mut watched, timeout) {
        Ok(ready) if ready > 0 => {
            watched[0].revents().is_some_and(|events| events.intersects(PollFlags::POLLERR | PollFlags::POLLHUP))
        }
        Ok(_) | Err(Errno::EINTR) => false,
        Err(_) => {
            std::thread::sleep(limit);
            false
        }
    }
}
