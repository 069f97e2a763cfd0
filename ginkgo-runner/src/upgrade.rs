//! A graceful upgrade, on the side of the running process: start the program again from its
//! file (the new version, once installed), with the listening sockets of this process, and wait
//! until it says it is ready, or why it failed.
//!
//! The successor gets the sockets as systemd hands sockets to a service (`LISTEN_FDS`,
//! `LISTEN_FDNAMES`, descriptors from 3; see `ginkgo::net::activation`), named by the path of
//! the service that listens on each, so that a server configured with port 0 finds its own. Its
//! PID is not known before it runs, so `LISTEN_PID` is left out and
//! [`UPGRADE_PARENT`] names this process instead. One more descriptor, a datagram socket named
//! [`UPGRADE_CHANNEL`], is its channel back: it sends `READY=1` once it has taken over the
//! pidfile and the control socket, or `ERROR=why` (see `successor.rs`). A successor that exits,
//! or is not ready in time, is a failed upgrade: this process serves on as before.

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::path::PathBuf;
use std::pin::pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use command_fds::{CommandFdExt, FdMapping};
use futures::channel::oneshot;
use futures::future::{Either, select};
use ginkgo::AsyncManager;
use ginkgo::net::LocalAddr;
use ginkgo::net::activation::{UPGRADE_CHANNEL, UPGRADE_PARENT};
use ginkgo::net::handover;

use crate::notify;
use crate::requests::{self, Inbox, Request, UpgradeOutcome};

/// How long the successor has to become ready.
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the wait looks whether the successor has exited or the upgrade was called off.
const LOOK_EVERY: Duration = Duration::from_millis(20);

/// How long, at most, the accept loops of a process that handed its sockets over get to end
/// before it stops (a blocking transport's end only at the stop).
const ACCEPTING_ENDS_WITHIN: Duration = Duration::from_secs(1);

/// How long connections accepted just before the hand-over get before the stop, to be read: an
/// HTTP server shuts down at once a connection whose request it has not read yet.
const LAST_ACCEPTED_GRACE: Duration = Duration::from_millis(200);

/// The program as this process was started: its file and its arguments.
struct Program {
    file: PathBuf,
    args: Vec<OsString>,
}

static PROGRAM: OnceLock<Result<Program, String>> = OnceLock::new();

/// Notes the program's file and arguments, for an upgrade to run them again: called at the
/// start, before the file can be replaced by a new version (the path is what counts).
pub(crate) fn remember_program() {
    PROGRAM.get_or_init(|| {
        let file = std::env::current_exe().map_err(|err| format!("cannot tell this program's file: {err}"))?;
        Ok(Program { file, args: std::env::args_os().skip(1).collect() })
    });
}

/// A successor, started.
pub(crate) struct Successor {
    child: Child,
    channel: UnixDatagram,
}

impl Successor {
    /// Starts the program again with this process's listening sockets.
    pub(crate) fn start() -> Result<Successor, String> {
        remember_program();
        let program = match PROGRAM.get() {
            Some(Ok(program)) => program,
            Some(Err(why)) => return Err(why.clone()),
            None => return Err("the program's file is not known".into()),
        };
        let cannot = |err: &dyn std::fmt::Display| format!("cannot start {}: {err}", program.file.display());
        let sockets = handover::listening().map_err(|err| cannot(&err))?;
        let (channel, theirs) = UnixDatagram::pair().map_err(|err| cannot(&err))?;
        let mut names: Vec<String> = sockets.iter().map(|socket| socket.name.clone()).collect();
        names.push(UPGRADE_CHANNEL.to_string());
        let descriptors = sockets.into_iter().map(|socket| socket.fd).chain([theirs.into()]);
        let mappings = descriptors.zip(3..).map(|(parent_fd, child_fd)| FdMapping { parent_fd, child_fd }).collect();
        let mut command = Command::new(&program.file);
        command
            .args(&program.args)
            .env("LISTEN_FDS", names.len().to_string())
            .env("LISTEN_FDNAMES", names.join(":"))
            .env(UPGRADE_PARENT, std::process::id().to_string())
            .env_remove("LISTEN_PID")
            .stdin(Stdio::null())
            .fd_mappings(mappings)
            .map_err(|err| cannot(&err))?;
        let child = command.spawn().map_err(|err| cannot(&err))?;
        log::info!(target: "runner", "upgrade: started {} as PID {}", program.file.display(), child.id());
        Ok(Successor { child, channel })
    }

    /// Waits until the successor is ready (its PID), or fails: it says why, exits, is not ready
    /// within `timeout`, or `called_off` is set (then, and on a timeout, it is killed).
    pub(crate) fn wait_ready(mut self, timeout: Duration, called_off: &AtomicBool) -> Result<u32, String> {
        let pid = self.child.id();
        let deadline = Instant::now() + timeout;
        let _ = self.channel.set_read_timeout(Some(LOOK_EVERY));
        let mut said = [0; 4096];
        loop {
            if let Ok(length) = self.channel.recv(&mut said) {
                let message = String::from_utf8_lossy(&said[..length]).trim_end().to_string();
                if message == "READY=1" {
                    return Ok(pid);
                }
                if let Some(why) = message.strip_prefix("ERROR=") {
                    let _ = self.child.wait();
                    return Err(format!("the new process (PID {pid}) failed: {why}"));
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the new process (PID {pid}) exited before it was ready ({status})"));
            }
            if called_off.load(Ordering::SeqCst) {
                self.kill();
                return Err(format!("called off: the new process (PID {pid}) was killed"));
            }
            if Instant::now() >= deadline {
                self.kill();
                return Err(format!("the new process (PID {pid}) was not ready within {timeout:?}; it was killed"));
            }
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How an upgrade ended, when no stop cut it short.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Upgraded {
    /// The successor is ready and has taken over: this process stops (draining its connections).
    Yes,
    /// It failed: this process serves on, as before.
    No,
}

/// Runs one upgrade, answering whoever asked for it (over the control socket) and what is asked
/// meanwhile: another upgrade or a reload is refused; a stop calls the upgrade off (the
/// successor is killed, unless it became ready just then) and is returned as `Err`.
pub(crate) async fn run(inbox: &Inbox) -> Result<Upgraded, Request> {
    let waiters = inbox.take_upgrade_waiters();
    log::info!(target: "runner", "upgrade requested: starting the program again with the listening sockets");
    let called_off = Arc::new(AtomicBool::new(false));
    let (tell, mut told) = oneshot::channel();
    let off = called_off.clone();
    let thread = std::thread::Builder::new().name("ginkgo-upgrade".into()).spawn(move || {
        let outcome = Successor::start().and_then(|successor| successor.wait_ready(READY_TIMEOUT, &off));
        let _ = tell.send(outcome);
    });
    if let Err(err) = thread {
        let outcome = Err(format!("cannot start the upgrade's thread: {err}"));
        return Ok(conclude(waiters, outcome));
    }
    loop {
        match select(&mut told, pin!(inbox.next())).await {
            Either::Left((outcome, _)) => return Ok(conclude(waiters, unanswered(outcome))),
            Either::Right((Request::Upgrade, _)) => {
                requests::answer(inbox.take_upgrade_waiters(), &Err("an upgrade is already under way".into()));
            }
            Either::Right((Request::Reload, _)) => {
                requests::answer(inbox.take_reload_waiters(), &Err("not reloaded: an upgrade is under way".into()));
            }
            Either::Right((stop, _)) => {
                log::info!(target: "runner", "{stop} during the upgrade: calling it off");
                called_off.store(true, Ordering::SeqCst);
                let outcome =
                    unanswered(told.await).map_err(|_| format!("the upgrade was cut short: {stop} stopped the daemon"));
                conclude(waiters, outcome);
                return Err(stop);
            }
        }
    }
}

/// Once the successor has taken over: waits until this process's servers no longer accept
/// (their accept loops end at the hand-over), then a moment more for the connections they
/// accepted last to be read, so that the stop that follows drains them rather than drops them.
///
/// A blocking transport's accept (the threads backend's) ends only with a connection: each
/// listener still accepting after a look is knocked on, as that transport does itself at a
/// stop. The knock may reach the successor instead, as one empty connection.
pub(crate) async fn let_accepting_end(runtime: &Arc<dyn AsyncManager>) {
    let deadline = Instant::now() + ACCEPTING_ENDS_WITHIN;
    while Instant::now() < deadline {
        runtime.sleep(LOOK_EVERY).await;
        let accepting = handover::still_accepting();
        if accepting.is_empty() {
            break;
        }
        accepting.iter().for_each(knock);
    }
    runtime.sleep(LAST_ACCEPTED_GRACE).await;
}

/// Connects to the listener at `local`, and leaves.
fn knock(local: &LocalAddr) {
    let _ = match local {
        LocalAddr::Tcp(address) => {
            let ip = match address.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
                ip => ip,
            };
            TcpStream::connect_timeout(&SocketAddr::new(ip, address.port()), LOOK_EVERY).map(drop)
        }
        LocalAddr::Unix(path) => UnixStream::connect(path).map(drop),
    };
}

fn unanswered(outcome: Result<UpgradeOutcome, oneshot::Canceled>) -> UpgradeOutcome {
    outcome.unwrap_or_else(|_| Err("the upgrade's thread ended without an answer".into()))
}

/// Acts on `outcome` and tells `waiters`.
fn conclude(waiters: Vec<std::sync::mpsc::Sender<UpgradeOutcome>>, outcome: UpgradeOutcome) -> Upgraded {
    let upgraded = match &outcome {
        Ok(pid) => {
            log::info!(target: "runner", "upgrade: PID {pid} is ready and has taken over; this process stops");
            // The successor accepts from now on, and listens on the Unix sockets' files.
            handover::stop_accepting();
            notify::main_pid(*pid);
            Upgraded::Yes
        }
        Err(why) => {
            log::error!(target: "runner", "upgrade failed: {why}; serving on");
            Upgraded::No
        }
    };
    requests::answer(waiters, &outcome);
    upgraded
}
