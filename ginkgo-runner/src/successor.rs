//! A graceful upgrade, on the side of the new process: it was started by the process it
//! replaces (see `upgrade.rs`), which waits for a word on the channel it handed over. The new
//! process does not daemonize (its predecessor was the daemon), takes over the pidfile and the
//! control socket once its tree is ready, then says `READY=1`; or, if anything fails first,
//! `ERROR=` and the one line it exits with.

use std::os::unix::net::UnixDatagram;
use std::sync::Mutex;

static CHANNEL: Mutex<Option<UnixDatagram>> = Mutex::new(None);

/// Takes the channel to the predecessor, if a graceful upgrade started this process: call once,
/// at the start. True for a successor.
pub(crate) fn take_channel() -> bool {
    let channel = ginkgo::net::activation::take_upgrade_channel();
    let found = channel.is_some();
    if found {
        *lock() = channel;
    }
    found || is_successor()
}

/// True while this process is a successor that has not reported yet.
pub(crate) fn is_successor() -> bool {
    lock().is_some()
}

/// Tells the predecessor that this process is ready and has taken over: it may stop.
pub(crate) fn report_ready() {
    send("READY=1");
}

/// Tells the predecessor why this process could not take over (it serves on).
pub(crate) fn report_failure(why: &str) {
    send(&format!("ERROR={}", why.replace('\n', " ")));
}

fn send(message: &str) {
    if let Some(channel) = lock().take() {
        if let Err(err) = channel.send(message.as_bytes()) {
            log::warn!(target: "runner", "cannot report to the process this one replaces: {err}");
        }
    }
}

fn lock() -> std::sync::MutexGuard<'static, Option<UnixDatagram>> {
    CHANNEL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
