//! `ginkgo`: run a service tree in the foreground or as a daemon, answering signals.

use std::ffi::OsString;
use std::io::Write;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{Either, select};
use ginkgo::{AsyncManager, Context, State};
use nix::unistd::{Gid, Uid};

use crate::args::{Meta, RunArgs, run_command};
use crate::console::{self, say};
use crate::control::{Answers, ControlServer, SocketFile};
use crate::daemon::{Forked, StatusPipe};
use crate::health::HealthServer;
use crate::pidfile::Pidfile;
use crate::plan::Plan;
use crate::requests::{Inbox, Request};
use crate::tree::Tree;
use crate::upgrade::Upgraded;
use crate::{
    App, Failure, daemon, files, help, logging, notify, privileges, reload, requests, signals, successor, upgrade,
};

/// What a second SIGINT during a stop exits with: 128 + SIGINT, as shells report it.
const INTERRUPTED: u8 = 130;

/// The command that runs a service: `ginkgo`, or the application's own.
pub(crate) fn ginkgo(app: &App, argv: Vec<OsString>) -> Result<u8, Failure> {
    // Until the handlers are installed, a signal waits rather than ends the process.
    signals::hold();
    // Before a daemon's fork (LISTEN_PID names this process) and before any thread.
    ginkgo::net::activation::inherit();
    upgrade::remember_program();
    let successor = successor::take_channel();
    let args = RunArgs::parse(app, argv)?;
    match (args.meta, &args.target) {
        // With a TARGET, the help lists its settings too.
        (Some(Meta::Help), Some(_)) | (None, _) => {}
        (Some(meta), _) => {
            help::print(meta, run_command(app));
            return Ok(0);
        }
    }
    let Some(target) = args.target else {
        return Err(Failure::usage("no TARGET"));
    };
    let plan = Plan::resolve(app, &target, &args.sets, args.daemonize)?;
    if args.meta == Some(Meta::Help) {
        help::print_help(run_command(app));
        say!("");
        console::write_stdout(&plan.config.help());
        return Ok(0);
    }
    plan.check_files()?;
    say!("Starting process with {target}...");
    // A graceful upgrade's new process stays the child of the old one, the daemon.
    if plan.daemon && !successor { start_daemon(app, plan) } else { run(app, plan, None) }
}

/// Forks a daemon that runs `plan`; the parent waits for its report and prints the outcome.
pub(crate) fn start_daemon(app: &App, plan: Plan) -> Result<u8, Failure> {
    let _ = std::io::stdout().flush();
    // Sockets handed to this process are taken before the fork: LISTEN_PID names this one.
    ginkgo::net::activation::inherit();
    // The daemon holds them until its handlers are in; the parent goes on as before.
    signals::hold();
    let forked = daemon::daemonize().inspect_err(|_| signals::release())?;
    if let Forked::Parent(_) = forked {
        signals::release();
    }
    match forked {
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
            run(app, plan, Some(pipe))
        }
    }
}

/// Runs `plan` in the foreground as a graceful upgrade's new process, whose predecessor was the
/// daemon: it neither forks nor detaches again.
pub(crate) fn run_successor(app: &App, plan: Plan) -> Result<u8, Failure> {
    run(app, plan, None)
}

/// Runs the tree until it stops; reports to `pipe` (a daemon's parent) once ready or failed.
fn run(app: &App, plan: Plan, mut pipe: Option<StatusPipe>) -> Result<u8, Failure> {
    let outcome = prepare(&plan).and_then(|mut prepared| {
        let outcome = plan.backend.block_on(serve(app, &plan, &mut prepared, &mut pipe));
        let Prepared { pidfile, control, health, inbox, tree } = prepared;
        // Whoever still waits for a reload hears why there is none, before the socket closes.
        requests::answer(inbox.take_reload_waiters(), &Err("not reloaded: the daemon has stopped".into()));
        requests::answer(inbox.take_upgrade_waiters(), &Err("not upgraded: the daemon has stopped".into()));
        if let Some(health) = health {
            health.close();
        }
        tree.close();
        // A successor that took over has its own: these are no longer at their paths.
        if let Some(control) = control {
            control.close();
        }
        if let Some(pidfile) = pidfile {
            pidfile.remove();
        }
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

/// What a process sets up before its tree is built, and takes down after.
struct Prepared {
    /// `None` in a graceful upgrade's new process until it takes over (see `successor.rs`).
    pidfile: Option<Pidfile>,
    /// As `pidfile`.
    control: Option<ControlServer>,
    health: Option<HealthServer>,
    inbox: Inbox,
    /// The tree, once built, for the control socket and the health endpoint.
    tree: Arc<Tree>,
}

/// Process settings, logging, pidfile, health endpoint, control socket, signals: everything
/// before the tree is built.
fn prepare(plan: &Plan) -> Result<Prepared, Failure> {
    // Signals first: from here on a SIGTERM is a request to stop, not an abrupt end that would
    // leave a pidfile behind. One that came earlier was held back (`signals::hold`) and is
    // answered now.
    let inbox = Inbox::new();
    signals::listen(&inbox)?;
    apply_umask(plan.umask);
    files::give_new_files_to(plan.identity.as_ref());
    if let Some(dir) = &plan.rundir {
        files::enter_rundir(dir)?;
    }
    logging::apply(&plan.log, plan.logfile.as_deref())?;
    if let (true, Some(logfile)) = (plan.daemon, &plan.logfile) {
        logging::capture_stdio(logfile, plan.log.format)?;
    }
    // Loading logged these before there was a logger to write them.
    for warning in plan.config.warnings() {
        log::warn!(target: "config", "{warning}");
    }
    // A graceful upgrade's new process takes over the old one's once ready.
    let successor = successor::is_successor();
    let pidfile = if successor { None } else { Some(Pidfile::create(&plan.pidfile)?) };
    let remove_pidfile = || pidfile.iter().for_each(Pidfile::remove);
    let tree = Tree::new();
    // Bound before the privilege drop, so that a port below 1024 can be.
    let health = match plan.health_address {
        Some(address) => Some(HealthServer::serve(address, tree.clone()).inspect_err(|_| remove_pidfile())?),
        None => None,
    };
    let control = match successor {
        true => None,
        false => Some(serve_control(plan, &inbox, &tree, health.as_ref(), false).inspect_err(|_| {
            if let Some(health) = &health {
                health.close();
            }
            remove_pidfile();
        })?),
    };
    let _ = plan.config.clone().install();
    Ok(Prepared { pidfile, control, health, inbox, tree })
}

/// A graceful upgrade's new process, ready: the pidfile and the control socket become its own.
fn take_over(plan: &Plan, prepared: &mut Prepared) -> Result<(), Failure> {
    prepared.control = Some(serve_control(plan, &prepared.inbox, &prepared.tree, prepared.health.as_ref(), true)?);
    prepared.pidfile = Some(Pidfile::take_over(&plan.pidfile)?);
    Ok(())
}

/// The control socket, owned by the user the service will run as.
fn serve_control(
    plan: &Plan,
    inbox: &Inbox,
    tree: &Arc<Tree>,
    health: Option<&HealthServer>,
    take_over: bool,
) -> Result<ControlServer, Failure> {
    let identity = plan.identity.as_ref();
    let user = identity.and_then(|identity| identity.uid).unwrap_or_else(Uid::effective);
    let group = identity.map_or_else(Gid::effective, |identity| identity.gid);
    let socket = match take_over {
        true => SocketFile::take_over(&plan.control_socket, user, group)?,
        false => SocketFile::create(&plan.control_socket, user, group)?,
    };
    let health = health.map(HealthServer::address);
    let answers = Answers {
        pid: std::process::id(),
        inbox: inbox.clone(),
        tree: tree.clone(),
        config: plan.config.clone(),
        health,
    };
    ControlServer::serve(socket, user, answers)
}

async fn serve(app: &App, plan: &Plan, prepared: &mut Prepared, pipe: &mut Option<StatusPipe>) -> Result<u8, Failure> {
    let (inbox, tree) = (&prepared.inbox.clone(), &prepared.tree.clone());
    let manager = plan.backend.manager();
    let sleeper = manager.clone();
    let Some(root) = app.registry.build(&plan.service, manager, plan.config.clone()) else {
        return Err(Failure::usage(format!("unknown service `{}`", plan.service)));
    };
    tree.set_root(root.clone());
    log::info!(target: "runner", "starting {} on {}", plan.service, plan.backend);
    notify::status("starting");

    let reload_deferred = match start(&root, inbox).await {
        Started::Ready { reload_deferred } => reload_deferred,
        // A service that could not use its configuration (a certificate file, say): exit 2.
        Started::Failed(err) if ginkgo::config::ConfigError::found_in(&err) => {
            return Err(Failure::usage(err.chain().to_string()));
        }
        Started::Failed(err) => return Err(Failure::failed(err.chain().to_string())),
        Started::StoppedBy(signal) => {
            log::info!(target: "runner", "{signal} while starting: stopping what has started");
            let stopped = stop(&root, inbox, &sleeper, plan.stop_timeout).await;
            return stopped.outcome(|| Err(Failure::failed(format!("stopped while starting ({signal})"))));
        }
    };
    let successor = successor::is_successor();
    if successor {
        if let Err(failure) = take_over(plan, prepared) {
            let _ = root.stop().await;
            return Err(failure);
        }
    }
    // The pidfile and the log files were created for the new user already (see files.rs). A
    // successor of a process that dropped them runs as that user already.
    let to_drop = plan.identity.as_ref().filter(|identity| !successor || identity.uid != Some(Uid::effective()));
    if let Some(identity) = to_drop {
        if let Err(failure) = privileges::drop_to(identity) {
            let _ = root.stop().await;
            return Err(failure);
        }
    }
    ginkgo::net::activation::report_unclaimed();
    match successor {
        // Its predecessor tells the service manager (MAINPID=; the unit is ready already), and
        // stops.
        true => successor::report_ready(),
        false => notify::ready("ready"),
    }
    if let Some(period) = notify::watchdog_period() {
        sleeper.spawn(Box::pin(ping_watchdog(root.clone(), sleeper.clone(), period)));
    }
    if let Some(pipe) = pipe.as_mut() {
        pipe.ready();
    }
    log::info!(target: "runner", "{} is ready", plan.service);

    let mut stop_timeout = plan.stop_timeout;
    let mut reload_pending = reload_deferred;
    loop {
        let request = match std::mem::take(&mut reload_pending) {
            true => Request::Reload,
            false => match select(pin!(root.wait_until_stopped()), pin!(inbox.next())).await {
                Either::Left(_) => return finish(&root),
                Either::Right((request, _)) => request,
            },
        };
        let request = match request {
            Request::Upgrade => match upgrade::run(inbox).await {
                Ok(Upgraded::No) => continue,
                Ok(Upgraded::Yes) => {
                    if let Some(health) = &prepared.health {
                        health.handed_over();
                    }
                    upgrade::let_accepting_end(&sleeper).await;
                    Request::Terminate
                }
                Err(stop) => stop,
            },
            other => other,
        };
        if request == Request::Reload {
            // Otherwise a stop cut the reload short, and is answered below.
            if let Ok(applied) = reload_answering(app, plan, &root, inbox, &mut reload_pending).await {
                stop_timeout = applied.unwrap_or(stop_timeout);
                continue;
            }
        }
        return stop(&root, inbox, &sleeper, stop_timeout).await.outcome(|| finish(&root));
    }
}

/// How a start ended.
enum Started {
    /// The tree is ready; a reload was asked meanwhile if `reload_deferred`.
    Ready { reload_deferred: bool },
    /// The tree failed to start (and is down again).
    Failed(ginkgo::Error),
    /// A stop was asked: the start is abandoned, the tree half started.
    StoppedBy(Request),
}

/// Starts the tree, answering what is asked meanwhile: a reload waits for the tree to be ready
/// (however many are asked, one runs), a stop abandons the start.
async fn start(root: &Context, inbox: &Inbox) -> Started {
    let mut reload_deferred = false;
    let mut start = pin!(root.start());
    loop {
        match select(start.as_mut(), pin!(inbox.next())).await {
            Either::Left((Ok(()), _)) => return Started::Ready { reload_deferred },
            Either::Left((Err(err), _)) => return Started::Failed(err),
            Either::Right((Request::Upgrade, _)) => {
                requests::answer(
                    inbox.take_upgrade_waiters(),
                    &Err("not upgraded: the daemon is still starting".into()),
                );
                log::info!(target: "runner", "upgrade requested while starting: refused");
            }
            Either::Right((Request::Reload, _)) => {
                if !reload_deferred {
                    log::info!(target: "runner", "reload requested while starting: it runs once the tree is ready");
                    reload_deferred = true;
                }
            }
            Either::Right((stop, _)) => return Started::StoppedBy(stop),
        }
    }
}

/// Runs one reload and tells whoever asked for it (over the control socket) how it went.
/// Reloads asked meanwhile set `again`: they are one, after this one. A stop asked meanwhile
/// cuts it short and is returned as `Err`; otherwise the new `stop_timeout`, if it applied.
async fn reload_answering(
    app: &App,
    plan: &Plan,
    root: &Context,
    inbox: &Inbox,
    again: &mut bool,
) -> Result<Option<Duration>, Request> {
    let mut waiters = inbox.take_reload_waiters();
    let mut reload = pin!(reload::reload(app, plan, root));
    loop {
        match select(reload.as_mut(), pin!(inbox.next())).await {
            Either::Left((outcome, _)) => {
                let stop_timeout = outcome.as_ref().ok().map(|reloaded| reloaded.stop_timeout);
                requests::answer(waiters, &outcome.map(|reloaded| reloaded.warnings));
                return Ok(stop_timeout);
            }
            Either::Right((Request::Reload, _)) => *again = true,
            Either::Right((Request::Upgrade, _)) => {
                requests::answer(inbox.take_upgrade_waiters(), &Err("not upgraded: a reload is under way".into()));
            }
            Either::Right((stop, _)) => {
                waiters.extend(inbox.take_reload_waiters());
                requests::answer(waiters, &Err(format!("the reload was cut short: {stop} stopped the daemon")));
                return Err(stop);
            }
        }
    }
}

/// How a stop ended.
enum Stopped {
    /// The tree is down.
    Down,
    /// It was not down within `stop_timeout`.
    TimedOut(Failure),
    /// A SIGINT came during the stop: exit at once.
    Interrupted,
}

impl Stopped {
    /// What the process ends with: `down` once the tree is down.
    fn outcome(self, down: impl FnOnce() -> Result<u8, Failure>) -> Result<u8, Failure> {
        match self {
            Stopped::Down => down(),
            Stopped::TimedOut(failure) => Err(failure),
            Stopped::Interrupted => Ok(INTERRUPTED),
        }
    }
}

/// Stops the tree within `timeout`, answering what is asked meanwhile: a SIGINT exits at once,
/// anything else is ignored (and logged once).
async fn stop(root: &Context, inbox: &Inbox, runtime: &Arc<dyn AsyncManager>, timeout: Duration) -> Stopped {
    log::info!(target: "runner", "Stopping.");
    notify::stopping();
    let stop = pin!(root.stop());
    let deadline = runtime.sleep(timeout);
    let interrupted = pin!(async {
        let (mut terminate_logged, mut reload_logged, mut upgrade_logged) = (false, false, false);
        loop {
            match inbox.next().await {
                Request::Interrupt => return,
                Request::Terminate if !terminate_logged => {
                    log::info!(target: "runner", "SIGTERM while stopping: already stopping");
                    terminate_logged = true;
                }
                Request::Reload => {
                    requests::answer(inbox.take_reload_waiters(), &Err("not reloaded: the daemon is stopping".into()));
                    if !reload_logged {
                        log::info!(target: "runner", "reload requested while stopping: ignored");
                        reload_logged = true;
                    }
                }
                Request::Upgrade => {
                    requests::answer(inbox.take_upgrade_waiters(), &Err("not upgraded: the daemon is stopping".into()));
                    if !upgrade_logged {
                        log::info!(target: "runner", "upgrade requested while stopping: refused");
                        upgrade_logged = true;
                    }
                }
                Request::Terminate => {}
            }
        }
    });
    match select(stop, select(deadline, interrupted)).await {
        Either::Left(_) => Stopped::Down,
        Either::Right((Either::Left(_), _)) => Stopped::TimedOut(Failure::failed(format!(
            "the service did not stop within stop_timeout ({timeout:?}); exiting anyway"
        ))),
        Either::Right((Either::Right(_), _)) => {
            log::warn!(target: "runner", "interrupted again while stopping: exiting at once");
            Stopped::Interrupted
        }
    }
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

fn finish(root: &Context) -> Result<u8, Failure> {
    match root.state() {
        State::Failed => {
            let why = root.failure().map(|e| e.chain().to_string()).unwrap_or_else(|| "the service failed".into());
            Err(Failure::failed(why))
        }
        _ => Ok(0),
    }
}
