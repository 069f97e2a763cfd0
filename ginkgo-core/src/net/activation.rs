//! Listening sockets handed to this process when it started: by systemd's socket activation, or
//! by the process a graceful upgrade replaces. Both speak systemd's protocol: the sockets are
//! the descriptors from 3 on, `LISTEN_FDS` counts them, `LISTEN_PID` names the process they are
//! for and `LISTEN_FDNAMES` names each (`:`-separated).
//!
//! The variables are read once, at the first [`inherit`] (the runner calls it first thing; a
//! server's bind calls it otherwise), and the variables (`LISTEN_FDS`, `LISTEN_PID`,
//! `LISTEN_FDNAMES` and [`UPGRADE_PARENT`]) are removed from the environment, so that a child
//! process does not take the sockets for its own. The sockets are taken (close-on-exec from then on) only if
//! `LISTEN_PID` is this process, or, when a graceful upgrade started it, if `LISTEN_PID` is unset
//! and [`UPGRADE_PARENT`] names the process that started it.
//!
//! A server takes the socket whose name is its own (`Context::name`, or its path in the tree) or
//! whose address is the one it is configured with ([`listen_std`]); sockets no server takes are
//! reported once by [`report_unclaimed`].

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::os::fd::AsFd;
use std::os::unix::net::{UnixDatagram, UnixListener};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, OnceLock};

use listenfd::ListenFd;
use nix::sys::socket::{Backlog, getsockopt, listen, sockopt};

use super::backend::{Socket, SocketFile, listen_unix};
use super::{Address, LocalAddr, SocketMode, handover};
use crate::Context;

/// Set by the process that starts its successor in a graceful upgrade: its own PID. With
/// `LISTEN_PID` unset (the successor's PID is not known before it runs), the sockets are taken
/// when this names the parent process. (Not a `GINKGO_…` name: the runner reads those as
/// settings.)
pub const UPGRADE_PARENT: &str = "LISTEN_PARENT_PID";

/// The `LISTEN_FDNAMES` name of the datagram socket a graceful upgrade hands its successor
/// beside the listening sockets: how the successor tells its predecessor that it is ready, or
/// why it failed ([`take_upgrade_channel`]).
pub const UPGRADE_CHANNEL: &str = "ginkgo-upgrade";

/// How many connections may wait to be accepted on a TCP socket bound here (the kernel caps it
/// at `somaxconn`), as on a Unix socket ([`listen_unix`]).
const BACKLOG: i32 = 1024;

/// A listening socket of the standard library's, TCP or Unix (with its file): what
/// [`listen_std`] gives each backend to make its own.
pub type StdListener = Socket<TcpListener, (UnixListener, SocketFile)>;

/// One inherited descriptor, until a server takes it.
#[derive(Debug)]
struct Inherited {
    /// The descriptor's number, for messages.
    fd: usize,
    /// Its name in `LISTEN_FDNAMES`, if any.
    name: Option<String>,
    /// The socket, or why it cannot be used; `None` once taken.
    socket: Option<Result<(StdListener, LocalAddr), String>>,
    /// Reported as taken by no server.
    reported: bool,
}

impl Inherited {
    fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!("fd {} (`{name}`)", self.fd),
            None => format!("fd {}", self.fd),
        }
    }

    fn local(&self) -> Option<&LocalAddr> {
        match &self.socket {
            Some(Ok((_, local))) => Some(local),
            _ => None,
        }
    }
}

static INHERITED: OnceLock<Mutex<Vec<Inherited>>> = OnceLock::new();

static CHANNEL: Mutex<Option<UnixDatagram>> = Mutex::new(None);

fn inherited() -> MutexGuard<'static, Vec<Inherited>> {
    let sockets = INHERITED.get_or_init(|| Mutex::new(read_environment()));
    sockets.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads the environment's sockets, once: the first call takes them (and removes `LISTEN_FDS`,
/// `LISTEN_PID`, `LISTEN_FDNAMES` and `LISTEN_PARENT_PID`); later calls do nothing. How many sockets were handed to this process.
///
/// Call it before forking a daemon (its PID is no longer `LISTEN_PID`) and before threads run
/// (it changes the environment, which another thread must not be reading meanwhile): the
/// runner does, first thing; a program of its own that serves without the runner calls it at
/// the top of `main`.
///
/// ```
/// // Without LISTEN_FDS (or with sockets meant for another process): nothing to take.
/// assert_eq!(ginkgo::net::activation::inherit(), 0);
/// ```
pub fn inherit() -> usize {
    inherited().len()
}

fn read_environment() -> Vec<Inherited> {
    let pid = std::env::var("LISTEN_PID").ok().filter(|pid| !pid.is_empty());
    let names = std::env::var("LISTEN_FDNAMES").ok();
    let ours = match pid {
        Some(pid) => pid.parse() == Ok(std::process::id()),
        None => {
            std::env::var(UPGRADE_PARENT).ok().and_then(|parent| parent.parse().ok())
                == Some(std::os::unix::process::parent_id())
        }
    };
    // Removes the variables, whoever they are for: `from_env` the count and the PID, then the
    // names and the upgrade's parent, so that a child process sees none of the protocol.
    let mut fds = ListenFd::from_env();
    forget(&["LISTEN_FDNAMES", UPGRADE_PARENT]);
    if !ours || fds.len() == 0 {
        return Vec::new();
    }
    let mut names = names.as_deref().unwrap_or("").split(':').map(|name| name.to_string());
    let mut sockets = Vec::new();
    for index in 0..fds.len() {
        let name = names.next().filter(|name| !name.is_empty() && name != "unknown");
        if name.as_deref() == Some(UPGRADE_CHANNEL) {
            if let Ok(Some(channel)) = fds.take_unix_datagram(index) {
                *CHANNEL.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(channel);
                continue;
            }
        }
        let socket = Some(take(&mut fds, index));
        sockets.push(Inherited { fd: 3 + index, name, socket, reported: false });
    }
    sockets
}

/// Removes the variables `names` from the environment, those that are there.
#[allow(unsafe_code)]
fn forget(names: &[&str]) {
    for name in names.iter().filter(|name| std::env::var_os(name).is_some()) {
        // SAFETY: `inherit`'s contract is that it runs before any other thread (the runner calls
        // it first thing in `main`), so no thread reads the environment while it changes; this is
        // the same moment at which `ListenFd::from_env` removes its two variables.
        unsafe { std::env::remove_var(name) };
    }
}

/// The channel to the process this one replaces, when a graceful upgrade started it (see
/// [`UPGRADE_CHANNEL`]); `None` otherwise, and once taken.
pub fn take_upgrade_channel() -> Option<UnixDatagram> {
    inherit();
    CHANNEL.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
}

/// The socket at `index`, checked: a TCP or Unix stream socket that listens.
fn take(fds: &mut ListenFd, index: usize) -> Result<(StdListener, LocalAddr), String> {
    let fd = 3 + index;
    let why = |err: io::Error| format!("fd {fd}: {err}");
    if let Ok(Some(tcp)) = fds.take_tcp_listener(index) {
        let local = tcp.local_addr().map_err(why)?;
        check_listening(&tcp, fd, &local.to_string())?;
        return Ok((Socket::Tcp(tcp), LocalAddr::Tcp(local)));
    }
    match fds.take_unix_listener(index) {
        Ok(Some(unix)) => {
            let address = unix.local_addr().map_err(why)?;
            let Some(path) = address.as_pathname().map(Path::to_path_buf) else {
                return Err(format!("fd {fd} is a Unix socket without a path (abstract or unnamed): not supported"));
            };
            check_listening(&unix, fd, &path.display().to_string())?;
            let file = SocketFile::adopted(&path);
            Ok((Socket::Unix((unix, file)), LocalAddr::Unix(path)))
        }
        Ok(None) => Err(format!("fd {fd} was taken already")),
        Err(_) => Err(format!("fd {fd} is neither a TCP nor a Unix stream socket")),
    }
}

fn check_listening(socket: &impl AsFd, fd: usize, address: &str) -> Result<(), String> {
    match getsockopt(socket, sockopt::AcceptConn) {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("fd {fd} ({address}) is bound but not listening")),
        Err(errno) => Err(format!("fd {fd} ({address}): {errno}")),
    }
}

/// The listener of `ctx`'s service for `address`, non-blocking if `nonblocking` (as the
/// backend's runtime needs it), and where it listens: the
/// inherited socket that is the service's (by name: `LISTEN_FDNAMES` names the service or its
/// path; or by address: the same IP address and port, or the same Unix socket path), or else a
/// socket bound now (a Unix socket's file made with `unix_mode`, see
/// [`listen_unix`]). An inherited socket's file is not removed when it closes: it belongs to
/// whoever made it. Either way the socket is recorded for a graceful upgrade
/// ([`handover`]).
///
/// The mode is set here, before the runtime sees the socket: an inherited socket shares its
/// mode with the process that handed it over (a predecessor still serving during a graceful
/// upgrade), and a runtime of the same kind needs the same mode.
///
/// An inherited socket that is the service's by name but is not a listening TCP or Unix stream
/// socket is an error saying so.
pub fn listen_std(
    ctx: &Context,
    address: &Address,
    unix_mode: SocketMode,
    nonblocking: bool,
) -> io::Result<(StdListener, LocalAddr)> {
    let (listener, local) = match take_for(ctx, address)? {
        Some(inherited) => inherited,
        None => match address {
            Address::Tcp(host_port) => {
                let tcp = TcpListener::bind(host_port.as_str())?;
                // The standard library listens with a backlog of 128 (and so did async-io's bind,
                // which is std's); tokio's bind with 1024, which listening again sets, for all.
                listen(&tcp, Backlog::new(BACKLOG).unwrap_or(Backlog::MAXCONN))?;
                let local = tcp.local_addr()?;
                (Socket::Tcp(tcp), LocalAddr::Tcp(local))
            }
            Address::Unix(path) => (Socket::Unix(listen_unix(path, unix_mode)?), LocalAddr::Unix(path.clone())),
        },
    };
    let fd = match &listener {
        Socket::Tcp(tcp) => {
            tcp.set_nonblocking(nonblocking)?;
            tcp.as_fd()
        }
        Socket::Unix((unix, _)) => {
            unix.set_nonblocking(nonblocking)?;
            unix.as_fd()
        }
    };
    handover::remember(ctx, &local, fd)?;
    Ok((listener, local))
}

/// Takes the inherited socket that is `ctx`'s service's for `address`, if one is.
fn take_for(ctx: &Context, address: &Address) -> io::Result<Option<(StdListener, LocalAddr)>> {
    let path = ctx.path();
    take_matching(&path, |name| name == ctx.name() || name == path, address)
}

/// Takes the inherited TCP socket named `name` or listening at `address`, for a listener of the
/// process itself that `owner` names in the log (the runner's health endpoint), in blocking
/// mode. An inherited Unix socket there is an error.
pub fn take_named_tcp(owner: &str, name: &str, address: SocketAddr) -> io::Result<Option<TcpListener>> {
    match take_matching(owner, |given| given == name, &Address::Tcp(address.to_string()))? {
        Some((Socket::Tcp(listener), _)) => {
            listener.set_nonblocking(false)?;
            Ok(Some(listener))
        }
        Some((Socket::Unix(_), local)) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the inherited socket for {owner} is a Unix socket ({local}), not TCP"),
        )),
        None => Ok(None),
    }
}

fn take_matching(
    owner: &str,
    named: impl Fn(&str) -> bool,
    address: &Address,
) -> io::Result<Option<(StdListener, LocalAddr)>> {
    let mut sockets = inherited();
    if sockets.iter().all(|socket| socket.socket.is_none()) {
        return Ok(None);
    }
    let by_name =
        sockets.iter().position(|socket| socket.socket.is_some() && socket.name.as_deref().is_some_and(&named));
    let found = match by_name {
        Some(index) => Some(index),
        None => {
            let wanted = resolve(address);
            sockets.iter().position(|socket| socket.local().is_some_and(|local| wanted.iter().any(|w| w == local)))
        }
    };
    let Some(index) = found else { return Ok(None) };
    let socket = &mut sockets[index];
    let what = socket.describe();
    match socket.socket.take() {
        Some(Ok((listener, local))) => {
            log::info!("{owner}: takes the inherited socket {what}, listening on {local}");
            Ok(Some((listener, local)))
        }
        Some(Err(why)) => Err(io::Error::new(io::ErrorKind::InvalidInput, format!("inherited socket {why}"))),
        None => Ok(None),
    }
}

/// Where `address` listens, as inherited sockets are compared: each IP address and port it
/// resolves to (none for port 0, which no inherited socket has), or the Unix socket's path,
/// as given and made absolute.
fn resolve(address: &Address) -> Vec<LocalAddr> {
    match address {
        Address::Tcp(host_port) => {
            let resolved = host_port.to_socket_addrs().map(Iterator::collect).unwrap_or_else(|_| Vec::new());
            resolved.into_iter().filter(|at: &SocketAddr| at.port() != 0).map(LocalAddr::Tcp).collect()
        }
        Address::Unix(path) => {
            let mut paths = vec![LocalAddr::Unix(path.clone())];
            if let Ok(absolute) = std::path::absolute(path) {
                paths.push(LocalAddr::Unix(absolute));
            }
            paths
        }
    }
}

/// Logs, once, each inherited socket that no server has taken (and each that cannot be used):
/// to be called once the tree has started. How many were left.
pub fn report_unclaimed() -> usize {
    let mut sockets = inherited();
    let mut left = 0;
    for socket in sockets.iter_mut().filter(|socket| !socket.reported) {
        let what = socket.describe();
        match socket.socket.as_ref() {
            Some(Ok((_, local))) => log::warn!("inherited socket {what} on {local} was taken by no server"),
            Some(Err(why)) => log::warn!("inherited socket {why}; no server took it"),
            None => continue,
        }
        // Still open (a server started later may take it), but reported once.
        socket.reported = true;
        left += 1;
    }
    left
}
