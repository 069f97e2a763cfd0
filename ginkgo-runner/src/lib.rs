//! The runner for Ginkgo services: the `ginkgo` and `ginkgoctl` command lines, as a library an
//! application's thin `main` calls.
//!
//! An application registers its services under target names in a [`Registry`] and hands it to
//! [`ginkgo_main`] (run a service, in the foreground or as a daemon) or [`ginkgoctl_main`]
//! (start, stop, restart, reload, upgrade, log, logtail a daemon; look inside it: status,
//! loglevel, settings). Under its own name, version,
//! environment prefix, default target and arguments, it builds an [`App`] instead, whose
//! [`main`](App::main) and [`ctl_main`](App::ctl_main) are those two commands.
//!
//! ```no_run
//! use std::process::ExitCode;
//! use ginkgo::Service;
//! use ginkgo_runner::Registry;
//!
//! struct HelloWorld;
//! impl Service for HelloWorld {}
//!
//! fn main() -> ExitCode {
//!     let registry = Registry::new().register("hello.HelloWorld", || HelloWorld);
//!     ginkgo_runner::ginkgo_main(registry)
//! }
//! ```
//!
//! # Exit codes
//!
//! `ginkgoctl` follows the exit codes of LSB init scripts (LSB Core, "Init Script Actions"):
//!
//! | code | `ginkgo`, and `ginkgoctl` actions other than `status` | `ginkgoctl status` |
//! |---|---|---|
//! | 0 | success; also `start` of a running daemon and `stop` of a stopped one | running |
//! | 1 | failure: the service failed, a daemon did not start, a process did not stop, a pidfile that cannot be trusted; an `upgrade` whose new process failed or was not ready in time (the old one serves on), or that was refused (the daemon is starting, stopping, reloading or already upgrading) | not running, but its pidfile is there (stale) |
//! | 2 | usage or configuration error (a refused file too): nothing was started or signalled | the same |
//! | 3 | | not running |
//! | 4 | not allowed: this user may not read the pidfile or signal the process | unknown: the pidfile cannot be trusted or read |
//! | 7 | `reload`, `loglevel`, `settings`, `upgrade`: not running | |
//!
//! (LSB gives `status` 2 for "dead, but a lock file exists"; a daemon's lock dies with it, so
//! that state never arises, and 2 keeps its meaning here.) `ginkgo` also exits with 130 after a
//! second SIGINT. Errors are one line, `ginkgo: error: …` or `ginkgoctl: error: …`, naming the
//! culprit; a command line that cannot be read is reported as clap reports it, with the usage
//! line and a pointer to `--help`.
//!
//! # Logging
//!
//! The runner installs the process's logger: `log` records and `tracing` events (with their
//! fields and spans) alike, filtered by `RUST_LOG` when it is set or else by the settings
//! [`LOGLEVEL`] and [`LOGCONFIG`], written as text or JSON ([`LOGFORMAT`]) to standard error, a
//! log file or several outputs, each behind a queue of its own so that logging never blocks or
//! fails the service.
//!
//! # Looking inside a running daemon
//!
//! Every run listens on a control socket (see [`CONTROL_SOCKET`]) that `ginkgoctl status` (the
//! live tree of services), `loglevel` and `settings` ask; with [`HEALTH_ADDRESS`] set, an HTTP
//! endpoint answers `/livez`, `/readyz` and `/metrics` (Prometheus) from threads of the
//! runner's own. The guide's chapter "Operating a running daemon" shows them all.

mod app;
mod args;
mod console;
mod control;
mod ctl;
mod daemon;
mod error;
mod files;
mod health;
mod help;
mod logging;
mod logtail;
mod notify;
mod pidfile;
mod plan;
mod privileges;
mod process;
mod procstat;
mod registry;
mod reload;
mod requests;
mod settings;
mod signals;
mod successor;
mod tree;
mod upgrade;
mod view;

pub use app::{App, arguments};
pub use error::Failure;
pub use registry::Registry;
pub use settings::{
    CONTROL_SOCKET, DAEMON, GROUP, HEALTH_ADDRESS, LOGCONFIG, LOGFILE, LOGFORMAT, LOGLEVEL, LogConfig, LogFormat,
    PIDFILE, RUNDIR, STOP_TIMEOUT, UMASK, USER, Umask,
};

use std::process::ExitCode;

/// clap, whose [`Arg`](clap::Arg)s [`App::arg`] takes and whose
/// [`ArgMatches`](clap::ArgMatches) [`arguments`] gives.
pub use clap;

/// The `ginkgo` command: `ginkgo [OPTIONS] [TARGET]`, running the services of `registry`.
pub fn ginkgo_main(registry: Registry) -> ExitCode {
    App::ginkgo(registry).main()
}

/// The `ginkgoctl` command: `ginkgoctl [OPTIONS] [TARGET] <ACTION>`, controlling the services of
/// `registry` run as daemons.
pub fn ginkgoctl_main(registry: Registry) -> ExitCode {
    App::ginkgo(registry).ctl_main()
}
