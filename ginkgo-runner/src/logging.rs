//! The process's logger: fern behind a switch, so a reload can rebuild it (and reopen files).

use std::sync::{OnceLock, RwLock};

use log::{LevelFilter, Log, Metadata, Record};

use crate::Failure;
use crate::plan::{LogPlan, parse_level};

/// The line format, after the original runner's: `2012-04-28 17:21:32,608    INFO service: …`.
const DEFAULT_FORMAT: &str = "{time} {level} {module}: {message}";

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

/// Installs (the first time) or replaces the process's logger. Files are opened anew each
/// time, so a reload after logrotate writes to the new file.
pub(crate) fn apply(plan: &LogPlan, logfile: Option<&std::path::Path>) -> Result<(), Failure> {
    install(build(plan, logfile)?)
}

/// A logger built, every output open, not yet installed: a reload builds the new one first and
/// installs it only if everything else of the reload can apply too.
pub(crate) struct Logger {
    level: LevelFilter,
    dispatch: Box<dyn Log>,
}

/// Installs (the first time) or replaces the process's logger.
pub(crate) fn install(logger: Logger) -> Result<(), Failure> {
    let Logger { level, dispatch } = logger;
    match SWITCH.get() {
        Some(switch) => {
            if let Ok(mut current) = switch.current.write() {
                *current = dispatch;
            }
        }
        None => {
            let switch: &'static Switch = Box::leak(Box::new(Switch { current: RwLock::new(dispatch) }));
            let _ = SWITCH.set(switch);
            log::set_logger(switch).map_err(|_| Failure::failed("a logger was already installed"))?;
        }
    }
    log::set_max_level(level);
    Ok(())
}

/// Flushes whatever the logger buffers.
pub(crate) fn flush() {
    log::logger().flush();
}

/// Builds the logger `plan` asks for, opening every output.
pub(crate) fn build(plan: &LogPlan, logfile: Option<&std::path::Path>) -> Result<Logger, Failure> {
    let detail = plan.detail.clone().unwrap_or_default();
    let level = match &detail.level {
        Some(level) => parse_level(level)?,
        None => plan.level,
    };
    let format = detail.format.clone().unwrap_or_else(|| DEFAULT_FORMAT.to_string());
    let mut dispatch = fern::Dispatch::new()
        .format(move |out, message, record| {
            let line = render(&format, record, message);
            out.finish(format_args!("{line}"))
        })
        .level(level);
    for (module, module_level) in &detail.levels {
        dispatch = dispatch.level_for(module.clone(), parse_level(module_level)?);
    }
    let outputs: Vec<String> = if detail.outputs.is_empty() {
        vec![logfile.map_or_else(|| "stderr".to_string(), |p| p.display().to_string())]
    } else {
        detail.outputs.clone()
    };
    for output in outputs {
        dispatch = match output.as_str() {
            "stderr" => dispatch.chain(std::io::stderr()),
            "stdout" => dispatch.chain(std::io::stdout()),
            path => dispatch.chain(crate::files::open_log(std::path::Path::new(path))?),
        };
    }
    let (_, log) = dispatch.into_log();
    let most_verbose = detail.levels.values().filter_map(|l| parse_level(l).ok()).fold(level, std::cmp::Ord::max);
    Ok(Logger { level: most_verbose, dispatch: log })
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
