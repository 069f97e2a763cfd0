//! `log` and `logtail`: show the log file, or its end and what is written next.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::Failure;

/// How many lines `logtail` shows before following.
const TAIL_LINES: usize = 20;

/// How often `logtail` looks for new lines: often enough to feel live, rarely enough to cost
/// nothing while the log is quiet.
const FOLLOW_POLL: Duration = Duration::from_millis(100);

fn open(path: &Path) -> Result<File, Failure> {
    File::open(path).map_err(|err| Failure::failed(format!("cannot read log file {}: {err}", path.display())))
}

/// Prints the whole log file.
pub(crate) fn print(path: &Path) -> Result<u8, Failure> {
    let mut file = open(path)?;
    let mut out = std::io::stdout().lock();
    std::io::copy(&mut file, &mut out).map_err(|err| Failure::failed(format!("cannot print the log: {err}")))?;
    Ok(0)
}

/// Prints the last lines, then every new line as it is written, until SIGINT or SIGTERM (exit
/// 0). Follows the file across rotation (a new file at the path, or a truncated one).
pub(crate) fn follow(path: &Path) -> Result<u8, Failure> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone())
            .map_err(|err| Failure::failed(format!("cannot install signal handlers: {err}")))?;
    }
    let mut file = open(path)?;
    let mut out = std::io::stdout();
    let lines: Vec<String> = BufReader::new(&mut file).lines().map_while(Result::ok).collect();
    for line in &lines[lines.len().saturating_sub(TAIL_LINES)..] {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
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
                let _ = out.write_all(&buffer);
                let _ = out.flush();
                continue;
            }
        }
        std::thread::sleep(FOLLOW_POLL);
    }
    Ok(0)
}
