//! The cases: each one measures something Ginkgo does against what a user would write by hand
//! without it (or, where there is nothing to compare with, against a goal), and returns the rows
//! it adds to the table.
//!
//! A case is one module with a `run(Mode) -> Vec<Row>` function; to add one, write the module and
//! list it in [`all`]. The process cases (`idle-memory`, `stop-idle`, `start-ready`) run the
//! programs of [`Programs`](crate::process::Programs), which the bench target installs.

pub mod daemon;
pub mod echo;
pub mod http;
pub mod http_smol;
pub mod idle_memory;
pub mod reload;
pub mod runtime;
pub mod setting_read;
pub mod spawn_smol;
pub mod spawn_threads;
pub mod spawn_tokio;
pub mod spawner;
pub mod start_ready;
pub mod stop_idle;
pub mod tls_echo;
pub mod tree;

use crate::Mode;
use crate::report::Row;

/// A case of the suite.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// A short name, used to pick cases on the command line.
    pub name: &'static str,
    /// One line saying what is compared with what.
    pub about: &'static str,
    /// Runs the case and returns its rows.
    pub run: fn(Mode) -> Vec<Row>,
}

/// Every case, in the order a run goes through them.
///
/// ```
/// let names: Vec<_> = ginkgo_bench::cases::all().iter().map(|case| case.name).collect();
/// assert_eq!(
///     names,
///     ["spawn-tokio", "spawn-smol", "spawn-threads", "tree", "setting-read", "reload", "echo", "tls-echo", "http",
///      "http-smol", "idle-memory", "stop-idle", "start-ready"]
/// );
/// ```
pub fn all() -> [Case; 13] {
    [
        Case {
            name: "spawn-tokio",
            about: "Context::spawn + await on the tokio backend vs tokio::spawn + await, and vs a TaskTracker task racing a CancellationToken",
            run: spawn_tokio::run,
        },
        Case {
            name: "spawn-smol",
            about: "Context::spawn + await on the smol backend vs smol::spawn + await",
            run: spawn_smol::run,
        },
        Case {
            name: "spawn-threads",
            about: "Context::spawn + await on the threads backend vs std::thread::spawn + join",
            run: spawn_threads::run,
        },
        Case {
            name: "tree",
            about: "start and stop 10,000 services (fan-out 10) on tokio vs the same tokio-graceful-shutdown subsystems",
            run: tree::run,
        },
        Case {
            name: "setting-read",
            about: "Setting::load of a Setting<String> vs Arc::clone of a cached Arc<String>",
            run: setting_read::run,
        },
        Case { name: "reload", about: "Config::reload of a 1,000-setting TOML file (reported)", run: reload::run },
        Case {
            name: "echo",
            about: "TCP echo, 64 B, 100 connections: Ginkgo's StreamServers vs a hand-written tokio accept loop",
            run: echo::run,
        },
        Case {
            name: "tls-echo",
            about: "TLS echo, 64 B, 100 connections: Ginkgo's StreamServers with_tls vs a hand-written tokio-rustls accept loop",
            run: tls_echo::run,
        },
        Case {
            name: "http",
            about: "HTTP hello, keep-alive, 100 connections: HttpServer hosting an axum Router vs axum::serve",
            run: http::run,
        },
        Case {
            name: "http-smol",
            about: "HTTP hello on smol, keep-alive, 100 connections: HttpServer hosting an axum Router vs hyper on smol by hand",
            run: http_smol::run,
        },
        Case {
            name: "idle-memory",
            about: "resident memory per idle connection, 10,000 held: Ginkgo's StreamServers vs hand-written tokio",
            run: idle_memory::run,
        },
        Case {
            name: "stop-idle",
            about: "SIGTERM to exit of a ginkgo daemon holding 10,000 idle connections (goal < 100 ms)",
            run: stop_idle::run,
        },
        Case {
            name: "start-ready",
            about: "process start to READY=1 of a ginkgo daemon running a hello service (goal < 10 ms)",
            run: start_ready::run,
        },
    ]
}
