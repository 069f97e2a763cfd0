//! Telling systemd (or any service manager speaking its protocol) how the process is doing.
//! Every call does nothing when `NOTIFY_SOCKET` is not set.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sd_notify::NotifyState;

/// Set once a graceful upgrade's successor is the service's main process.
static HANDED_OVER: AtomicBool = AtomicBool::new(false);

/// The tree is ready.
pub(crate) fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// A reload begins; [`ready`] ends it.
pub(crate) fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now, NotifyState::Status("reloading")]),
        Err(_) => send(&[NotifyState::Reloading, NotifyState::Status("reloading")]),
    }
}

/// The process is stopping.
pub(crate) fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

/// The service's main process is now `pid`: a graceful upgrade's successor, ready. This
/// process says nothing more (it is no longer the main one: its STOPPING=1 would be refused).
pub(crate) fn main_pid(pid: u32) {
    send(&[NotifyState::MainPid(pid), NotifyState::Status("upgraded")]);
    HANDED_OVER.store(true, Ordering::SeqCst);
}

/// A free-form status line.
pub(crate) fn status(text: &str) {
    send(&[NotifyState::Status(text)]);
}

/// How often to ping the service manager's watchdog, if it asked for one (`WATCHDOG_USEC`): half
/// its interval. `None` when there is no watchdog, or nobody to ping (`NOTIFY_SOCKET`).
pub(crate) fn watchdog_period() -> Option<Duration> {
    std::env::var_os("NOTIFY_SOCKET")?;
    let interval = sd_notify::watchdog_enabled()?;
    Some((interval / 2).max(Duration::from_millis(1)))
}

/// The process is alive and well: one watchdog ping.
pub(crate) fn watchdog() {
    send(&[NotifyState::Watchdog]);
}

fn send(states: &[NotifyState<'_>]) {
    // A graceful upgrade's new process is not the service's main process until it is ready and
    // its predecessor says so (MAINPID=).
    let quiet = crate::successor::is_successor() || HANDED_OVER.load(Ordering::SeqCst);
    if std::env::var_os("NOTIFY_SOCKET").is_none() || quiet {
        return;
    }
    if let Err(err) = sd_notify::notify(states) {
        log::warn!(target: "runner", "cannot notify the service manager: {err}");
    }
}
