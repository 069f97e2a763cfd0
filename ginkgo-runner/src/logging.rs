//! The process's logger: `tracing-subscriber` with a filter and a layer of ours, rebuilt (and
//! files reopened) on reload, all or nothing.
//!
//! Records from the `log` crate (the framework's, most libraries') come in through
//! `tracing-log`, so that they and `tracing`'s events and spans (axum's, hyper's, the
//! application's) go one way: through one filter (`RUST_LOG`, or else `loglevel` and
//! `logconfig`), into one [`Entry`](format::Entry) each, written as text or JSON (see `format`).
//! Each output (standard error, standard output, a file) is a queue with a writer thread of its
//! own (see `output`), so that a log that cannot be written never blocks, fails or kills the code
//! that logs: its lines are dropped, counted and reported once writing works again. A daemon's
//! own standard output and error, which go to its log file, pass through the log file's writer
//! too (see `capture`).

mod capture;
mod format;
mod layer;
mod output;

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use tracing_core::{Level, LevelFilter};
use tracing_log::AsLog;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

use crate::Failure;
use crate::plan::{LogPlan, parse_level};
use crate::settings::LogFormat;
use capture::Relay;
use format::{DEFAULT_TEMPLATE, Entry, LineFormat};
use layer::{Sink, SinkLayer};
use output::{LogOutput, Warning};

/// How many bytes of lines each output holds while its destination is slow or stalled; lines
/// that do not fit are dropped (and counted). Some ten thousand lines of the default format.
const QUEUE_BYTES: usize = 1 << 20;

/// How long, in all, a service process waits at exit for its log to be written out. A
/// destination that takes longer (a pipe nobody reads) loses the rest.
const EXIT_FLUSH: Duration = Duration::from_secs(2);

/// How many levels `ginkgoctl loglevel` may set for modules between two installs (reloads):
/// each one is a directive the filter keeps, so requests must not add them without end.
const MAX_LIVE_LEVELS: usize = 100;

/// The levels set live since the logger was last installed.
static LIVE_LEVELS: AtomicUsize = AtomicUsize::new(0);

/// The logger in place: what a reload replaces.
struct Installed {
    filter: reload::Handle<EnvFilter, Registry>,
    sink: Arc<RwLock<Arc<dyn Sink>>>,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

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
    let most_verbose = logger.filter.max_level_hint().unwrap_or(LevelFilter::TRACE);
    match INSTALLED.get() {
        Some(installed) => {
            // Its file outputs write what they hold, then end.
            let replaced = match installed.sink.write() {
                Ok(mut current) => Some(std::mem::replace(&mut *current, logger.sink)),
                Err(_) => None,
            };
            drop(replaced);
            if let Err(err) = installed.filter.reload(logger.filter) {
                log::error!(target: "runner", "the new log levels are not in force: {err}");
            }
        }
        None => {
            survive_file_size_limit()?;
            let (filter, handle) = reload::Layer::new(logger.filter);
            let sink = Arc::new(RwLock::new(logger.sink));
            let subscriber = Registry::default().with(filter).with(SinkLayer { sink: sink.clone() });
            let taken = || Failure::failed("a logger was already installed");
            tracing::subscriber::set_global_default(subscriber).map_err(|_| taken())?;
            tracing_log::LogTracer::init().map_err(|_| taken())?;
            let _ = INSTALLED.set(Installed { filter: handle, sink });
            log_panics();
        }
    }
    LIVE_LEVELS.store(0, Ordering::SeqCst);
    for (output, warning) in logger.warnings {
        output.set_warning(warning);
    }
    *lock(&LOGFILE) = logger.logfile_relay;
    // `log` records below the filter's most verbose level are not even made.
    log::set_max_level(most_verbose.as_log());
    if capture::was_started() {
        // A reload pointed standard output and error at the reopened log file again.
        if let Err(err) = capture::start(&LOGFILE) {
            log::error!(target: "runner", "{err}");
        }
    }
    Ok(())
}

/// Sets `level` in the installed filter, for everything (`module` none: the level `loglevel`
/// sets) or for `module` and the modules and targets below it (as `logconfig.levels` and
/// `RUST_LOG` set one), until the next install: a reload puts the configured levels back.
/// Returns the filter now in force, as `RUST_LOG` would spell it.
pub(crate) fn set_level_live(level: LevelFilter, module: Option<&str>) -> Result<String, String> {
    let installed = INSTALLED.get().ok_or("this process has no logger")?;
    let directive = match module {
        Some(module) => {
            let target = |c: char| c.is_ascii_alphanumeric() || "_:.-".contains(c);
            if module.is_empty() || module.len() > 256 || !module.chars().all(target) {
                return Err(format!("`{module}` is not a module path or log target"));
            }
            if LIVE_LEVELS.fetch_add(1, Ordering::SeqCst) >= MAX_LIVE_LEVELS {
                LIVE_LEVELS.fetch_sub(1, Ordering::SeqCst);
                return Err(format!("{MAX_LIVE_LEVELS} module levels are set already; a reload resets them"));
            }
            format!("{module}={level}")
        }
        None => level.to_string(),
    };
    let directive = directive.parse().map_err(|err| format!("`{directive}` is not a filter directive: {err}"))?;
    let unchanged = |err| format!("the level is unchanged: {err}");
    installed.filter.modify(|filter| *filter = std::mem::take(filter).add_directive(directive)).map_err(unchanged)?;
    let (most_verbose, text) = installed
        .filter
        .with_current(|filter| (filter.max_level_hint().unwrap_or(LevelFilter::TRACE), filter.to_string()))
        .map_err(unchanged)?;
    log::set_max_level(most_verbose.as_log());
    Ok(text)
}

/// From now on a daemon's standard output and error go through a pipe to the writer of
/// `logfile`, rather than straight to the file (see `capture`). After `apply`.
pub(crate) fn capture_stdio(logfile: &Path, format: LogFormat) -> Result<(), Failure> {
    {
        let mut slot = lock(&LOGFILE);
        if slot.is_none() {
            // `logconfig` sends the log lines elsewhere: the streams get a writer of their own.
            let file = crate::files::open_log(logfile)?;
            let line = line_format(format, DEFAULT_TEMPLATE, false);
            let output = Arc::new(start(Box::new(file), warning(&line))?);
            *slot = Some(Relay { output, json: format == LogFormat::Json });
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
    if INSTALLED.get().is_none() {
        return false;
    }
    let stderr = match capture::was_started() {
        true => lock(&LOGFILE).as_ref().map(|relay| relay.output.clone()),
        false => {
            let line = line_format(LogFormat::Text, DEFAULT_TEMPLATE, false);
            stream(&STDERR, Stream::Stderr, warning(&line)).ok()
        }
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

/// A logger built, every output open, not yet installed.
pub(crate) struct Logger {
    filter: EnvFilter,
    sink: Arc<dyn Sink>,
    /// Each output and how it reports its losses.
    warnings: Vec<(Arc<LogOutput>, Warning)>,
    /// The writer of the `logfile`, if there is one, for what a daemon's streams write.
    logfile_relay: Option<Relay>,
}

/// Builds the logger `plan` asks for, opening every output.
pub(crate) fn build(plan: &LogPlan, logfile: Option<&Path>) -> Result<Logger, Failure> {
    let detail = plan.detail.clone().unwrap_or_default();
    let filter = filter(plan)?;
    let template = detail.format.clone().unwrap_or_else(|| DEFAULT_TEMPLATE.to_string());
    let json = plan.format == LogFormat::Json;
    let names: Vec<String> = if detail.outputs.is_empty() {
        vec![logfile.map_or_else(|| "stderr".to_string(), |p| p.display().to_string())]
    } else {
        detail.outputs.clone()
    };
    let mut outputs = Outputs(Vec::new());
    let mut warnings = Vec::new();
    let mut logfile_relay = None;
    for name in names {
        let (output, line) = match name.as_str() {
            "stderr" => {
                let line = line_format(plan.format, &template, crate::console::stderr_has_colour());
                (stream(&STDERR, Stream::Stderr, warning(&line))?, line)
            }
            "stdout" => {
                let line = line_format(plan.format, &template, crate::console::stdout_has_colour());
                (stream(&STDOUT, Stream::Stdout, warning(&line))?, line)
            }
            path => {
                let line = line_format(plan.format, &template, false);
                let file = crate::files::open_log(Path::new(path))?;
                (Arc::new(start(Box::new(file), warning(&line))?), line)
            }
        };
        if logfile == Some(Path::new(&name)) {
            logfile_relay = Some(Relay { output: output.clone(), json });
        }
        warnings.push((output.clone(), warning(&line)));
        outputs.0.push((output, line));
    }
    if let (None, Some(path), true) = (&logfile_relay, logfile, capture::was_started()) {
        let line = line_format(plan.format, DEFAULT_TEMPLATE, false);
        let file = crate::files::open_log(path)?;
        let output = Arc::new(start(Box::new(file), warning(&line))?);
        logfile_relay = Some(Relay { output, json });
    }
    Ok(Logger { filter, sink: Arc::new(outputs), warnings, logfile_relay })
}

/// What passes: `RUST_LOG` when it is set, else `loglevel` (or `logconfig.level`) for
/// everything and `logconfig.levels` by target prefix.
fn filter(plan: &LogPlan) -> Result<EnvFilter, Failure> {
    if let Some(directives) = &plan.rust_log {
        return parse_rust_log(directives);
    }
    let detail = plan.detail.clone().unwrap_or_default();
    let level = match &detail.level {
        Some(level) => parse_level(level)?,
        None => plan.level,
    };
    let mut filter = EnvFilter::builder().with_default_directive(level.into()).parse_lossy("");
    for (module, module_level) in &detail.levels {
        filter = filter.add_directive(level_directive(module, module_level)?);
    }
    Ok(filter)
}

/// `RUST_LOG`'s directives, read as env_logger and `tracing-subscriber` read them.
pub(crate) fn parse_rust_log(directives: &str) -> Result<EnvFilter, Failure> {
    EnvFilter::builder()
        .with_regex(false)
        .parse(directives)
        .map_err(|err| Failure::usage(format!("environment variable RUST_LOG: `{directives}`: {err}")))
}

/// `logconfig.levels`'s `module = "level"`, as a directive.
pub(crate) fn level_directive(module: &str, level: &str) -> Result<tracing_subscriber::filter::Directive, Failure> {
    let bad = |why: String| Failure::usage(format!("setting `logconfig.levels.{module}`: {why}"));
    let level = parse_level(level).map_err(|_| bad(format!("`{level}` is not a level")))?;
    format!("{module}={level}").parse().map_err(|err| bad(format!("`{module}` is not a target: {err}")))
}

/// The line format of an output.
fn line_format(format: LogFormat, template: &str, colour: bool) -> LineFormat {
    match format {
        LogFormat::Text => LineFormat::Text { template: template.into(), colour },
        LogFormat::Json => LineFormat::Json,
    }
}

/// Every output, each in its line format.
struct Outputs(Vec<(Arc<LogOutput>, LineFormat)>);

impl Sink for Outputs {
    fn write(&self, entry: &Entry) {
        for (output, line) in &self.0 {
            output.push(line.render(entry));
        }
    }
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

/// The runner's warnings about an output (lines lost), in its line format.
fn warning(line: &LineFormat) -> Warning {
    let line = line.clone();
    Arc::new(move |message| {
        let entry = Entry {
            time: chrono::Local::now(),
            level: Level::WARN,
            target: "runner".into(),
            message: message.to_string(),
            fields: Vec::new(),
            spans: Vec::new(),
        };
        line.render(&entry)
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
