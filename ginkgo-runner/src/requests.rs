//! What a running process is asked to do, by a signal or over the control socket, kept until the
//! serve loop takes it.
//!
//! Each kind of request is one flag, not a queue entry: a burst of SIGHUPs is one reload, a
//! burst of SIGTERMs one stop, and no flood of signals or requests grows memory. The signal
//! handler itself sets the flags (see `signals.rs`), so a signal counts from the moment it is
//! delivered.

use std::fmt;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::task::Poll;

use futures::task::AtomicWaker;

/// What is asked of the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// SIGINT: stop gracefully; a second one during the stop exits at once.
    Interrupt,
    /// SIGTERM: stop gracefully.
    Terminate,
    /// SIGHUP or the control socket's `reload`: reload configuration, logging and the tree.
    Reload,
    /// SIGUSR2 or the control socket's `upgrade`: start the program again from its file, hand
    /// it the listening sockets, and once it is ready, stop.
    Upgrade,
}

impl Request {
    /// In the order they are taken when several are waiting: a stop before an upgrade, an
    /// upgrade before a reload.
    const BY_PRIORITY: [Request; 4] = [Request::Interrupt, Request::Terminate, Request::Upgrade, Request::Reload];
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Request::Interrupt => "SIGINT",
            Request::Terminate => "SIGTERM",
            Request::Reload => "a reload",
            Request::Upgrade => "an upgrade",
        })
    }
}

/// How a reload went: the warnings for settings that wait for a restart, or why nothing was
/// applied.
pub(crate) type ReloadOutcome = Result<Vec<String>, String>;

/// How an upgrade went: the new process's PID, or why there is none (and this process serves
/// on).
pub(crate) type UpgradeOutcome = Result<u32, String>;

/// The process's requests, shared by whoever asks (the signal handler, control connections)
/// and the serve loop that answers.
#[derive(Clone, Default)]
pub(crate) struct Inbox(Arc<Shared>);

#[derive(Default)]
struct Shared {
    interrupt: Arc<AtomicBool>,
    terminate: Arc<AtomicBool>,
    reload: Arc<AtomicBool>,
    upgrade: Arc<AtomicBool>,
    /// The serve loop, waiting for a request.
    waker: AtomicWaker,
    /// Control connections waiting for the outcome of the next reload; at most one per
    /// connection, and connections are bounded.
    reload_waiters: Mutex<Vec<Sender<ReloadOutcome>>>,
    /// Control connections waiting for the outcome of the next upgrade, as for reloads.
    upgrade_waiters: Mutex<Vec<Sender<UpgradeOutcome>>>,
}

impl Inbox {
    pub(crate) fn new() -> Inbox {
        Inbox::default()
    }

    /// The flag of `request`, for a signal handler to set; [`wake`](Inbox::wake) must follow.
    pub(crate) fn flag(&self, request: Request) -> Arc<AtomicBool> {
        self.slot(request).clone()
    }

    fn slot(&self, request: Request) -> &Arc<AtomicBool> {
        match request {
            Request::Interrupt => &self.0.interrupt,
            Request::Terminate => &self.0.terminate,
            Request::Reload => &self.0.reload,
            Request::Upgrade => &self.0.upgrade,
        }
    }

    /// Asks for `request`: at most once, however often it is asked before it is taken.
    pub(crate) fn post(&self, request: Request) {
        self.slot(request).store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Tells the serve loop to look at the flags again.
    pub(crate) fn wake(&self) {
        self.0.waker.wake();
    }

    /// Asks for a reload and returns where its outcome will arrive: the outcome of a reload that
    /// begins after this call. The sender is dropped unanswered if the process stops first.
    pub(crate) fn ask_reload(&self) -> Receiver<ReloadOutcome> {
        let (sender, receiver) = channel();
        self.0.reload_waiters.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(sender);
        self.post(Request::Reload);
        receiver
    }

    /// Takes the waiters that the reload beginning now answers.
    pub(crate) fn take_reload_waiters(&self) -> Vec<Sender<ReloadOutcome>> {
        std::mem::take(&mut *self.0.reload_waiters.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Asks for an upgrade and returns where its outcome will arrive, as [`ask_reload`] does.
    ///
    /// [`ask_reload`]: Inbox::ask_reload
    pub(crate) fn ask_upgrade(&self) -> Receiver<UpgradeOutcome> {
        let (sender, receiver) = channel();
        self.0.upgrade_waiters.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(sender);
        self.post(Request::Upgrade);
        receiver
    }

    /// Takes the waiters that the upgrade beginning now answers.
    pub(crate) fn take_upgrade_waiters(&self) -> Vec<Sender<UpgradeOutcome>> {
        std::mem::take(&mut *self.0.upgrade_waiters.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Takes a waiting request, a stop before a reload.
    pub(crate) fn try_take(&self) -> Option<Request> {
        Request::BY_PRIORITY.into_iter().find(|request| self.slot(*request).swap(false, Ordering::SeqCst))
    }

    /// Waits for a request and takes it. Dropping the future takes nothing.
    pub(crate) async fn next(&self) -> Request {
        poll_fn(|cx| {
            if let Some(request) = self.try_take() {
                return Poll::Ready(request);
            }
            self.0.waker.register(cx.waker());
            // A request posted between the first look and the registration is seen here.
            match self.try_take() {
                Some(request) => Poll::Ready(request),
                None => Poll::Pending,
            }
        })
        .await
    }
}

/// Answers every waiter with `outcome`.
pub(crate) fn answer<T: Clone>(waiters: Vec<Sender<T>>, outcome: &T) {
    for waiter in waiters {
        let _ = waiter.send(outcome.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_one_request_and_a_stop_comes_before_a_reload() {
        let inbox = Inbox::new();
        for _ in 0..1000 {
            inbox.post(Request::Reload);
        }
        inbox.post(Request::Terminate);
        inbox.flag(Request::Interrupt).store(true, Ordering::SeqCst);
        assert_eq!(inbox.try_take(), Some(Request::Interrupt));
        assert_eq!(inbox.try_take(), Some(Request::Terminate));
        assert_eq!(inbox.try_take(), Some(Request::Reload));
        assert_eq!(inbox.try_take(), None);
    }

    #[test]
    fn next_wakes_for_a_request_posted_from_another_thread() {
        let inbox = Inbox::new();
        let poster = inbox.clone();
        let thread = std::thread::spawn(move || poster.post(Request::Terminate));
        assert_eq!(futures::executor::block_on(inbox.next()), Request::Terminate);
        thread.join().unwrap();
    }

    #[test]
    fn reload_waiters_are_answered_by_the_reload_that_takes_them() {
        let inbox = Inbox::new();
        let first = inbox.ask_reload();
        let second = inbox.ask_reload();
        assert_eq!(inbox.try_take(), Some(Request::Reload), "two asks, one reload");
        answer(inbox.take_reload_waiters(), &Err("setting `loglevel`: `loud` is not a level".into()));
        assert_eq!(first.recv().unwrap(), Err("setting `loglevel`: `loud` is not a level".to_string()));
        assert!(second.recv().unwrap().is_err());
        let late = inbox.ask_reload();
        drop(inbox);
        assert!(late.recv().is_err(), "unanswered when the process goes away");
    }
}
