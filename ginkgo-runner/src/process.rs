//! `ginkgo`: run a service tree in the foreground or as a daemon, answering signals.

use std::ffi::OsString;
use std::io::Write;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::channel::mpsc::UnboundedReceiver;
use futures::future::{Either, select};
use ginkgo::{AsyncManager, Context, State};

use crate::args::{GINKGO_HELP, GINKGO_USAGE, GinkgoArgs};
use crate::console::{self, say};
use crate::daemon::{Forked, StatusPipe};
use crate::error::chain;
use crate::pidfile::Pidfile;
use crate::plan::{LogPlan, Plan, parse_level};
use crate::settings::LOGLEVEL;
use crate::signals::Request;
use crate::{Failure, Registry, daemon, files, logging, notify, privileges, signals};

/// What a second SIGINT during a stop exits with: 128 + SIGINT, as shells report it.
const INTERRUPTED: u8 = 130;

pub(crate) fn ginkgo(registry: &Registry, argv: Vec<OsString>) -> Result<u8, Failure> {
    let args = GinkgoArgs::parse(argv)?;
    if args.version {
        say!("ginkgo {}", env!("CARGO_PKG_VERSION"));
        return Ok(0);
    }
    let Some(target) = args.target else {
        say!("{GINKGO_USAGE}");
        if args.help {
            say!("\n{GINKGO_HELP}");
        }
        say!("\nregistered services:");
        for name in registry.names() {
            say!("  {name}");
        }
        return Ok(0);
    };
    let plan = Plan::resolve(registry, &target, &args.sets, args.daemonize)?;
    if args.help {
        say!("{GINKGO_USAGE}\n\n{GINKGO_HELP}\n");
        console::write_stdout(&plan.config.help());
        return Ok(0);
    }
    plan.check_files()?;
    say!("Starting process with {target}...");
    if plan.daemon { start_daemon(registry, plan) } else { run(registry, plan, None) }
}

/// Forks a daemon that runs `plan`; the parent waits for its report and prints the outcome.
pub(crate) fn start_daemon(registry: &Registry, plan: Plan) -> Result<u8, Failure> {
    let _ = std::io::stdout().flush();
    match daemon::daemonize()? {
        Forked::Parent(Ok(pid)) => {
            say!("Process is running as {pid}.");
            Ok(0)
        }
        Forked::Parent(Err(why)) => Err(Failure::failed(why)),
        Forked::Daemon(pipe) => {
            // The umask and the files' owner first, so that even the log file opened next gets them.
            apply_umask(plan.umask);
            files::give_new_files_to(plan.identity.as_ref());
            if let Err(err) = daemon::redirect_stdio(plan.logfile.as_deref()) {
                let mut pipe = pipe;
                pipe.failed(err.message());
                return Err(err);
            }
            run(registry, plan, Some(pipe))
        }
    }
}

/// Runs the tree until it stops; reports to `pipe` (a daemon's parent) once ready or failed.
fn run(registry: &Registry, plan: Plan, mut pipe: Option<StatusPipe>) -> Result<u8, Failure> {
    let outcome = prepare(&plan).and_then(|(pidfile, requests)| {
        let outcome = plan.backend.block_on(serve(registry, &plan, requests, &mut pipe));
        pidfile.remove();
        outcome
    });
    if let (Err(failure), Some(pipe)) = (&outcome, pipe.as_mut()) {
        pipe.failed(failure.message());
    }
    // A log file keeps why the process ended; on standard error the command's last line says it
    // (see `exit_with`), once.
    if let (Err(failure), Some(_)) = (&outcome, &plan.logfile) {
        log::error!(target: "runner", "{failure}");
    }
    logging::flush_at_exit();
    outcome
}

fn apply_umask(mask: u32) {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(mask as nix::libc::mode_t));
}

/// Process settings, logging, pidfile, signals: everything before the tree is built.
fn prepare(plan: &Plan) -> Result<(Pidfile, UnboundedReceiver<Request>), Failure> {
    // Signals first: from here on a SIGTERM is a request to stop, not an abrupt end that would
    // leave a pidfile behind.
    let requests = signals::listen()?;
    apply_umask(plan.umask);
    files::give_new_files_to(plan.identity.as_ref());
    if let Some(dir) = &plan.rundir {
        files::enter_rundir(dir)?;
    }
    logging::apply(&plan.log, plan.logfile.as_deref())?;
    if let (true, Some(logfile)) = (plan.daemon, &plan.logfile) {
        logging::capture_stdio(logfile)?;
    }
    // Loading logged these before there was a logger to write them.
    for warning in plan.config.warnings() {
        log::warn!(target: "config", "{warning}");
    }
    let pidfile = Pidfile::create(&plan.pidfile)?;
    let _ = plan.config.clone().install();
    Ok((pidfile, requests))
}

async fn serve(
    registry: &Registry,
    plan: &Plan,
    mut requests: UnboundedReceiver<Request>,
    pipe: &mut Option<StatusPipe>,
) -> Result<u8, Failure> {
    let manager = plan.backend.manager();
    let sleeper = manager.clone();
    let Some(root) = registry.build(&plan.service, manager, plan.config.clone()) else {
        return Err(Failure::usage(format!("unknown service `{}`", plan.service)));
    };
    log::info!(target: "runner", "starting {} on {}", plan.service, plan.backend);
    notify::status("starting");

    // Start, answering a stop request that comes during the start.
    let started = {
        let start = pin!(root.start());
        match select(start, requests.next()).await {
            Either::Left((started, _)) => Some(started),
            Either::Right((_, _)) => None,
        }
    };
    match started {
        None => {
            log::info!(target: "runner", "Stopping.");
            let _ = root.stop().await;
            return Err(Failure::failed("stopped while starting"));
        }
        Some(Err(err)) => return Err(Failure::failed(err.chain().to_string())),
        Some(Ok(())) => {}
    }
    // The pidfile and the log files were created for the new user already (see files.rs).
    if let Some(identity) = &plan.identity {
        if let Err(failure) = privileges::drop_to(identity) {
            let _ = root.stop().await;
            return Err(failure);
        }
    }
    notify::ready("ready");
    if let Some(period) = notify::watchdog_period() {
        sleeper.spawn(Box::pin(ping_watchdog(root.clone(), sleeper.clone(), period)));
    }
    if let Some(pipe) = pipe.as_mut() {
        pipe.ready();
    }
    log::info!(target: "runner", "{} is ready", plan.service);

    loop {
        let down = pin!(root.wait_until_stopped());
        match select(down, requests.next()).await {
            Either::Left(_) => break,
            Either::Right((Some(Request::Reload), _)) => reload(&root, plan).await,
            Either::Right((Some(Request::Terminate | Request::Interrupt) | None, _)) => {
                log::info!(target: "runner", "Stopping.");
                notify::stopping();
                let stop = pin!(root.stop());
                let deadline = sleeper.sleep(plan.stop_timeout);
                let interrupted = pin!(async {
                    while let Some(request) = requests.next().await {
                        if request == Request::Interrupt {
                            return;
                        }
                    }
                    futures::future::pending::<()>().await
                });
                match select(stop, select(deadline, interrupted)).await {
                    Either::Left(_) => break,
                    Either::Right((Either::Left(_), _)) => {
                        return Err(Failure::failed(format!(
                            "the service did not stop within stop_timeout ({:?}); exiting anyway",
                            plan.stop_timeout
                        )));
                    }
                    Either::Right((Either::Right(_), _)) => {
                        log::warn!(target: "runner", "interrupted again while stopping: exiting at once");
                        return Ok(INTERRUPTED);
                    }
                }
            }
        }
    }
    finish(&root)
}

/// Pings the service manager's watchdog every `period` while `root` is ready, until it is down.
///
/// The pings come from a task on the service's own runtime, not from a thread beside it: when the
/// runtime stops running tasks (a task blocking every executor thread, say), the pings stop too,
/// and the service manager, which is what a watchdog is for, notices and acts.
async fn ping_watchdog(root: Context, runtime: Arc<dyn AsyncManager>, period: Duration) {
    loop {
        runtime.sleep(period).await;
        match root.state() {
            State::Ready => notify::watchdog(),
            state if state.is_down() => return,
            _ => {}
        }
    }
}

/// SIGHUP: the configuration (kept if broken), logging (files reopened), then the tree.
async fn reload(root: &Context, plan: &Plan) {
    log::info!(target: "runner", "reloading");
    notify::reloading();
    // Reopen the log files first (after logrotate moved them), then read the configuration.
    reopen_logs(plan, &current_log_plan(plan));
    match plan.config.reload() {
        Err(err) => log::error!(target: "runner", "configuration not reloaded, keeping the old one: {}", chain(&err)),
        Ok(()) => {
            reopen_logs(plan, &current_log_plan(plan));
            if let Err(err) = root.reload().await {
                log::error!(target: "runner", "reload failed: {}", err.chain());
            }
        }
    }
    notify::ready("ready");
}

/// The logging the configuration asks for now.
fn current_log_plan(plan: &Plan) -> LogPlan {
    LogPlan {
        level: parse_level(&LOGLEVEL.get(&plan.config)).unwrap_or(plan.log.level),
        detail: crate::plan::log_detail(&plan.config),
    }
}

/// Rebuilds the logger (opening its files anew) and, for a daemon, points stdout and stderr
/// at the new log file too.
fn reopen_logs(plan: &Plan, log: &LogPlan) {
    if plan.daemon {
        if let Err(err) = daemon::redirect_stdio(plan.logfile.as_deref()) {
            log::error!(target: "runner", "{err}");
        }
    }
    if let Err(err) = logging::apply(log, plan.logfile.as_deref()) {
        log::error!(target: "runner", "logging not reloaded: {err}");
    }
}

fn finish(root: &Context) -> Result<u8, Failure> {
    match root.state() {
        State::Failed => {
            let why = root.failure().map(|e| e.chain().to_string()).unwrap_or_else(|| "the service failed".into());
            Err(Failure::failed(why))
        }
        _ => Ok(0),
    }
}
