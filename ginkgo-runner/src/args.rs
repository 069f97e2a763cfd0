//! The command lines, parsed: no system access here.

use std::ffi::OsString;
use std::time::Duration;

use clap::{Arg, ArgAction, Command};

use crate::Failure;
use crate::settings::MAX_WAIT_SECONDS;

/// `ginkgo [-v] [-h] [-d] [--set KEY=VALUE]... [TARGET]`
#[derive(Debug, Default, PartialEq)]
pub(crate) struct GinkgoArgs {
    pub(crate) version: bool,
    pub(crate) help: bool,
    pub(crate) daemonize: bool,
    pub(crate) sets: Vec<String>,
    pub(crate) target: Option<String>,
}

pub(crate) const GINKGO_USAGE: &str = "usage: ginkgo [-v] [-h] [-d] [--set KEY=VALUE]... [TARGET]";

pub(crate) const GINKGO_HELP: &str = "\
TARGET is a registered service (hello.HelloWorld) or a config file (.toml, .json)
whose `service` key names one.

options:
  -h, --help           show this help; with a TARGET, also its settings
  -v, --version        show the program's name and version
  -d, --daemonize      run as a daemon
  --set KEY=VALUE      set a setting, over the config file and the environment";

fn ginkgo_command() -> Command {
    Command::new("ginkgo")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(Arg::new("version").short('v').long("version").action(ArgAction::SetTrue))
        .arg(Arg::new("help").short('h').long("help").action(ArgAction::SetTrue))
        .arg(Arg::new("daemonize").short('d').long("daemonize").action(ArgAction::SetTrue))
        .arg(Arg::new("set").long("set").value_name("KEY=VALUE").action(ArgAction::Append))
        .arg(Arg::new("target"))
}

impl GinkgoArgs {
    pub(crate) fn parse(args: Vec<OsString>) -> Result<Self, Failure> {
        let matches = ginkgo_command().try_get_matches_from(args).map_err(usage_error)?;
        Ok(GinkgoArgs {
            version: matches.get_flag("version"),
            help: matches.get_flag("help"),
            daemonize: matches.get_flag("daemonize"),
            sets: matches.get_many::<String>("set").map(|v| v.cloned().collect()).unwrap_or_default(),
            target: matches.get_one::<String>("target").cloned(),
        })
    }
}

/// What `ginkgoctl` is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Start,
    Stop,
    Restart,
    Reload,
    Status,
    Log,
    Logtail,
}

impl Action {
    const ALL: [(&'static str, Action); 7] = [
        ("start", Action::Start),
        ("stop", Action::Stop),
        ("restart", Action::Restart),
        ("reload", Action::Reload),
        ("status", Action::Status),
        ("log", Action::Log),
        ("logtail", Action::Logtail),
    ];

    fn parse(word: &str) -> Option<Action> {
        Action::ALL.iter().find(|(name, _)| *name == word).map(|(_, a)| *a)
    }

    pub(crate) fn needs_target(self) -> bool {
        matches!(self, Action::Start | Action::Restart | Action::Log | Action::Logtail)
    }
}

/// `ginkgoctl [-h] [-v] [-p PID|PIDFILE] [TARGET] ACTION`
#[derive(Debug, PartialEq)]
pub(crate) struct CtlArgs {
    pub(crate) version: bool,
    pub(crate) help: bool,
    pub(crate) pid: Option<String>,
    pub(crate) force: bool,
    pub(crate) timeout: Option<Duration>,
    pub(crate) sets: Vec<String>,
    pub(crate) target: Option<String>,
    pub(crate) action: Option<Action>,
}

pub(crate) const CTL_USAGE: &str =
    "usage: ginkgoctl [-h] [-v] [-p PID|PIDFILE] [TARGET] {start,stop,restart,reload,status,log,logtail}";

pub(crate) const CTL_HELP: &str = "\
TARGET is a registered service (hello.HelloWorld) or a config file (.toml, .json).
stop, reload and status also take -p instead of a TARGET.

options:
  -h, --help             show this help
  -v, --version          show the program's name and version
  -p, --pid PID|PIDFILE  a pid, or a pidfile to read it from, instead of a TARGET
  --force                stop: send SIGKILL if the process outlives the timeout
  --timeout SECONDS      stop, restart: how long to wait for the process to exit (0 to 86400)
  --set KEY=VALUE        set a setting, as for ginkgo

exit codes, as LSB init scripts: 0 success, 1 failure, 2 usage or configuration error,
4 not allowed, 7 reload: not running; status: 0 running, 1 stale pidfile, 3 not running, 4 unknown";

fn ctl_command() -> Command {
    Command::new("ginkgoctl")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(Arg::new("version").short('v').long("version").action(ArgAction::SetTrue))
        .arg(Arg::new("help").short('h').long("help").action(ArgAction::SetTrue))
        .arg(Arg::new("pid").short('p').long("pid").value_name("PID|PIDFILE"))
        .arg(Arg::new("force").long("force").action(ArgAction::SetTrue))
        .arg(Arg::new("timeout").long("timeout").value_name("SECONDS"))
        .arg(Arg::new("set").long("set").value_name("KEY=VALUE").action(ArgAction::Append))
        .arg(Arg::new("words").num_args(0..=2).action(ArgAction::Append))
}

impl CtlArgs {
    pub(crate) fn parse(args: Vec<OsString>) -> Result<Self, Failure> {
        let matches = ctl_command().try_get_matches_from(args).map_err(usage_error)?;
        let words: Vec<String> = matches.get_many::<String>("words").map(|v| v.cloned().collect()).unwrap_or_default();
        let (target, action) = match words.as_slice() {
            [] => (None, None),
            [action] => (None, Some(action.as_str())),
            [target, action] => (Some(target.clone()), Some(action.as_str())),
            _ => return Err(Failure::usage("too many arguments")),
        };
        let action = match action {
            None => None,
            Some(word) => Some(Action::parse(word).ok_or_else(|| {
                Failure::usage(format!(
                    "invalid action `{word}` (choose from start, stop, restart, reload, status, log, logtail)"
                ))
            })?),
        };
        let pid = matches.get_one::<String>("pid").cloned();
        if let Some(number) = pid.as_deref().and_then(|p| p.parse::<u64>().ok()) {
            if !(1..=MAX_PID).contains(&number) {
                return Err(Failure::usage(format!("option `-p`: `{number}` is not a pid (1 to {MAX_PID})")));
            }
        }
        Ok(CtlArgs {
            version: matches.get_flag("version"),
            help: matches.get_flag("help"),
            pid,
            force: matches.get_flag("force"),
            timeout: matches.get_one::<String>("timeout").map(|text| seconds("--timeout", text)).transpose()?,
            sets: matches.get_many::<String>("set").map(|v| v.cloned().collect()).unwrap_or_default(),
            target,
            action,
        })
    }
}

/// The largest number `kill` takes as a pid (`pid_t` is an `i32`). 0 and the negative numbers
/// name process groups, never one process.
const MAX_PID: u64 = i32::MAX as u64;

/// A number of seconds from 0 to [`MAX_WAIT_SECONDS`], given to `option`.
fn seconds(option: &str, text: &str) -> Result<Duration, Failure> {
    let bad = || {
        Failure::usage(format!("option `{option}`: `{text}` is not a number of seconds from 0 to {MAX_WAIT_SECONDS}"))
    };
    match text.trim().parse::<f64>() {
        Ok(seconds) if (0.0..=MAX_WAIT_SECONDS).contains(&seconds) => {
            Duration::try_from_secs_f64(seconds).map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

/// clap's first line, without its `error: ` prefix.
fn usage_error(err: clap::Error) -> Failure {
    let text = err.to_string();
    let first = text.lines().next().unwrap_or("bad arguments");
    Failure::usage(first.trim_start_matches("error: ").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn ginkgo_flags_and_target() {
        let args = GinkgoArgs::parse(words("ginkgo -d --set a=1 --set b.c=x service.conf.toml")).unwrap();
        assert!(args.daemonize && !args.help && !args.version);
        assert_eq!(args.sets, ["a=1", "b.c=x"]);
        assert_eq!(args.target.as_deref(), Some("service.conf.toml"));
        let err = GinkgoArgs::parse(words("ginkgo --bogus")).unwrap_err();
        assert_eq!(err.code(), 2);
        assert!(err.message().contains("--bogus"), "{err}");
    }

    #[test]
    fn ctl_target_is_optional_before_the_action() {
        let args = CtlArgs::parse(words("ginkgoctl hello.HelloWorld status")).unwrap();
        assert_eq!((args.target.as_deref(), args.action), (Some("hello.HelloWorld"), Some(Action::Status)));
        let args = CtlArgs::parse(words("ginkgoctl -p 42 stop")).unwrap();
        assert_eq!((args.pid.as_deref(), args.target, args.action), (Some("42"), None, Some(Action::Stop)));
        let err = CtlArgs::parse(words("ginkgoctl x dance")).unwrap_err();
        assert!(err.message().starts_with("invalid action `dance`"), "{err}");
    }

    #[test]
    fn a_timeout_is_seconds_from_0_to_a_day() {
        let args = CtlArgs::parse(words("ginkgoctl --timeout 0.25 x stop")).unwrap();
        assert_eq!(args.timeout, Some(Duration::from_millis(250)));
        assert_eq!(CtlArgs::parse(words("ginkgoctl --timeout 0 x stop")).unwrap().timeout, Some(Duration::ZERO));
        for bad in ["inf", "-inf", "NaN", "-1", "1e20", "86400.5", "soon", ""] {
            let err =
                CtlArgs::parse(vec!["ginkgoctl".into(), format!("--timeout={bad}").into(), "x".into(), "stop".into()])
                    .unwrap_err();
            assert_eq!(err.code(), 2);
            assert_eq!(
                err.message(),
                format!("option `--timeout`: `{bad}` is not a number of seconds from 0 to 86400"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_pid_given_as_a_number_is_a_real_pid() {
        assert_eq!(CtlArgs::parse(words("ginkgoctl -p 4194305 stop")).unwrap().pid.as_deref(), Some("4194305"));
        for bad in ["0", "2147483648", "99999999999999999999"] {
            let result = CtlArgs::parse(words(&format!("ginkgoctl -p {bad} stop")));
            match bad.parse::<u64>() {
                Ok(_) => assert_eq!(
                    result.unwrap_err().message(),
                    format!("option `-p`: `{bad}` is not a pid (1 to 2147483647)")
                ),
                // Not even a number: a pidfile's name, which `stop` looks for.
                Err(_) => assert_eq!(result.unwrap().pid.as_deref(), Some(bad)),
            }
        }
    }
}
