//! The signals a running service process answers: SIGTERM, SIGINT, SIGHUP and SIGUSR2 (a
//! graceful upgrade), turned into [`Request`]s in the process's [`Inbox`].
//!
//! From its first step the runner holds the three signals back ([`hold`]): one that arrives
//! before the handlers are installed waits, instead of ending the process by its default
//! action, and is answered as soon as [`listen`] installs them. The handlers stay installed
//! until the process exits, so a signal after the tree is down changes nothing either.

use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR2};
use signal_hook::iterator::Signals;

use crate::Failure;
use crate::requests::{Inbox, Request};

/// The signals and what each asks.
const ANSWERED: [(Signal, Request); 4] = [
    (Signal::SIGTERM, Request::Terminate),
    (Signal::SIGINT, Request::Interrupt),
    (Signal::SIGHUP, Request::Reload),
    (Signal::SIGUSR2, Request::Upgrade),
];

fn answered() -> SigSet {
    let mut set = SigSet::empty();
    for (signal, _) in ANSWERED {
        set.add(signal);
    }
    set
}

/// Holds SIGTERM, SIGINT and SIGHUP back in this thread and in every thread and child it
/// starts from now on: they wait, pending, until [`listen`] (or [`release`]).
pub(crate) fn hold() {
    let _ = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&answered()), None);
}

/// Lets the held signals through again with their default effect (for a process that will not
/// [`listen`], such as the parent of a daemon).
pub(crate) fn release() {
    let _ = pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(&answered()), None);
}

/// Installs the handlers: from now on SIGTERM, SIGINT and SIGHUP set their request in `inbox`
/// (the handler sets the flag itself; a thread wakes the serve loop) and no longer have their
/// default effect. Then lets any signal held back until now through, to be answered.
pub(crate) fn listen(inbox: &Inbox) -> Result<(), Failure> {
    let cannot = |err: std::io::Error| Failure::failed(format!("cannot install signal handlers: {err}"));
    for (signal, request) in ANSWERED {
        signal_hook::flag::register(signal as i32, inbox.flag(request)).map_err(cannot)?;
    }
    // Registered after the flags, so it runs after them in the handler: by the time the thread
    // wakes the loop, the flag is set.
    let mut signals = Signals::new([SIGTERM, SIGINT, SIGHUP, SIGUSR2]).map_err(cannot)?;
    let waker = inbox.clone();
    std::thread::Builder::new()
        .name("ginkgo-signals".into())
        .spawn(move || {
            for _ in signals.forever() {
                waker.wake();
            }
        })
        .map_err(|err| Failure::failed(format!("cannot start the signal thread: {err}")))?;
    release();
    Ok(())
}
