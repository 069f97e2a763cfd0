//! The process's logger: fern behind a switch, so a reload can rebuild it (and reopen files).
//!
//! fern filters and formats; each output (standard error, standard output, a file) is a queue
//! with a writer thread of its own (see `output`), so that a log that cannot be written never
//! blocks, fails or kills the code that logs: its lines are dropped, counted and reported once
//! writing works again. A daemon's own standard output and error, which go to its log file,
//! pass through the log file's writer too (see `capture`).

mod capture;
mod output;

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::Failure;
use crate::plan::{LogPlan, parse_level};
use output::{LogOutput, Warning};

/// The line format, after the original runner's: `2012-04-28 17:21:32,608    INFO service: …`.
const DEFAULT_FORMAT: &str = "{time} {level} {module}: {message}";

/// How many bytes of lines each output holds while its destination is slow or stalled; lines
/// that do not fit are dropped (and counted). Some ten thousand lines of the default format.
const QUEUE_BYTES: usize = 1 << 20;

/// How long, in all, a service process waits at exit for its log to be written out. A
/// destination that takes longer (a pipe nobody reads) loses the rest.
const EXIT_FLUSH: Duration = Duration::from_secs(2);

/// Forwards to the current fern dispatch; installed once, swapped on reload.
struct Switch {
    current: RwLock<Box<dyn Log>>,
}

impl Log for Switch {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.current.read().is_ok_and(|log| log.enabled(metadata))
    }

    fn log(&self, record: &Record<'_>) {
        if let Ok(log) = self.current.read() {
            log.log(record);
        }
    }

    fn flush(&self) {
        if let Ok(log) = self.current.read() {
            log.flush();
        }
    }
}

static SWITCH: OnceLock<&'static Switch> = OnceLock::new();

/// The writers of standard error and output: one each for the life of the process, whatever
/// reloads do, so that two threads never write to one pipe.
static STDERR: Mutex<Option<Arc<LogOutput>>> = Mutex::new(None);
static STDOUT: Mutex<Option<Arc<LogOutput>>> = Mutex::new(None);

/// The writer of the `logfile`, where a daemon's captured standard output and error go.
static LOGFILE: capture::Target = Mutex::new(None);

/// Set by the first look at it during the exit.
static EXIT_DEADLINE: OnceLock<Instant> = OnceLock::new();

/// Installs (the first time) or replaces the process's logger. Files are opened anew each
/// time, so a reload after logrotate writes to the new file.
pub(crate) fn apply(plan: &LogPlan, logfile: Option<&Path>) -> Result<(), Failure> {
    install(build(plan, logfile)?)
}

/// Installs (the first time) or replaces the process's logger with `logger`, built by
/// [`build`]: a reload builds the new one first, and installs it only if everything else of the
/// reload can apply too.
pub(crate) fn install(logger: Logger) -> Result<(), Failure> {
    let built = logger;
    match SWITCH.get() {
        Some(switch) => {
            if let Ok(mut current) = switch.current.write() {
                let replaced = std::mem::replace(&mut *current, built.log);
                drop(current);
                // Its file outputs write what they hold, then end.
                drop(replaced);
            }
        }
        None => {
            survive_file_size_limit()?;
            let switch: &'static Switch = Box::leak(Box::new(Switch { current: RwLock::new(built.log) }));
            let _ = SWITCH.set(switch);
            log::set_logger(switch).map_err(|_| Failure::failed("a logger was already installed"))?;
            log_panics();
        }
    }
    for output in &built.outputs {
        output.set_warning(built.warning.clone());
    }
    *lock(&LOGFILE) = built.logfile_output;
    log::set_max_level(built.level);
    if capture::was_started() {
        // A reload pointed standard output and error at the reopened log file again.
        if let Err(err) = capture::start(&LOGFILE) {
            log::error!(target: "runner", "{err}");
        }
    }
    Ok(())
}

/// From now on a daemon's standard output and error go through a pipe to the writer of
/// `logfile`, rather than straight to the file (see `capture`). After `apply`.
pub(crate) fn capture_stdio(logfile: &Path) -> Result<(), Failure> {
    {
        let mut slot = lock(&LOGFILE);
        if slot.is_none() {
            // `logconfig` sends the log lines elsewhere: the streams get a writer of their own.
            let file = crate::files::open_log(logfile)?;
            *slot = Some(Arc::new(start(Box::new(file), warning(DEFAULT_FORMAT))?));
        }
    }
    capture::start(&LOGFILE)
}

/// Writes out what every output holds, waiting no longer than the exit deadline: for the end
/// of a service process.
pub(crate) fn flush_at_exit() {
    let deadline = exit_deadline();
    output::wait_all_written(deadline);
    // What went through standard output and error is queued last.
    capture::end(deadline);
    output::wait_all_written(deadline);
}

/// Writes `line` (and a newline) to standard error at the end of a service process: after the
/// log lines queued there, within the exit deadline, and never failing. False when this
/// process has no logger (a command line), which then writes the line itself.
pub(crate) fn write_stderr_at_exit(line: &str) -> bool {
    if SWITCH.get().is_none() {
        return false;
    }
    let stderr = match capture::was_started() {
        true => lock(&LOGFILE).clone(),
        false => stream(&STDERR, Stream::Stderr, warning(DEFAULT_FORMAT)).ok(),
    };
    if let Some(stderr) = stderr {
        stderr.push(line);
        stderr.wait_written(exit_deadline());
    }
    true
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn exit_deadline() -> Instant {
    *EXIT_DEADLINE.get_or_init(|| Instant::now() + EXIT_FLUSH)
}

/// A logger built, every output open, not yet installed; and the outputs it writes to.
pub(crate) struct Logger {
    level: LevelFilter,
    log: Box<dyn Log>,
    outputs: Vec<Arc<LogOutput>>,
    /// The writer of the `logfile`, if there is one.
    logfile_output: Option<Arc<LogOutput>>,
    warning: Warning,
}

/// Builds the logger `plan` asks for, opening every output.
pub(crate) fn build(plan: &LogPlan, logfile: Option<&Path>) -> Result<Logger, Failure> {
    let detail = plan.detail.clone().unwrap_or_default();
    let level = match &detail.level {
        Some(level) => parse_level(level)?,
        None => plan.level,
    };
    let format = detail.format.clone().unwrap_or_else(|| DEFAULT_FORMAT.to_string());
    let warning = warning(&format);
    let mut dispatch = fern::Dispatch::new()
        .format(move |out, message, record| {
            let line = render(&format, record, message);
            out.finish(format_args!("{line}"))
        })
        .level(level);
    for (module, module_level) in &detail.levels {
        dispatch = dispatch.level_for(module.clone(), parse_level(module_level)?);
    }
    let names: Vec<String> = if detail.outputs.is_empty() {
        vec![logfile.map_or_else(|| "stderr".to_string(), |p| p.display().to_string())]
    } else {
        detail.outputs.clone()
    };
    let mut outputs = Vec::new();
    let mut logfile_output = None;
    for name in names {
        let output = match name.as_str() {
            "stderr" => stream(&STDERR, Stream::Stderr, warning.clone())?,
            "stdout" => stream(&STDOUT, Stream::Stdout, warning.clone())?,
            path => {
                let file = crate::files::open_log(Path::new(path))?;
                Arc::new(start(Box::new(file), warning.clone())?)
            }
        };
        dispatch = dispatch.chain(Box::new(Queued(output.clone())) as Box<dyn Log>);
        if logfile == Some(Path::new(&name)) {
            logfile_output = Some(output.clone());
        }
        outputs.push(output);
    }
    if let (None, Some(path), true) = (&logfile_output, logfile, capture::was_started()) {
        let file = crate::files::open_log(path)?;
        logfile_output = Some(Arc::new(start(Box::new(file), warning.clone())?));
    }
    let (_, log) = dispatch.into_log();
    let most_verbose = detail.levels.values().filter_map(|l| parse_level(l).ok()).fold(level, std::cmp::Ord::max);
    Ok(Logger { level: most_verbose, log, outputs, logfile_output, warning })
}

fn start(destination: Box<dyn Write + Send>, warning: Warning) -> Result<LogOutput, Failure> {
    LogOutput::start(destination, QUEUE_BYTES, warning)
        .map_err(|err| Failure::failed(format!("cannot start a log writer thread: {err}")))
}

/// The writer of a standard stream, started the first time it is asked for.
fn stream(slot: &Mutex<Option<Arc<LogOutput>>>, stream: Stream, warning: Warning) -> Result<Arc<LogOutput>, Failure> {
    let mut slot = lock(slot);
    if let Some(output) = slot.as_ref() {
        return Ok(output.clone());
    }
    let output = Arc::new(start(Box::new(stream), warning)?);
    *slot = Some(output.clone());
    Ok(output)
}

/// A fern output that queues each formatted line on a [`LogOutput`].
struct Queued(Arc<LogOutput>);

impl Log for Queued {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &Record<'_>) {
        self.0.push(record.args());
    }

    fn flush(&self) {
        self.0.wait_written(Instant::now() + EXIT_FLUSH);
    }
}

/// Standard error or output, written with `write(2)` on its descriptor: no buffer of std's in
/// between, which would keep a failed line and write it out later, and no lock shared with
/// `println!`. A daemon's streams are the pipe to its log file's writer (see `capture`).
#[derive(Clone, Copy)]
enum Stream {
    Stderr,
    Stdout,
}

impl Write for Stream {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = match self {
            Stream::Stderr => nix::unistd::write(io::stderr(), bytes),
            Stream::Stdout => nix::unistd::write(io::stdout(), bytes),
        };
        written.map_err(io::Error::from)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The runner's warnings about an output (lines lost), in `format`.
fn warning(format: &str) -> Warning {
    let format = format.to_string();
    Arc::new(move |message| {
        let args = format_args!("{message}");
        let record = Record::builder().level(Level::Warn).target("runner").args(args).build();
        render(&format, &record, record.args())
    })
}

/// A log file reaching a file size limit (`RLIMIT_FSIZE`: `ulimit -f`, systemd's
/// `LimitFSIZE=`) would have SIGXFSZ kill the process. With the signal caught the write fails
/// with EFBIG instead, and the line is dropped and counted as on a full disk; the service's own
/// writes past the limit fail the same way, rather than end the process. The flag is unused: a
/// handler is what turns the signal into an error.
fn survive_file_size_limit() -> Result<(), Failure> {
    let caught = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGXFSZ, caught)
        .map(drop)
        .map_err(|err| Failure::failed(format!("cannot install a handler for SIGXFSZ: {err}")))
}

/// Panics go to the log (as errors, under the target `panic`) rather than straight to
/// standard error, where the default hook would block the panicking thread on a pipe nobody
/// reads.
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("Box<dyn Any>");
        let location = info.location().map_or_else(String::new, |at| format!(" at {at}"));
        let backtrace = std::backtrace::Backtrace::capture();
        let backtrace = match backtrace.status() {
            std::backtrace::BacktraceStatus::Captured => format!("\nstack backtrace:\n{backtrace}"),
            _ => String::new(),
        };
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        log::error!(target: "panic", "thread '{name}' panicked{location}: {message}{backtrace}");
    }));
}

/// Fills `{time}`, `{level}` (right-aligned to 7), `{module}` (the last part of the target),
/// `{target}` and `{message}`.
fn render(format: &str, record: &Record<'_>, message: &std::fmt::Arguments<'_>) -> String {
    let target = record.target();
    let module = target.rsplit("::").next().unwrap_or(target);
    let time = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f").to_string();
    format
        .replace("{time}", &time)
        .replace("{level}", &format!("{:>7}", record.level()))
        .replace("{module}", module)
        .replace("{target}", target)
        .replace("{message}", &message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_line_looks_like_the_original() {
        let args = format_args!("Starting up!");
        let record = Record::builder().level(log::Level::Info).target("ginkgo_examples::service").args(args).build();
        let line = render(DEFAULT_FORMAT, &record, record.args());
        let (time, rest) = line.split_at(23);
        assert_eq!(rest, "    INFO service: Starting up!");
        assert_eq!(time.as_bytes()[19], b',');
        assert!(time[..19].chars().all(|c| c.is_ascii_digit() || "- :".contains(c)), "{time}");
    }
}
