//! `Failure`: why a command did not succeed, and its exit code.

use std::fmt;

/// A command that failed: one line for the user and the exit code it ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// Bad usage or configuration; nothing was started (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure { code: 2, message: message.into() }
    }

    /// Something was tried and failed (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Failure { code: 1, message: message.into() }
    }

    /// The process is not running (exit 3, for `status`).
    pub fn not_running(message: impl Into<String>) -> Self {
        Failure { code: 3, message: message.into() }
    }

    /// Not allowed, or (for `status`) the state cannot be told: exit 4, as LSB init scripts say
    /// "insufficient privilege" and "status unknown".
    pub(crate) fn denied(message: impl Into<String>) -> Self {
        Failure { code: 4, message: message.into() }
    }

    /// The exit code.
    pub fn code(&self) -> u8 {
        self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
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
