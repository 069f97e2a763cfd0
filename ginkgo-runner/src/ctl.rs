//! `ginkgoctl`: control a daemon through its pidfile, acting only on a process the pidfile's
//! lock proves to be the daemon (see pidfile.rs), with LSB's exit codes (see lib.rs).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::process::Signal;
use serde_json::{Map, Value, json};

use crate::args::{Action, CtlArgs, ctl_command};
use crate::console::{self, say};
use crate::pidfile::{Daemon, Lookup};
use crate::plan::{Plan, load_config};
use crate::settings::STOP_TIMEOUT;
use crate::{App, Failure, app, control, help, logtail, pidfile, process, successor, upgrade, view};

/// How much longer than the service's own `stop_timeout` `stop` waits for the process to exit.
const STOP_MARGIN: Duration = Duration::from_secs(5);

/// How long `reload` waits for the daemon's answer (a reload asked while the tree starts waits
/// for the start).
const RELOAD_ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// How long `upgrade` waits for the daemon's answer: the new process's time to become ready,
/// and a margin.
const UPGRADE_ANSWER_TIMEOUT: Duration = Duration::from_secs(upgrade::READY_TIMEOUT.as_secs() + 10);

/// How long `status`, `loglevel` and `settings` wait for the daemon's answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// What the daemon answered over its control socket: its reply's fields, or why it refused.
type Answer = Result<Map<String, Value>, String>;

/// The control command: `ginkgoctl`, or the application's own.
pub(crate) fn ginkgoctl(app: &App, argv: Vec<OsString>) -> Result<u8, Failure> {
    // A daemon that `start` forks keeps these: sockets handed to it, and for an upgrade, the
    // program to run again (this one, `start` again) and whether this process is that upgrade.
    ginkgo::net::activation::inherit();
    upgrade::remember_program();
    successor::take_channel();
    let args = CtlArgs::parse(app, argv)?;
    if let Some(meta) = args.meta {
        help::print(meta, ctl_command(app));
        return Ok(0);
    }
    // Parsing made sure of an action, and of a target where one is needed.
    let Some(action) = args.action else {
        return Err(Failure::usage("no ACTION"));
    };
    let ctl = Ctl { app, args: &args };
    match action {
        Action::Start => ctl.start(),
        Action::Stop => ctl.stop(),
        Action::Restart => {
            // Everything a start checks, before the running process is stopped.
            ctl.plan()?.check_files()?;
            let stopped = ctl.stop()?;
            if stopped != 0 {
                return Ok(stopped);
            }
            ctl.start()
        }
        Action::Reload => ctl.reload(),
        Action::Status => ctl.status(),
        Action::LogLevel => ctl.loglevel(),
        Action::Settings => ctl.settings(),
        Action::Upgrade => ctl.upgrade(),
        Action::Log => logtail::print(&ctl.plan()?.logfile_or_default()),
        Action::Logtail => logtail::follow(&ctl.plan()?.logfile_or_default()),
    }
}

/// `status`, as LSB init scripts say: the pidfile is there, but no process holds its lock.
const STATUS_STALE: u8 = 1;
/// `status`, as LSB init scripts say: not running.
const STATUS_NOT_RUNNING: u8 = 3;
/// `reload`, as LSB init scripts say for an action that needs the service: it is not running.
const NOT_RUNNING: u8 = 7;

struct Ctl<'a> {
    app: &'a App,
    args: &'a CtlArgs,
}

impl Ctl<'_> {
    /// The daemon's plan (so its pidfile and logfile are the daemon's defaults).
    fn plan(&self) -> Result<Plan, Failure> {
        let target = self.args.target.as_deref().unwrap_or_default();
        Plan::resolve(self.app, target, &self.args.sets, true)
    }

    /// The daemon as its pidfile, `-p PIDFILE` or `-p PID` proves it (see pidfile.rs).
    fn pid(&self) -> Result<Lookup, Failure> {
        if let Some(given) = &self.args.pid {
            if let Ok(pid) = given.parse::<u32>() {
                return pidfile::look_up_pid(pid);
            }
            return match pidfile::look_up(Path::new(given))? {
                Lookup::Absent => Err(Failure::usage(format!("-p {given}: neither a pid nor a readable pidfile"))),
                found => Ok(found),
            };
        }
        pidfile::look_up(&self.plan()?.pidfile)
    }

    /// The daemon to act on; `None`, having said so, when it is not running. A pidfile that
    /// cannot be trusted is an error, and nothing is signalled.
    fn running_daemon(&self) -> Result<Option<Daemon>, Failure> {
        match self.pid()? {
            Lookup::Running(daemon) => Ok(Some(daemon)),
            Lookup::Untrusted(why) => Err(Failure::failed(why)),
            not_running => {
                say_not_running(&not_running);
                Ok(None)
            }
        }
    }

    fn stop_timeout(&self) -> Duration {
        if let Some(timeout) = self.args.timeout {
            return timeout;
        }
        let configured = match &self.args.target {
            Some(target) => {
                load_config(self.app, target, &self.args.sets).map(|c| STOP_TIMEOUT.get(&c)).unwrap_or(10.0)
            }
            None => 10.0,
        };
        // Loading checked the setting's range; a conversion that cannot panic all the same.
        Duration::try_from_secs_f64(configured).unwrap_or(Duration::from_secs(10)) + STOP_MARGIN
    }

    fn start(&self) -> Result<u8, Failure> {
        let plan = self.plan()?;
        plan.check_files()?;
        if successor::is_successor() {
            // Started again by the daemon this command started, for a graceful upgrade: its
            // successor, in the foreground (the daemon is already detached).
            return process::run_successor(self.app, plan);
        }
        match pidfile::look_up(&plan.pidfile)? {
            Lookup::Running(daemon) => return Ok(already_running(&daemon)),
            Lookup::Untrusted(why) => return Err(Failure::failed(why)),
            Lookup::Absent | Lookup::Stale { .. } => {}
        }
        say!("Starting process with {}...", plan.target);
        let (pidfile, us) = (plan.pidfile.clone(), std::process::id());
        process::start_daemon(self.app, plan).or_else(|failure| {
            // The daemon, whose life ends here too, has nothing more to say.
            if std::process::id() != us {
                return Err(failure);
            }
            match pidfile::look_up(&pidfile) {
                // Another start got there first: the goal, a running daemon, is reached.
                Ok(Lookup::Running(daemon)) => Ok(already_running(&daemon)),
                _ => Err(failure),
            }
        })
    }

    fn stop(&self) -> Result<u8, Failure> {
        let Some(daemon) = self.running_daemon()? else { return Ok(0) };
        let pid = daemon.pid();
        say!("Stopping process {pid}...");
        daemon.signal(Signal::TERM)?;
        let timeout = self.stop_timeout();
        if daemon.wait_for_exit(timeout) {
            say!("Process stopped.");
            return Ok(0);
        }
        if !self.args.force {
            return Err(Failure::failed(format!(
                "process {pid} did not stop within {timeout:?} (use --force to kill it)"
            )));
        }
        daemon.signal(Signal::KILL)?;
        if daemon.wait_for_exit(Duration::from_secs(5)) {
            say!("Process killed.");
            Ok(0)
        } else {
            Err(Failure::failed(format!("process {pid} survived SIGKILL")))
        }
    }

    fn reload(&self) -> Result<u8, Failure> {
        if let Some(target) = &self.args.target {
            // A broken configuration is reported here, and the running process is left alone.
            load_config(self.app, target, &self.args.sets)?;
        }
        let Some(daemon) = self.running_daemon()? else { return Ok(NOT_RUNNING) };
        let pid = daemon.pid();
        say!("Reloading process {pid}...");
        // Asked over the control socket, the daemon answers how the reload went.
        let socket = self.control_socket()?;
        let answer = match &socket {
            Some(path) => ask_daemon(path, &daemon, "reload", Map::new(), RELOAD_ANSWER_TIMEOUT)?,
            None => None,
        };
        let Some(answer) = answer else {
            daemon.signal(Signal::HUP)?;
            let nowhere = socket.map_or_else(|| "known for a bare PID".into(), |path| format!("at {}", path.display()));
            console::write_stderr(&format!(
                "{}: warning: no control socket {nowhere}: sent SIGHUP; the outcome cannot be confirmed (see the log)",
                app::ctl_name()
            ));
            return Ok(0);
        };
        let fields = answer.map_err(|reason| Failure::failed(format!("reload failed: {reason}")))?;
        let warnings = fields.get("warnings").and_then(|w| w.as_array()).cloned().unwrap_or_default();
        for warning in warnings.iter().filter_map(|w| w.as_str()) {
            console::write_stderr(&format!("{}: warning: {warning}", app::ctl_name()));
        }
        Ok(0)
    }

    /// `upgrade`: the daemon starts its program again from its file with its listening
    /// sockets; once the new process is ready, the old one drains and exits, and this waits
    /// for that.
    fn upgrade(&self) -> Result<u8, Failure> {
        let Some(daemon) = self.running_daemon()? else { return Ok(NOT_RUNNING) };
        let pid = daemon.pid();
        say!("Upgrading process {pid}...");
        let socket = self.control_socket()?;
        let answer = match &socket {
            Some(path) => ask_daemon(path, &daemon, "upgrade", Map::new(), UPGRADE_ANSWER_TIMEOUT)?,
            None => None,
        };
        let Some(answer) = answer else {
            daemon.signal(Signal::USR2)?;
            let nowhere = socket.map_or_else(|| "known for a bare PID".into(), |path| format!("at {}", path.display()));
            console::write_stderr(&format!(
                "{}: warning: no control socket {nowhere}: sent SIGUSR2; the outcome cannot be confirmed (see the log)",
                app::ctl_name()
            ));
            return Ok(0);
        };
        let fields = answer.map_err(|reason| Failure::failed(format!("upgrade failed: {reason}")))?;
        let new_pid = fields.get("new_pid").and_then(Value::as_u64).unwrap_or_default();
        say!("Process {new_pid} has taken over; process {pid} drains its connections and exits...");
        let timeout = self.stop_timeout();
        if !daemon.wait_for_exit(timeout) {
            return Err(Failure::failed(format!("process {pid} did not exit within {timeout:?} after the upgrade")));
        }
        say!("Process {pid} exited; process {new_pid} is running.");
        Ok(0)
    }

    /// Where the daemon's control socket should be: the configuration's, or beside the pidfile
    /// given with `-p`; `None` for a bare PID.
    fn control_socket(&self) -> Result<Option<PathBuf>, Failure> {
        match (&self.args.target, &self.args.pid) {
            (Some(_), _) => Ok(Some(self.plan()?.control_socket)),
            (None, Some(given)) if given.parse::<u32>().is_err() => Ok(Some(control::beside(Path::new(given)))),
            _ => Ok(None),
        }
    }

    /// Whether the daemon runs, as the pidfile says (the first line, and the exit code, as LSB
    /// init scripts have them); then its tree, as the daemon says, or why it cannot be had.
    fn status(&self) -> Result<u8, Failure> {
        let (code, running) = match self.pid()? {
            Lookup::Running(daemon) => (0, Some(daemon)),
            Lookup::Untrusted(why) => return Err(Failure::denied(why)),
            not_running => {
                let stale = match &not_running {
                    Lookup::Stale { path, .. } => Some(path.display().to_string()),
                    _ => None,
                };
                match self.args.json {
                    true => say!("{}", json!({ "running": false, "stale_pidfile": stale })),
                    false => say_not_running(&not_running),
                }
                return Ok(if stale.is_some() { STATUS_STALE } else { STATUS_NOT_RUNNING });
            }
        };
        let Some(daemon) = running else { return Ok(code) };
        let tree = self.ask_running(&daemon, "status", Map::new());
        if self.args.json {
            let document = match tree {
                Ok(mut fields) => {
                    for key in ["ok", "request", "pid"] {
                        fields.remove(key);
                    }
                    json!({ "running": true, "pid": daemon.pid(), "tree": fields })
                }
                Err(why) => json!({ "running": true, "pid": daemon.pid(), "tree": null, "tree_unavailable": why }),
            };
            say!("{document}");
            return Ok(code);
        }
        say!("Process is running as {}.", daemon.pid());
        match tree {
            Ok(fields) => view::tree_lines(&fields).iter().for_each(|line| say!("{line}")),
            Err(why) => say!("The tree of services is unavailable: {why}."),
        }
        Ok(code)
    }

    /// `loglevel LEVEL [MODULE]`: the daemon logs at LEVEL until its next reload.
    fn loglevel(&self) -> Result<u8, Failure> {
        let Some(daemon) = self.running_daemon()? else { return Ok(NOT_RUNNING) };
        let mut fields = Map::new();
        if let Some(wanted) = &self.args.log_level {
            fields.insert("level".into(), wanted.level.clone().into());
            if let Some(module) = &wanted.module {
                fields.insert("module".into(), module.clone().into());
            }
        }
        let reply = self.ask_running(&daemon, "loglevel", fields).map_err(Failure::failed)?;
        let said = |key: &str| reply.get(key).and_then(Value::as_str).unwrap_or("?").to_string();
        say!("Process {} now logs with the filter {} ({}).", daemon.pid(), said("filter"), said("lasts"));
        Ok(0)
    }

    /// `settings`: every setting in force in the daemon, and where its value came from.
    fn settings(&self) -> Result<u8, Failure> {
        let Some(daemon) = self.running_daemon()? else { return Ok(NOT_RUNNING) };
        let reply = self.ask_running(&daemon, "settings", Map::new()).map_err(Failure::failed)?;
        match self.args.json {
            true => say!("{}", json!({ "pid": daemon.pid(), "settings": reply.get("settings") })),
            false => view::settings_lines(&reply).iter().for_each(|line| say!("{line}")),
        }
        Ok(0)
    }

    /// Asks the running `daemon` over its control socket; why not, when it cannot be asked or
    /// refuses.
    fn ask_running(&self, daemon: &Daemon, request: &str, fields: Map<String, Value>) -> Answer {
        let socket = self.control_socket().map_err(|failure| failure.to_string())?;
        let Some(path) = socket else {
            return Err("no control socket is known for a bare PID (give the TARGET, or -p with the pidfile)".into());
        };
        match ask_daemon(&path, daemon, request, fields, ANSWER_TIMEOUT) {
            Ok(Some(answer)) => answer,
            Ok(None) => Err(format!(
                "no control socket at {} (a daemon older than this command, or its socket was removed)",
                path.display()
            )),
            Err(failure) => Err(failure.to_string()),
        }
    }
}

/// Asks `daemon` `request` over the control socket at `path`; `None` when nothing listens
/// there. A socket that answers for another process is an error.
fn ask_daemon(
    path: &Path,
    daemon: &Daemon,
    request: &str,
    fields: Map<String, Value>,
    timeout: Duration,
) -> Result<Option<Answer>, Failure> {
    let Some(reply) = control::ask(path, request, fields, timeout)? else { return Ok(None) };
    let pid = daemon.pid();
    if reply.pid != Some(pid) {
        let answered = reply.pid.map_or_else(|| "no PID".into(), |other| format!("PID {other}"));
        return Err(Failure::failed(format!("the control socket answers for {answered}, not for process {pid}")));
    }
    Ok(Some(reply.outcome))
}

/// `start` of a running daemon succeeds, as LSB init scripts say.
fn already_running(daemon: &Daemon) -> u8 {
    say!("Process is already running as PID {}.", daemon.pid());
    0
}

fn say_not_running(found: &Lookup) {
    match found {
        Lookup::Stale { path, named: Some(pid) } => {
            say!("Process is NOT running; its pidfile {} is stale (PID {pid} does not hold its lock).", path.display())
        }
        Lookup::Stale { path, named: None } => {
            say!("Process is NOT running; its pidfile {} is stale (it names no PID).", path.display())
        }
        _ => say!("Process is NOT running."),
    }
}

impl Plan {
    fn logfile_or_default(&self) -> PathBuf {
        self.logfile.clone().unwrap_or_else(|| PathBuf::from("/dev/null"))
    }
}
