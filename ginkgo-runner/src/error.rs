//! `Failure`: why a command did not succeed, and its exit code.

use std::fmt;

/// A command that failed: one line for the user and the exit code it ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    code: u8,
    message: String,
    /// A command line clap could not read: its whole report (the error, the usage line, where to
    /// find help), plain and styled.
    usage: Option<Box<(String, String)>>,
}

impl Failure {
    /// Bad usage or configuration; nothing was started (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure { code: 2, message: message.into(), usage: None }
    }

    /// Something was tried and failed (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Failure { code: 1, message: message.into(), usage: None }
    }

    /// The process is not running (exit 3, for `status`).
    pub fn not_running(message: impl Into<String>) -> Self {
        Failure { code: 3, message: message.into(), usage: None }
    }

    /// A command line that clap could not read, or that names no TARGET, or things that do not
    /// go together (exit 2): reported as clap reports it.
    pub(crate) fn command_line(err: &clap::Error) -> Self {
        let rendered = err.render();
        let (mut plain, mut styled) = (rendered.to_string(), rendered.ansi().to_string());
        // clap points to `--help` only when it handles the flag itself; the runner does (`-h
        // TARGET` lists the target's settings too).
        if !plain.contains("--help") {
            for text in [&mut plain, &mut styled] {
                text.push_str("\nFor more information, try '--help'.\n");
            }
        }
        let message = plain.lines().next().unwrap_or("bad arguments").trim_start_matches("error: ").to_string();
        Failure { code: 2, message, usage: Some(Box::new((plain, styled))) }
    }

    /// Not allowed, or (for `status`) the state cannot be told: exit 4, as LSB init scripts say
    /// "insufficient privilege" and "status unknown".
    pub(crate) fn denied(message: impl Into<String>) -> Self {
        Failure { code: 4, message: message.into(), usage: None }
    }

    /// The exit code.
    pub fn code(&self) -> u8 {
        self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For a command line clap could not read, clap's whole report, styled for a terminal if
    /// `styled`; `None` for other failures, which are one line.
    pub(crate) fn usage_text(&self, styled: bool) -> Option<&str> {
        self.usage.as_deref().map(|(plain, ansi)| if styled { ansi.as_str() } else { plain.as_str() })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// An error and its sources on one line.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}
