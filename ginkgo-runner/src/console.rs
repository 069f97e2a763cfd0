//! What the command lines print: their messages on standard output and their last word on
//! standard error.
//!
//! A reader that has gone (`ginkgo --help | head -1`, `ginkgoctl status` into a closed pipe) or
//! any other failed write is not the command's failure: the message is dropped and the command
//! carries on to its own exit code. Rust ignores SIGPIPE, so such a write returns EPIPE, on
//! which `println!` would panic.

use std::io::Write;

/// Prints a line to standard output, like `println!`, but never panics.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::console::write_stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use say;

/// Writes `text` to standard output; a failure drops it.
pub(crate) fn write_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}

/// Writes `line` (and a newline) to standard error; a failure drops it. In a service process
/// it goes behind the log lines queued there, and waits for a stalled reader no longer than
/// the exit deadline (see `logging::write_stderr_at_exit`).
pub(crate) fn write_stderr(line: &str) {
    if !crate::logging::write_stderr_at_exit(line) {
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}

/// Whether what goes to standard error may be coloured: it is a terminal, and `NO_COLOR` does
/// not say otherwise.
pub(crate) fn stderr_has_colour() -> bool {
    use std::io::IsTerminal;
    colours(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR").as_deref())
}

/// Whether what goes to standard output may be coloured, as [`stderr_has_colour`].
pub(crate) fn stdout_has_colour() -> bool {
    use std::io::IsTerminal;
    colours(std::io::stdout().is_terminal(), std::env::var_os("NO_COLOR").as_deref())
}

/// Colour only on a terminal, and not when `NO_COLOR` is set to anything but the empty string
/// (no-color.org): never in a file or a pipe.
pub(crate) fn colours(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|value| value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_and_without_no_color() {
        assert!(colours(true, None));
        assert!(colours(true, Some("".as_ref())));
        assert!(!colours(true, Some("1".as_ref())));
        assert!(!colours(false, None));
        assert!(!colours(false, Some("".as_ref())));
    }
}
