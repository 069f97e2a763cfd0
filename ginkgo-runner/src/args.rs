//! The command lines, parsed: no system access here.
//!
//! Both follow clap's conventions: `-h`/`--help`, `-V`/`--version` (and the manual's `-v`), a
//! usage error reported with the usage line and a pointer to `--help`, exit 2. The
//! application's own arguments ([`App::arg`]) join the runner's.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::time::Duration;

use clap::builder::{PossibleValue, StyledStr};
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, Command, ValueHint};
use clap_complete::Shell;

use crate::settings::MAX_WAIT_SECONDS;
use crate::{App, Failure, app};

/// What either command is asked besides its real work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meta {
    /// `-h`, `--help`: the help (with a TARGET, the run command adds its settings).
    Help,
    /// `-V`, `--version`, `-v`.
    Version,
    /// `--man`: the manual page, in roff.
    Man,
    /// `--completions SHELL`: a completion script.
    Completions(Shell),
}

/// `NAME [OPTIONS] [TARGET]`: run a service.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct RunArgs {
    pub(crate) meta: Option<Meta>,
    pub(crate) daemonize: bool,
    pub(crate) sets: Vec<String>,
    /// The TARGET given, or else the application's default.
    pub(crate) target: Option<String>,
}

/// The command that runs a service.
pub(crate) fn run_command(app: &App) -> Command {
    let target = Arg::new("target")
        .value_name("TARGET")
        .value_hint(ValueHint::AnyPath)
        .help("A registered service (see below) or a config file (.toml, .json) whose `service` key names one");
    let target = match &app.default_target {
        Some(default) => target.help(format!("What to run [default: {default}]")),
        None => target.required_unless_present_any(META),
    };
    let command = Command::new(app.name.clone())
        .arg(target)
        .arg(Arg::new("daemonize").short('d').long("daemonize").action(ArgAction::SetTrue).help("Run as a daemon"))
        .arg(set_arg().help("Set a setting, over the config file and the environment"))
        .args(app.args.iter().cloned())
        .args(meta_args("Print help; with a TARGET, also its settings and their values"))
        .after_help(run_after_help(app));
    branded(command, app)
}

impl RunArgs {
    pub(crate) fn parse(app: &App, argv: Vec<OsString>) -> Result<Self, Failure> {
        let matches = read(run_command(app), argv)?;
        let args = RunArgs {
            meta: meta(&matches),
            daemonize: matches.get_flag("daemonize"),
            sets: strings(&matches, "set"),
            target: matches.get_one::<String>("target").cloned().or_else(|| app.default_target.clone()),
        };
        app::keep_matches(matches);
        Ok(args)
    }
}

/// What the control command is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Start,
    Stop,
    Restart,
    Reload,
    Status,
    LogLevel,
    Settings,
    Upgrade,
    Log,
    Logtail,
}

impl Action {
    const ALL: [(&'static str, Action, &'static str); 10] = [
        ("start", Action::Start, "Start the service as a daemon, and wait until it is ready"),
        ("stop", Action::Stop, "Send SIGTERM and wait for the process to exit"),
        ("restart", Action::Restart, "Check everything start checks, then stop, then start"),
        ("reload", Action::Reload, "Check the configuration, then have the daemon reload it and say how that went"),
        ("status", Action::Status, "Say whether the daemon is running, and show its tree of services"),
        ("loglevel", Action::LogLevel, "LEVEL [MODULE]: log at LEVEL (all, or MODULE and below) until the next reload"),
        ("settings", Action::Settings, "Show every setting in force in the daemon, and where its value came from"),
        (
            "upgrade",
            Action::Upgrade,
            "Start the program again from its file with the listening sockets; once it is ready, the old process drains and exits",
        ),
        ("log", Action::Log, "Print the log file"),
        ("logtail", Action::Logtail, "Print the end of the log file, then every new line"),
    ];

    fn parse(word: &str) -> Option<Action> {
        Action::ALL.iter().find(|(name, ..)| *name == word).map(|(_, action, _)| *action)
    }

    pub(crate) fn name(self) -> &'static str {
        Action::ALL.iter().find(|(_, action, _)| *action == self).map_or("", |(name, ..)| name)
    }

    pub(crate) fn needs_target(self) -> bool {
        matches!(self, Action::Start | Action::Restart | Action::Log | Action::Logtail)
    }

    fn names() -> String {
        Action::ALL.map(|(name, ..)| name).join(", ")
    }
}

/// `NAMEctl [OPTIONS] [TARGET] ACTION [ARGS]...`: control a daemon.
#[derive(Debug, PartialEq)]
pub(crate) struct CtlArgs {
    pub(crate) meta: Option<Meta>,
    pub(crate) pid: Option<String>,
    pub(crate) force: bool,
    /// `--json`: `status` and `settings` print one JSON document.
    pub(crate) json: bool,
    /// `loglevel`'s LEVEL and MODULE.
    pub(crate) log_level: Option<LogLevelArgs>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) sets: Vec<String>,
    /// The TARGET given, or else (without `-p`) the application's default.
    pub(crate) target: Option<String>,
    /// Always there unless `meta` is.
    pub(crate) action: Option<Action>,
}

/// `loglevel LEVEL [MODULE]`, the level checked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LogLevelArgs {
    pub(crate) level: String,
    pub(crate) module: Option<String>,
}

/// The ACTION word. Any word is taken here: without a TARGET the words shift (`-p FILE
/// loglevel debug`), so the check waits for [`CtlArgs::parse`]. The actions are still offered
/// to shell completion.
#[derive(Clone)]
struct ActionWord;

impl clap::builder::TypedValueParser for ActionWord {
    type Value = String;

    fn parse_ref(&self, _: &Command, _: Option<&Arg>, value: &std::ffi::OsStr) -> Result<String, clap::Error> {
        value.to_str().map(String::from).ok_or_else(|| clap::Error::new(ErrorKind::InvalidUtf8))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(Action::ALL.into_iter().map(|(name, _, help)| PossibleValue::new(name).help(help))))
    }
}

/// The control command.
pub(crate) fn ctl_command(app: &App) -> Command {
    let command = Command::new(app.ctl_name.clone())
        .override_usage(format!("{} [OPTIONS] [TARGET] <ACTION> [ARGS]...", app.ctl_name))
        .arg(Arg::new("target").value_name("TARGET").value_hint(ValueHint::AnyPath).help(match &app.default_target {
            Some(default) => format!("The daemon's registered service or config file [default: {default}]"),
            None => "The daemon's registered service or config file, as given to start it".to_string(),
        }))
        .arg(
            Arg::new("action")
                .value_name("ACTION")
                .value_parser(ActionWord)
                .hide_possible_values(true)
                .help("What to do (see Actions below)"),
        )
        .arg(Arg::new("arguments").value_name("ARGS").num_args(0..).help("For loglevel: LEVEL [MODULE]"))
        .arg(
            Arg::new("pid")
                .short('p')
                .long("pid")
                .value_name("PID|PIDFILE")
                .value_hint(ValueHint::FilePath)
                .value_parser(pid_or_pidfile)
                .help("For stop, reload, upgrade, status, loglevel and settings: a pid, or a pidfile to read it from,\ninstead of a TARGET (loglevel, settings and status's tree need the pidfile: the control socket is beside it)"),
        )
        .arg(
            Arg::new("force")
                .long("force")
                .action(ArgAction::SetTrue)
                .help("For stop: send SIGKILL if the process outlives the timeout"),
        )
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("For status and settings: print one JSON document, for scripts"),
        )
        .arg(
            Arg::new("timeout").long("timeout").value_name("SECONDS").value_parser(seconds).help(format!(
                "For stop and restart: how long to wait for the process to exit (0 to {MAX_WAIT_SECONDS})"
            )),
        )
        .arg(set_arg().help(format!("Set a setting, as for {}", app.name)))
        .args(app.args.iter().cloned())
        .args(meta_args("Print help"))
        .after_help(ctl_after_help(app));
    let command = branded(command, app);
    // Not the run command's description.
    command.about(format!("Starts, stops, reloads and watches {} daemons", app.name))
}

impl CtlArgs {
    pub(crate) fn parse(app: &App, argv: Vec<OsString>) -> Result<Self, Failure> {
        let command = ctl_command(app);
        let matches = read(command.clone(), argv)?;
        let words: Vec<String> =
            ["target", "action", "arguments"].iter().flat_map(|id| strings(&matches, id)).collect();
        // One word is the action; so is a first word that names one (no TARGET, as with -p).
        let (target, action, arguments) = match words.split_first() {
            Some((first, rest)) if rest.is_empty() || Action::parse(first).is_some() => {
                (None, Some(first.clone()), rest.to_vec())
            }
            Some((first, rest)) => (Some(first.clone()), rest.first().cloned(), rest[1..].to_vec()),
            None => (None, None, Vec::new()),
        };
        let meta = meta(&matches);
        let pid = matches.get_one::<String>("pid").cloned();
        let error = |kind, message: String| Failure::command_line(&command.clone().error(kind, message));
        let action = match (&action, meta) {
            (_, Some(_)) => None,
            (None, None) => {
                return Err(error(
                    ErrorKind::MissingRequiredArgument,
                    format!("no ACTION given ({})", Action::names()),
                ));
            }
            (Some(word), None) => Some(Action::parse(word).ok_or_else(|| {
                error(ErrorKind::InvalidValue, format!("invalid action '{word}' (choose from {})", Action::names()))
            })?),
        };
        let log_level = match action {
            Some(action) => action_arguments(action, &arguments).map_err(|(kind, message)| error(kind, message))?,
            None => None,
        };
        let json = matches.get_flag("json");
        if json && !matches!(action, Some(Action::Status | Action::Settings) | None) {
            return Err(error(ErrorKind::ArgumentConflict, "--json goes with status and settings".into()));
        }
        if pid.is_some() && target.is_some() {
            return Err(error(ErrorKind::ArgumentConflict, "give either a TARGET or -p, not both".into()));
        }
        let target = target.or_else(|| pid.is_none().then(|| app.default_target.clone()).flatten());
        if let (Some(action), None) = (action, &target) {
            if action.needs_target() {
                return Err(error(ErrorKind::MissingRequiredArgument, format!("{} needs a TARGET", action.name())));
            }
            if pid.is_none() {
                return Err(error(ErrorKind::MissingRequiredArgument, "give a TARGET or -p PID|PIDFILE".into()));
            }
        }
        let args = CtlArgs {
            meta,
            pid,
            force: matches.get_flag("force"),
            json,
            log_level,
            timeout: matches.get_one::<Duration>("timeout").copied(),
            sets: strings(&matches, "set"),
            target,
            action,
        };
        app::keep_matches(matches);
        Ok(args)
    }
}

/// The words after ACTION: `loglevel`'s LEVEL (checked) and MODULE; no other action takes any.
fn action_arguments(action: Action, words: &[String]) -> Result<Option<LogLevelArgs>, (ErrorKind, String)> {
    const LEVELS: &str = "trace, debug, info, warn, error, off";
    match (action, words) {
        (Action::LogLevel, [level, module @ ..]) if module.len() <= 1 => {
            crate::plan::parse_level(level)
                .map_err(|_| (ErrorKind::InvalidValue, format!("invalid level '{level}' for loglevel ({LEVELS})")))?;
            Ok(Some(LogLevelArgs { level: level.clone(), module: module.first().cloned() }))
        }
        (Action::LogLevel, []) => {
            Err((ErrorKind::MissingRequiredArgument, format!("loglevel needs a LEVEL ({LEVELS}) and maybe a MODULE")))
        }
        (action, [_, ..]) => {
            // `loglevel` gets here with a third word; any other action with its first.
            let extra = if action == Action::LogLevel { &words[2] } else { &words[0] };
            Err((ErrorKind::UnknownArgument, format!("unexpected argument '{extra}' for {}", action.name())))
        }
        (_, []) => Ok(None),
    }
}

/// The flags that ask a command about itself, which need no TARGET.
const META: [&str; 4] = ["help", "version", "man", "completions"];

fn meta_args(help: &'static str) -> [Arg; 4] {
    [
        Arg::new("completions")
            .long("completions")
            .value_name("SHELL")
            .value_parser(clap::value_parser!(Shell))
            .help("Print a completion script for SHELL"),
        Arg::new("man").long("man").action(ArgAction::SetTrue).help("Print the manual page, in roff (for man -l -)"),
        Arg::new("help").short('h').long("help").action(ArgAction::SetTrue).help(help),
        Arg::new("version")
            .short('V')
            .short_alias('v')
            .long("version")
            .action(ArgAction::SetTrue)
            .help("Print the name and version (also -v)"),
    ]
}

fn meta(matches: &ArgMatches) -> Option<Meta> {
    if matches.get_flag("help") {
        Some(Meta::Help)
    } else if matches.get_flag("version") {
        Some(Meta::Version)
    } else if matches.get_flag("man") {
        Some(Meta::Man)
    } else {
        matches.get_one::<Shell>("completions").map(|shell| Meta::Completions(*shell))
    }
}

fn set_arg() -> Arg {
    Arg::new("set").long("set").value_name("KEY=VALUE").action(ArgAction::Append)
}

/// The name, version and description, and the runner's own help and version flags.
fn branded(command: Command, app: &App) -> Command {
    let command = command.disable_help_flag(true).disable_version_flag(true).color(clap::ColorChoice::Never);
    let command = match &app.version {
        Some(version) => command.version(version.clone()),
        None => command,
    };
    match &app.about {
        Some(about) => command.about(about.clone()),
        None => command,
    }
}

/// Parses `argv`; clap's error, as clap reports it, for a command line it cannot read.
fn read(command: Command, argv: Vec<OsString>) -> Result<ArgMatches, Failure> {
    command.try_get_matches_from(argv).map_err(|err| Failure::command_line(&err))
}

fn strings(matches: &ArgMatches, id: &str) -> Vec<String> {
    matches.get_many::<String>(id).map(|values| values.cloned().collect()).unwrap_or_default()
}

/// The end of the run command's help: what it can run, the environment, the exit codes.
fn run_after_help(app: &App) -> StyledStr {
    let mut text = StyledStr::new();
    let header = clap::builder::Styles::default().get_header().bold().underline();
    let _ = writeln!(text, "{header}Registered services:{header:#}");
    for name in app.registry.names() {
        let default = app.default_target.as_deref().map(crate::registry::normalize);
        let note = if default.as_deref() == Some(name) { " (the default)" } else { "" };
        let _ = writeln!(text, "  {name}{note}");
    }
    environment(&mut text, app, header);
    let _ = write!(
        text,
        "\n{header}Exit status:{header:#} 0 success, 1 failure, 2 usage or configuration error (nothing started),\n\
         130 a second SIGINT while stopping"
    );
    text
}

/// The end of the control command's help: the environment and the exit codes.
fn ctl_after_help(app: &App) -> StyledStr {
    let mut text = StyledStr::new();
    let header = clap::builder::Styles::default().get_header().bold().underline();
    let _ = writeln!(text, "{header}Actions:{header:#}");
    for (name, _, help) in Action::ALL {
        let _ = writeln!(text, "  {name:<9} {help}");
    }
    environment(&mut text, app, header);
    let _ = write!(
        text,
        "\n{header}Exit status,{header:#} as LSB init scripts: 0 success, 1 failure, 2 usage or configuration error,\n\
         4 not allowed, 7 reload, upgrade, loglevel, settings: not running; status: 0 running, 1 stale pidfile,\n\
         3 not running, 4 unknown"
    );
    text
}

fn environment(text: &mut StyledStr, app: &App, header: clap::builder::styling::Style) {
    let prefix = &app.env_prefix;
    let setting = format!("{prefix}<SETTING>");
    let width = setting.len().max("RUST_LOG".len());
    let _ = writeln!(text, "\n{header}Environment:{header:#}");
    let _ = writeln!(
        text,
        "  {setting:<width$}  Set a setting, over the config file: {prefix}LOGLEVEL=debug\n  \
         {:<width$}  ({prefix}A__B sets a.b)",
        ""
    );
    let _ = writeln!(
        text,
        "  {:<width$}  Filter the log as env_logger does (info,my_crate=debug); wins over loglevel",
        "RUST_LOG"
    );
    let _ = writeln!(text, "  {:<width$}  No colour, even on a terminal", "NO_COLOR");
}

/// The largest number `kill` takes as a pid (`pid_t` is an `i32`). 0 and the negative numbers
/// name process groups, never one process.
const MAX_PID: u64 = i32::MAX as u64;

/// `-p`: a number is a pid from 1 to [`MAX_PID`]; anything else names a pidfile.
fn pid_or_pidfile(text: &str) -> Result<String, String> {
    match text.parse::<u64>() {
        Ok(number) if !(1..=MAX_PID).contains(&number) => Err(format!("not a pid (1 to {MAX_PID})")),
        _ => Ok(text.to_string()),
    }
}

/// A number of seconds from 0 to [`MAX_WAIT_SECONDS`].
fn seconds(text: &str) -> Result<Duration, String> {
    let bad = || format!("not a number of seconds from 0 to {MAX_WAIT_SECONDS}");
    match text.trim().parse::<f64>() {
        Ok(seconds) if (0.0..=MAX_WAIT_SECONDS).contains(&seconds) => {
            Duration::try_from_secs_f64(seconds).map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;

    fn words(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    fn ginkgo() -> App {
        App::ginkgo(Registry::new())
    }

    #[test]
    fn the_commands_are_well_formed() {
        run_command(&ginkgo()).debug_assert();
        ctl_command(&ginkgo()).debug_assert();
        let app = ginkgo().default_target("a.B").arg(Arg::new("extra").long("extra"));
        run_command(&app).debug_assert();
        ctl_command(&app).debug_assert();
    }

    #[test]
    fn run_flags_and_target() {
        let args = RunArgs::parse(&ginkgo(), words("ginkgo -d --set a=1 --set b.c=x service.conf.toml")).unwrap();
        assert!(args.daemonize && args.meta.is_none());
        assert_eq!(args.sets, ["a=1", "b.c=x"]);
        assert_eq!(args.target.as_deref(), Some("service.conf.toml"));
        for version in ["-v", "-V", "--version"] {
            assert_eq!(
                RunArgs::parse(&ginkgo(), words(&format!("ginkgo {version}"))).unwrap().meta,
                Some(Meta::Version)
            );
        }
        let args = RunArgs::parse(&ginkgo(), words("ginkgo --completions zsh")).unwrap();
        assert_eq!(args.meta, Some(Meta::Completions(Shell::Zsh)));
    }

    #[test]
    fn usage_errors_are_clap_s_report_and_exit_2() {
        for line in ["ginkgo --bogus", "ginkgo", "ginkgo -d", "ginkgo --completions tcsh"] {
            let err = RunArgs::parse(&ginkgo(), words(line)).unwrap_err();
            assert_eq!(err.code(), 2, "{line}");
            let text = err.usage_text(false).unwrap();
            assert!(text.starts_with("error: "), "{line}: {text}");
            // clap gives the usage line with every error but a bad value.
            assert!(text.contains("\n\nUsage: ginkgo ") || line.contains("tcsh"), "{line}: {text}");
            assert!(text.ends_with("For more information, try '--help'.\n"), "{line}: {text}");
        }
        let err = RunArgs::parse(&ginkgo(), words("ginkgo")).unwrap_err();
        assert!(err.message().contains("required arguments were not provided"), "{err}");
    }

    #[test]
    fn a_default_target_makes_the_target_optional() {
        let app = ginkgo().default_target("a.B");
        assert_eq!(RunArgs::parse(&app, words("ginkgo")).unwrap().target.as_deref(), Some("a.B"));
        assert_eq!(RunArgs::parse(&app, words("ginkgo c.D")).unwrap().target.as_deref(), Some("c.D"));
        let ctl = CtlArgs::parse(&app, words("ginkgoctl status")).unwrap();
        assert_eq!((ctl.target.as_deref(), ctl.action), (Some("a.B"), Some(Action::Status)));
        let ctl = CtlArgs::parse(&app, words("ginkgoctl -p 42 status")).unwrap();
        assert_eq!((ctl.target, ctl.pid.as_deref()), (None, Some("42")));
    }

    #[test]
    fn ctl_target_is_optional_before_the_action() {
        let args = CtlArgs::parse(&ginkgo(), words("ginkgoctl hello.HelloWorld status")).unwrap();
        assert_eq!((args.target.as_deref(), args.action), (Some("hello.HelloWorld"), Some(Action::Status)));
        let args = CtlArgs::parse(&ginkgo(), words("ginkgoctl -p 42 stop")).unwrap();
        assert_eq!((args.pid.as_deref(), args.target, args.action), (Some("42"), None, Some(Action::Stop)));
        let invalid = |word: &str| format!("invalid action '{word}' (choose from {ACTIONS})");
        let cases: Vec<(&str, String)> = vec![
            ("ginkgoctl x dance", invalid("dance")),
            ("ginkgoctl dance", invalid("dance")),
            ("ginkgoctl", format!("no ACTION given ({ACTIONS})")),
            ("ginkgoctl -p 1 x status", "give either a TARGET or -p, not both".into()),
            ("ginkgoctl status", "give a TARGET or -p PID|PIDFILE".into()),
            ("ginkgoctl -p 1 start", "start needs a TARGET".into()),
            ("ginkgoctl a b c", invalid("b")),
            ("ginkgoctl a status c", "unexpected argument 'c' for status".into()),
            (
                "ginkgoctl a loglevel",
                "loglevel needs a LEVEL (trace, debug, info, warn, error, off) and maybe a MODULE".into(),
            ),
            (
                "ginkgoctl a loglevel loud",
                "invalid level 'loud' for loglevel (trace, debug, info, warn, error, off)".into(),
            ),
            ("ginkgoctl a loglevel info m extra", "unexpected argument 'extra' for loglevel".into()),
            ("ginkgoctl a --json stop", "--json goes with status and settings".into()),
        ];
        for (line, message) in cases {
            let err = CtlArgs::parse(&ginkgo(), words(line)).unwrap_err();
            assert_eq!(
                (err.code(), err.message()),
                (2, message.as_str()),
                "{line}: {}",
                err.usage_text(false).unwrap()
            );
            let text = err.usage_text(false).unwrap();
            assert!(text.ends_with("\n\nFor more information, try '--help'.\n"), "{line}: {text}");
            if !line.contains("dance") {
                assert!(
                    text.contains("\n\nUsage: ginkgoctl [OPTIONS] [TARGET] <ACTION> [ARGS]...\n"),
                    "{line}: {text}"
                );
            }
        }
    }

    const ACTIONS: &str = "start, stop, restart, reload, status, loglevel, settings, upgrade, log, logtail";

    #[test]
    fn loglevel_takes_a_level_and_a_module_with_a_target_or_without() {
        let args = CtlArgs::parse(&ginkgo(), words("ginkgoctl app.toml loglevel debug app::db")).unwrap();
        assert_eq!((args.target.as_deref(), args.action), (Some("app.toml"), Some(Action::LogLevel)));
        assert_eq!(args.log_level, Some(LogLevelArgs { level: "debug".into(), module: Some("app::db".into()) }));
        let args = CtlArgs::parse(&ginkgo(), words("ginkgoctl -p app.pid loglevel warn")).unwrap();
        assert_eq!((args.target, args.action), (None, Some(Action::LogLevel)));
        assert_eq!(args.log_level, Some(LogLevelArgs { level: "warn".into(), module: None }));
        let args = CtlArgs::parse(&ginkgo(), words("ginkgoctl --json app.toml status")).unwrap();
        assert!(args.json && args.log_level.is_none());
        let app = ginkgo().default_target("a.B");
        let args = CtlArgs::parse(&app, words("ginkgoctl loglevel info")).unwrap();
        assert_eq!((args.target.as_deref(), args.action), (Some("a.B"), Some(Action::LogLevel)));
    }

    #[test]
    fn a_timeout_is_seconds_from_0_to_a_day() {
        let args = CtlArgs::parse(&ginkgo(), words("ginkgoctl --timeout 0.25 x stop")).unwrap();
        assert_eq!(args.timeout, Some(Duration::from_millis(250)));
        let args = CtlArgs::parse(&ginkgo(), words("ginkgoctl --timeout 0 x stop")).unwrap();
        assert_eq!(args.timeout, Some(Duration::ZERO));
        for bad in ["inf", "-inf", "NaN", "-1", "1e20", "86400.5", "soon", ""] {
            let argv = vec!["ginkgoctl".into(), format!("--timeout={bad}").into(), "x".into(), "stop".into()];
            let err = CtlArgs::parse(&ginkgo(), argv).unwrap_err();
            assert_eq!(err.code(), 2);
            assert_eq!(
                err.message(),
                format!("invalid value '{bad}' for '--timeout <SECONDS>': not a number of seconds from 0 to 86400"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_pid_given_as_a_number_is_a_real_pid() {
        let args = CtlArgs::parse(&ginkgo(), words("ginkgoctl -p 4194305 stop")).unwrap();
        assert_eq!(args.pid.as_deref(), Some("4194305"));
        for bad in ["0", "2147483648", "99999999999999999999"] {
            let result = CtlArgs::parse(&ginkgo(), words(&format!("ginkgoctl -p {bad} stop")));
            match bad.parse::<u64>() {
                Ok(_) => assert_eq!(
                    result.unwrap_err().message(),
                    format!("invalid value '{bad}' for '--pid <PID|PIDFILE>': not a pid (1 to 2147483647)")
                ),
                // Not even a number: a pidfile's name, which `stop` looks for.
                Err(_) => assert_eq!(result.unwrap().pid.as_deref(), Some(bad)),
            }
        }
    }
}
