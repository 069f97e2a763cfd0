//! `ginkgoctl`: control a daemon through its pidfile.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::args::{Action, CTL_HELP, CTL_USAGE, CtlArgs};
use crate::plan::{Plan, load_config};
use crate::settings::STOP_TIMEOUT;
use crate::{Failure, Registry, control, logtail, pidfile, process};

/// How much longer than the service's own `stop_timeout` `stop` waits for the process to exit.
const STOP_MARGIN: Duration = Duration::from_secs(5);

/// How long `reload` waits for the daemon's answer (a reload asked while the tree starts waits
/// for the start).
const RELOAD_ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// How often `stop` looks whether the process has exited.
const EXIT_POLL: Duration = Duration::from_millis(20);

pub(crate) fn ginkgoctl(registry: &Registry, argv: Vec<OsString>) -> Result<u8, Failure> {
    let args = CtlArgs::parse(argv)?;
    if args.version {
        println!("ginkgoctl {}", env!("CARGO_PKG_VERSION"));
        return Ok(0);
    }
    if args.help {
        println!("{CTL_USAGE}\n\n{CTL_HELP}");
        return Ok(0);
    }
    let Some(action) = args.action else {
        return Err(Failure::usage("missing action (start, stop, restart, reload, status, log, logtail)"));
    };
    if args.pid.is_some() && args.target.is_some() {
        return Err(Failure::usage("give either a TARGET or -p, not both"));
    }
    if action.needs_target() && args.target.is_none() {
        return Err(Failure::usage(format!("{} needs a TARGET", action_name(action))));
    }
    let ctl = Ctl { registry, args: &args };
    match action {
        Action::Start => ctl.start(),
        Action::Stop => ctl.stop(),
        Action::Restart => {
            let stopped = ctl.stop()?;
            if stopped != 0 {
                return Ok(stopped);
            }
            ctl.start()
        }
        Action::Reload => ctl.reload(),
        Action::Status => ctl.status(),
        Action::Log => logtail::print(&ctl.plan()?.logfile_or_default()),
        Action::Logtail => logtail::follow(&ctl.plan()?.logfile_or_default()),
    }
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Start => "start",
        Action::Stop => "stop",
        Action::Restart => "restart",
        Action::Reload => "reload",
        Action::Status => "status",
        Action::Log => "log",
        Action::Logtail => "logtail",
    }
}

/// Where the pid came from, which decides what a dead one means.
enum PidSource {
    Pidfile(PathBuf),
    Given,
}

struct Ctl<'a> {
    registry: &'a Registry,
    args: &'a CtlArgs,
}

impl Ctl<'_> {
    /// The daemon's plan (so its pidfile and logfile are the daemon's defaults).
    fn plan(&self) -> Result<Plan, Failure> {
        let target = self.args.target.as_deref().unwrap_or_default();
        Plan::resolve(self.registry, target, &self.args.sets, true)
    }

    /// The pid to act on, and where it came from; `None` when there is no pidfile.
    fn pid(&self) -> Result<Option<(u32, PidSource)>, Failure> {
        if let Some(given) = &self.args.pid {
            if let Ok(pid) = given.parse::<u32>() {
                return Ok(Some((pid, PidSource::Given)));
            }
            let path = Path::new(given);
            if !path.is_file() {
                return Err(Failure::usage(format!("-p {given}: neither a pid nor a readable pidfile")));
            }
            return match pidfile::read(path)? {
                Some(pid) => Ok(Some((pid, PidSource::Pidfile(path.to_path_buf())))),
                None => Err(Failure::usage(format!("-p {given}: the pidfile holds no pid"))),
            };
        }
        if self.args.target.is_none() {
            return Err(Failure::usage("give a TARGET or -p PID|PIDFILE"));
        }
        let path = self.plan()?.pidfile;
        Ok(pidfile::read(&path)?.map(|pid| (pid, PidSource::Pidfile(path))))
    }

    fn stop_timeout(&self) -> Duration {
        if let Some(seconds) = self.args.timeout {
            return Duration::from_secs_f64(seconds.max(0.0));
        }
        let configured = match &self.args.target {
            Some(target) => load_config(target, &self.args.sets).map(|c| STOP_TIMEOUT.get(&c)).unwrap_or(10.0),
            None => 10.0,
        };
        Duration::from_secs_f64(configured.max(0.0)) + STOP_MARGIN
    }

    fn start(&self) -> Result<u8, Failure> {
        let plan = self.plan()?;
        if let Some(pid) = pidfile::read(&plan.pidfile)?.filter(|pid| pidfile::alive(*pid)) {
            return Err(Failure::failed(format!("already running as PID {pid}")));
        }
        println!("Starting process with {}...", plan.target);
        process::start_daemon(self.registry, plan)
    }

    fn stop(&self) -> Result<u8, Failure> {
        let Some((pid, _)) = self.pid()?.filter(|(pid, _)| pidfile::alive(*pid)) else {
            println!("Process is NOT running.");
            return Ok(0);
        };
        println!("Stopping process {pid}...");
        signal(pid, Signal::SIGTERM)?;
        let timeout = self.stop_timeout();
        if wait_for_exit(pid, timeout) {
            println!("Process stopped.");
            return Ok(0);
        }
        if !self.args.force {
            return Err(Failure::failed(format!(
                "process {pid} did not stop within {timeout:?} (use --force to kill it)"
            )));
        }
        signal(pid, Signal::SIGKILL)?;
        if wait_for_exit(pid, Duration::from_secs(5)) {
            println!("Process killed.");
            Ok(0)
        } else {
            Err(Failure::failed(format!("process {pid} survived SIGKILL")))
        }
    }

    fn reload(&self) -> Result<u8, Failure> {
        if let Some(target) = &self.args.target {
            // A broken configuration is reported here, and the running process is left alone.
            load_config(target, &self.args.sets)?;
        }
        let Some((pid, _)) = self.pid()?.filter(|(pid, _)| pidfile::alive(*pid)) else {
            println!("Process is NOT running.");
            return Ok(1);
        };
        println!("Reloading process {pid}...");
        // Asked over the control socket, the daemon answers how the reload went.
        let socket = self.control_socket()?;
        let reply = match &socket {
            Some(path) => control::ask(path, "reload", Default::default(), RELOAD_ANSWER_TIMEOUT)?,
            None => None,
        };
        let Some(reply) = reply else {
            signal(pid, Signal::SIGHUP)?;
            let nowhere = socket.map_or_else(|| "known for a bare PID".into(), |path| format!("at {}", path.display()));
            eprintln!(
                "ginkgoctl: warning: no control socket {nowhere}: sent SIGHUP; the outcome cannot be confirmed (see the log)"
            );
            return Ok(0);
        };
        if reply.pid != Some(pid) {
            let answered = reply.pid.map_or_else(|| "no PID".into(), |other| format!("PID {other}"));
            return Err(Failure::failed(format!("the control socket answers for {answered}, not for process {pid}")));
        }
        let fields = reply.outcome.map_err(|reason| Failure::failed(format!("reload failed: {reason}")))?;
        let warnings = fields.get("warnings").and_then(|w| w.as_array()).cloned().unwrap_or_default();
        for warning in warnings.iter().filter_map(|w| w.as_str()) {
            eprintln!("ginkgoctl: warning: {warning}");
        }
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

    fn status(&self) -> Result<u8, Failure> {
        match self.pid()? {
            Some((pid, _)) if pidfile::alive(pid) => {
                println!("Process is running as {pid}.");
                Ok(0)
            }
            Some((pid, PidSource::Pidfile(path))) => {
                println!("Process is NOT running, but its pidfile {} names PID {pid}.", path.display());
                Ok(1)
            }
            _ => {
                println!("Process is NOT running.");
                Ok(3)
            }
        }
    }
}

impl Plan {
    fn logfile_or_default(&self) -> PathBuf {
        self.logfile.clone().unwrap_or_else(|| PathBuf::from("/dev/null"))
    }
}

fn signal(pid: u32, signal: Signal) -> Result<(), Failure> {
    let raw = i32::try_from(pid).map_err(|_| Failure::usage(format!("{pid} is not a pid")))?;
    kill(Pid::from_raw(raw), signal).map_err(|err| Failure::failed(format!("cannot signal process {pid}: {err}")))
}

/// Waits until `pid` is gone, at most `timeout`; true if it is.
fn wait_for_exit(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while pidfile::alive(pid) {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(EXIT_POLL);
    }
    true
}
