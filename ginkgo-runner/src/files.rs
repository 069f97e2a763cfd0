//! The files the runner opens for writing on the service's behalf: today the log files (the
//! `logfile` setting, every `logconfig` output, and a daemon's standard output and error).

use std::fs::File;
use std::path::Path;

use crate::Failure;

/// Opens the log file at `path` for appending, creating it if it is missing.
pub(crate) fn open_log(path: &Path) -> Result<File, Failure> {
    File::options()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|err| Failure::failed(format!("cannot open log file {}: {err}", path.display())))
}
