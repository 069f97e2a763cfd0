//! What the servers of this process listen on, for a graceful upgrade to hand to the process
//! that replaces this one.
//!
//! Every listener made by [`listen_std`](super::backend::listen_std) is recorded here (a second
//! descriptor of the same socket, closed on exec) with the path of its service, which names it
//! for the successor (`LISTEN_FDNAMES`); [`Listen`](super::backend::Listen) forgets it when the
//! listener closes, so that a stopped server's port is free again. [`listening`] gives the
//! sockets to hand over; once handed over, [`stop_accepting`] ends the accept loops of
//! this process's servers (the successor accepts from then on; the connections already accepted
//! are served on), and keeps this process from removing the files of its Unix sockets when it
//! stops: the successor listens on them.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use std::future::Future;
use std::pin::pin;

use event_listener::Event;
use futures::future::{Either, select};

use super::LocalAddr;
use crate::Context;

/// A socket a server of this process listens on.
#[derive(Debug)]
pub struct Listening {
    /// The path of its service in the tree: its name for the successor.
    pub name: String,
    /// Where it listens.
    pub local: LocalAddr,
    /// A descriptor of the socket, for the successor.
    pub fd: OwnedFd,
}

static LISTENING: Mutex<Vec<Listening>> = Mutex::new(Vec::new());

/// Set once the sockets are handed over.
static HANDED_OVER: AtomicBool = AtomicBool::new(false);

static HANDED_OVER_EVENT: Event = Event::new();

fn listening_now() -> MutexGuard<'static, Vec<Listening>> {
    LISTENING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Records that `ctx`'s service listens on `fd` at `local`.
pub(crate) fn remember(ctx: &Context, local: &LocalAddr, fd: BorrowedFd<'_>) -> io::Result<()> {
    remember_named(&ctx.path(), local, fd)
}

/// Records that a listener of the process itself, `name` for the successor, listens on `fd` at
/// `local` (the runner's health endpoint); [`forget`] it when it closes.
pub fn remember_named(name: &str, local: &LocalAddr, fd: BorrowedFd<'_>) -> io::Result<()> {
    let fd = fd.try_clone_to_owned()?;
    let mut listening = listening_now();
    listening.retain(|socket| socket.local != *local);
    listening.push(Listening { name: name.to_string(), local: local.clone(), fd });
    Ok(())
}

/// Forgets the socket at `local`: its listener has closed.
pub fn forget(local: &LocalAddr) {
    listening_now().retain(|socket| socket.local != *local);
}

/// A copy of each socket the servers of this process listen on now, in the order they were
/// bound.
pub fn listening() -> io::Result<Vec<Listening>> {
    let listening = listening_now();
    listening
        .iter()
        .map(|socket| {
            Ok(Listening { name: socket.name.clone(), local: socket.local.clone(), fd: socket.fd.try_clone()? })
        })
        .collect()
}

/// The sockets have been handed to a successor: the servers' accept loops end (a blocking
/// transport's at the stop), and the Unix sockets' files are left in place when their listeners
/// close. The connections already accepted are served on, until the process stops.
pub fn stop_accepting() {
    HANDED_OVER.store(true, Ordering::SeqCst);
    HANDED_OVER_EVENT.notify(usize::MAX);
}

/// Where the servers of this process still accept connections.
pub fn still_accepting() -> Vec<LocalAddr> {
    listening_now().iter().map(|socket| socket.local.clone()).collect()
}

/// True once [`stop_accepting`] was called: the sockets are the successor's too.
pub fn handed_over() -> bool {
    HANDED_OVER.load(Ordering::SeqCst)
}

/// `future`'s output, or `None` if [`stop_accepting`] is called first. The hand-over is
/// looked at first: a blocking transport's `accept` blocks in its first poll.
pub(crate) async fn unless_handed_over<F: Future>(future: F) -> Option<F::Output> {
    match select(pin!(until_handed_over()), pin!(future)).await {
        Either::Left(_) => None,
        Either::Right((output, _)) => Some(output),
    }
}

/// Returns once [`stop_accepting`] is called.
async fn until_handed_over() {
    loop {
        if HANDED_OVER.load(Ordering::SeqCst) {
            return;
        }
        let listener = HANDED_OVER_EVENT.listen();
        if HANDED_OVER.load(Ordering::SeqCst) {
            return;
        }
        listener.await;
    }
}
