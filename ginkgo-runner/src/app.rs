//! `App`: an application's own command lines, built on the runner: its name, version and
//! description, its environment prefix, its default target and its own arguments.

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::OnceLock;

use clap::{Arg, ArgMatches};

use crate::{Failure, Registry, console, ctl, process};

/// An application's two command lines: one runs its services (`greeter`), the other controls
/// them once they run as daemons (`greeterctl`). Both are the runner's `ginkgo` and `ginkgoctl`,
/// under the application's own name.
///
/// ```no_run
/// use std::process::ExitCode;
/// use ginkgo::Service;
/// use ginkgo_runner::{App, Registry};
/// use ginkgo_runner::clap::{Arg, ArgAction};
///
/// struct Greeter;
/// impl Service for Greeter {}
///
/// fn app() -> App {
///     App::new("greeter", Registry::new().register("greeter.Greeter", || Greeter))
///         .version(env!("CARGO_PKG_VERSION"))
///         .about("Greets each client with one line")
///         // `greeter` alone runs it; files are ~/.greeter.pid, ~/.greeter.log, ~/.greeter.sock.
///         .default_target("greeter.Greeter")
///         .arg(Arg::new("shout").long("shout").action(ArgAction::SetTrue).help("Greet in capitals"))
/// }
///
/// // src/main.rs; src/bin/greeterctl.rs calls `app().ctl_main()`.
/// fn main() -> ExitCode {
///     app().main()
/// }
/// ```
///
/// The settings come from the environment's `GREETER_…` variables (see
/// [`env_prefix`](App::env_prefix)); the factories of the registry read the application's own
/// arguments through [`arguments`].
pub struct App {
    pub(crate) name: String,
    pub(crate) ctl_name: String,
    pub(crate) version: Option<String>,
    pub(crate) about: Option<String>,
    pub(crate) env_prefix: String,
    pub(crate) default_target: Option<String>,
    pub(crate) args: Vec<Arg>,
    pub(crate) registry: Registry,
}

impl App {
    /// The command lines `name` (which runs the services of `registry`) and `{name}ctl` (which
    /// controls them). The environment prefix is `name` in capitals, with `_` for anything but
    /// letters and digits, and a `_` after it: `my-app` reads `MY_APP_…`.
    pub fn new(name: impl Into<String>, registry: Registry) -> App {
        let name = name.into();
        App {
            ctl_name: format!("{name}ctl"),
            env_prefix: prefix_of(&name),
            name,
            version: None,
            about: None,
            default_target: None,
            args: Vec::new(),
            registry,
        }
    }

    /// The `ginkgo` and `ginkgoctl` command lines of the Ginkgo manual, running `registry`.
    pub(crate) fn ginkgo(registry: Registry) -> App {
        App::new("ginkgo", registry)
            .version(env!("CARGO_PKG_VERSION"))
            .about("Runs a Ginkgo service, in the foreground or as a daemon")
    }

    /// The version `-V` (and `--version`, `-v`) prints after the name: usually
    /// `env!("CARGO_PKG_VERSION")`.
    pub fn version(mut self, version: impl Into<String>) -> App {
        self.version = Some(version.into());
        self
    }

    /// One line on what the application does, at the top of `--help` and of its manual page.
    pub fn about(mut self, about: impl Into<String>) -> App {
        self.about = Some(about.into());
        self
    }

    /// The prefix of the environment variables that set settings, instead of the one made from
    /// the name: `MYAPP_` reads `MYAPP_LOGLEVEL=debug`. The help of both commands names it.
    pub fn env_prefix(mut self, prefix: impl Into<String>) -> App {
        self.env_prefix = prefix.into();
        self
    }

    /// What to run when no TARGET is given: a registered service or a config file. Without
    /// one, a missing TARGET is a usage error.
    ///
    /// When it is a registered service, that service's default files are named after the
    /// application: `~/.greeter.pid`, `~/.greeter.log` and `~/.greeter.sock` rather than
    /// `~/.greeter.Greeter.pid`, …
    pub fn default_target(mut self, target: impl Into<String>) -> App {
        self.default_target = Some(target.into());
        self
    }

    /// The name of the control command, instead of `{name}ctl`.
    pub fn ctl_name(mut self, name: impl Into<String>) -> App {
        self.ctl_name = name.into();
        self
    }

    /// Adds an argument of the application's own to both command lines, to be read through
    /// [`arguments`]. It must not take a name, short or long flag the runner uses: `-d`, `-p`,
    /// `-h`, `-v`, `-V`, `--set`, `--force`, `--timeout`, `--completions`, `--man`.
    pub fn arg(mut self, arg: impl Into<Arg>) -> App {
        self.args.push(arg.into());
        self
    }

    /// Runs the command line that runs a service: `NAME [OPTIONS] [TARGET]`, with the process's
    /// arguments. Returns the exit code, as `main` does.
    pub fn main(self) -> ExitCode {
        self.main_with(std::env::args_os().collect())
    }

    /// Runs the control command line: `NAMEctl [OPTIONS] [TARGET] ACTION`, with the process's
    /// arguments.
    pub fn ctl_main(self) -> ExitCode {
        self.ctl_main_with(std::env::args_os().collect())
    }

    fn main_with(self, argv: Vec<OsString>) -> ExitCode {
        let _ = NAMES.set(Names { program: self.name.clone(), ctl: self.ctl_name.clone() });
        exit_with(&self.name, process::ginkgo(&self, argv))
    }

    fn ctl_main_with(self, argv: Vec<OsString>) -> ExitCode {
        let _ = NAMES.set(Names { program: self.name.clone(), ctl: self.ctl_name.clone() });
        exit_with(&self.ctl_name, ctl::ginkgoctl(&self, argv))
    }

    /// The stem of the default pidfile, log file and control socket of `service`: the
    /// application's name for the service of its default target, the service's name for others.
    pub(crate) fn file_stem(&self, service: &str) -> String {
        let default = self.default_target.as_deref().map(crate::registry::normalize);
        match default {
            Some(default) if default == service => self.name.clone(),
            _ => service.to_string(),
        }
    }
}

/// The command line as clap matched it, the application's own arguments included: set once
/// [`App::main`] or [`App::ctl_main`] has parsed it, in that process and in a daemon it starts;
/// `None` before (in a unit test of a factory, say).
///
/// ```no_run
/// use ginkgo::Service;
/// use ginkgo_runner::Registry;
///
/// struct Greeter { shout: bool }
/// impl Service for Greeter {}
///
/// let registry = Registry::new().register("greeter.Greeter", || Greeter {
///     shout: ginkgo_runner::arguments().is_some_and(|args| args.get_flag("shout")),
/// });
/// ```
pub fn arguments() -> Option<&'static ArgMatches> {
    MATCHES.get()
}

static MATCHES: OnceLock<ArgMatches> = OnceLock::new();

/// Keeps `matches` for [`arguments`]; the first parse of the process wins.
pub(crate) fn keep_matches(matches: ArgMatches) {
    let _ = MATCHES.set(matches);
}

/// The names of the process's two commands, for messages that name them.
struct Names {
    program: String,
    ctl: String,
}

static NAMES: OnceLock<Names> = OnceLock::new();

/// The name of the command that runs services: `ginkgo` unless an application named it.
pub(crate) fn program_name() -> &'static str {
    NAMES.get().map_or("ginkgo", |names| names.program.as_str())
}

/// The name of the control command: `ginkgoctl` unless an application named it.
pub(crate) fn ctl_name() -> &'static str {
    NAMES.get().map_or("ginkgoctl", |names| names.ctl.as_str())
}

/// `my-app` → `MY_APP_`.
fn prefix_of(name: &str) -> String {
    let mut prefix: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    prefix.push('_');
    prefix
}

fn exit_with(program: &str, outcome: Result<u8, Failure>) -> ExitCode {
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            // A graceful upgrade's new process tells the old one why (it serves on).
            crate::successor::report_failure(&failure.to_string());
            match failure.usage_text(console::stderr_has_colour()) {
                // clap's own shape: the error, the usage line, where to find help.
                Some(text) => console::write_stderr(text.trim_end()),
                None => console::write_stderr(&format!("{program}: error: {failure}")),
            }
            ExitCode::from(failure.code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_is_the_name_in_capitals() {
        assert_eq!(prefix_of("greeter"), "GREETER_");
        assert_eq!(prefix_of("my-app.d"), "MY_APP_D_");
        assert_eq!(App::ginkgo(Registry::new()).env_prefix, "GINKGO_");
        assert_eq!(App::new("greeter", Registry::new()).ctl_name, "greeterctl");
    }

    #[test]
    fn the_default_service_s_files_are_named_after_the_app() {
        let app = App::new("greeter", Registry::new()).default_target("greeter::Greeter");
        assert_eq!(app.file_stem("greeter.Greeter"), "greeter");
        assert_eq!(app.file_stem("greeter.Other"), "greeter.Other");
        assert_eq!(App::ginkgo(Registry::new()).file_stem("hello.HelloWorld"), "hello.HelloWorld");
    }
}
