//! The open connections of a blocking server or client, so that its stop can cut them.
//!
//! A thread blocked reading or writing a socket cannot be cancelled; shutting the socket down
//! from another thread is what ends the blocked call. A listener, or a client's connection,
//! keeps a copy of each open socket here and, through a small async task (the watch), cuts them
//! all when that task is cancelled at `stop_timeout`.

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, TcpStream};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, MutexGuard};

use event_listener::{Event, listener};
use futures::future::{Either, select};
use ginkgo_core::net::backend::Socket;
use ginkgo_core::{Context, TaskResult};

/// A connected socket of the threads backend.
pub(crate) type StdSocket = Socket<TcpStream, UnixStream>;

/// The open connections of one listener, or of one client's connection.
#[derive(Clone, Default)]
pub(crate) struct Connections(Arc<Shared>);

#[derive(Default)]
struct Shared {
    open: Mutex<Registry>,
    /// Notified whenever a connection closes.
    closed: Event,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    sockets: HashMap<u64, StdSocket>,
}

impl Connections {
    /// Records `socket` as open until the returned guard is dropped. Keeping a copy takes a
    /// second file descriptor: when there is none, the connection is not recorded.
    pub(crate) fn register(&self, socket: &StdSocket) -> io::Result<Registered> {
        let copy = match socket {
            Socket::Tcp(tcp) => Socket::Tcp(tcp.try_clone()?),
            Socket::Unix(unix) => Socket::Unix(unix.try_clone()?),
        };
        let mut registry = self.lock();
        let id = registry.next_id;
        registry.next_id += 1;
        registry.sockets.insert(id, copy);
        Ok(Registered { connections: self.clone(), id })
    }

    /// Shuts every open connection down: blocked reads and writes on them return.
    fn cut_all(&self) {
        for socket in self.lock().sockets.values() {
            let _ = match socket {
                Socket::Tcp(tcp) => tcp.shutdown(Shutdown::Both),
                Socket::Unix(unix) => unix.shutdown(Shutdown::Both),
            };
        }
    }

    /// Resolves once no connection is open.
    async fn all_closed(&self) {
        loop {
            if self.lock().sockets.is_empty() {
                return;
            }
            listener!(self.0.closed => closed);
            if self.lock().sockets.is_empty() {
                return;
            }
            closed.await;
        }
    }

    /// Spawns the watch of a listener's connections on `ctx`: when the service begins to stop
    /// it calls `wake` (which wakes the blocked `accept`), then waits for the connections to
    /// close; if it is cancelled first (at `stop_timeout`), it cuts the ones still open.
    pub(crate) fn watch_listener(&self, ctx: &Context, wake: impl FnOnce() + Send + 'static) {
        let connections = self.clone();
        let _watch = ctx.spawn(move |ctx| async move {
            ctx.stopping().await;
            wake();
            connections.cut_when_cancelled().await
        });
    }

    /// Spawns the watch of a client's connection on `ctx`: it ends when the connection closes;
    /// if the service begins to stop first and the watch is cancelled (at `stop_timeout`)
    /// before the connection closes, it cuts it.
    pub(crate) fn watch_connection(&self, ctx: &Context) {
        let connections = self.clone();
        let _watch = ctx.spawn(move |ctx| async move {
            match select(std::pin::pin!(ctx.stopping()), std::pin::pin!(connections.all_closed())).await {
                Either::Left(((), _)) => connections.cut_when_cancelled().await,
                Either::Right(((), _)) => Ok(()),
            }
        });
    }

    /// Waits for every connection to close, cutting those still open if cancelled first.
    async fn cut_when_cancelled(&self) -> TaskResult {
        let _cut = CutOnDrop(self.clone());
        self.all_closed().await;
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.0.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// An open connection, until dropped.
pub(crate) struct Registered {
    connections: Connections,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.connections.lock().sockets.remove(&self.id);
        self.connections.0.closed.notify(usize::MAX);
    }
}

/// Cuts the open connections when dropped.
struct CutOnDrop(Connections);

impl Drop for CutOnDrop {
    fn drop(&mut self) {
        self.0.cut_all();
    }
}
