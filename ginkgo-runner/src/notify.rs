//! Telling systemd (or any service manager speaking its protocol) how the process is doing.
//! Every call does nothing when `NOTIFY_SOCKET` is not set.

use std::time::Duration;

use sd_notify::NotifyState;

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

/// A free-form status line.
pub(crate) fn status(text: &str) {
    send(&[NotifyState::Status(text)]);
}

/// When the manager asks for a watchdog (`WATCHDOG_USEC`), pings it at half the interval from a
/// thread of its own for as long as the process lives.
pub(crate) fn start_watchdog() {
    let Some(interval) = sd_notify::watchdog_enabled() else { return };
    let period = (interval / 2).max(Duration::from_millis(1));
    let started = std::thread::Builder::new().name("ginkgo-watchdog".into()).spawn(move || {
        loop {
            send(&[NotifyState::Watchdog]);
            std::thread::sleep(period);
        }
    });
    if let Err(err) = started {
        log::error!(target: "runner", "cannot start the watchdog thread: {err}");
    }
}

fn send(states: &[NotifyState<'_>]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(err) = sd_notify::notify(states) {
        log::warn!(target: "runner", "cannot notify the service manager: {err}");
    }
}
