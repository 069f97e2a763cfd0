//! The runner for Ginkgo services: the `ginkgo` and `ginkgoctl` command lines, as a library an
//! application's thin `main` calls.
//!
//! An application registers its services under target names in a [`Registry`] and hands it to
//! [`ginkgo_main`] (run a service, in the foreground or as a daemon) or [`ginkgoctl_main`]
//! (start, stop, restart, reload, status, log, logtail a daemon):
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
//! | code | meaning |
//! |---|---|
//! | 0 | success (for `status`: running) |
//! | 1 | failure: the service failed, a daemon did not start, a process did not stop |
//! | 2 | usage or configuration error: nothing was started |
//! | 3 | `status`: not running |
//!
//! Errors are one line, `ginkgo: error: …` or `ginkgoctl: error: …`, naming the culprit.

mod args;
mod control;
mod ctl;
mod daemon;
mod error;
mod files;
mod logging;
mod logtail;
mod notify;
mod pidfile;
mod plan;
mod privileges;
mod process;
mod registry;
mod reload;
mod requests;
mod settings;
mod signals;

pub use error::Failure;
pub use registry::Registry;
pub use settings::{
    CONTROL_SOCKET, DAEMON, GROUP, LOGCONFIG, LOGFILE, LOGLEVEL, PIDFILE, RUNDIR, STOP_TIMEOUT, UMASK, USER,
};

use std::process::ExitCode;

/// The `ginkgo` command: `ginkgo [-v] [-h] [-d] [--set KEY=VALUE]... [TARGET]`.
pub fn ginkgo_main(registry: Registry) -> ExitCode {
    exit_with("ginkgo", process::ginkgo(&registry, std::env::args_os().collect()))
}

/// The `ginkgoctl` command:
/// `ginkgoctl [-h] [-v] [-p PID|PIDFILE] [TARGET] {start,stop,restart,reload,status,log,logtail}`.
pub fn ginkgoctl_main(registry: Registry) -> ExitCode {
    exit_with("ginkgoctl", ctl::ginkgoctl(&registry, std::env::args_os().collect()))
}

fn exit_with(program: &str, outcome: Result<u8, Failure>) -> ExitCode {
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("{program}: error: {failure}");
            ExitCode::from(failure.code())
        }
    }
}
