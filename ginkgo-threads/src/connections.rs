//! The open connections of a blocking server or client, so that its stop can cut them.
//!
//! A thread blocked reading or writing a socket cannot be cancelled; shutting the socket down
//! from another thread is what ends the blocked call. A service keeps a copy of each open
//! socket here and, through a small async task (the watch), cuts them all when that task is
//! cancelled at `stop_timeout`.

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};

use event_listener::{Event, listener};
use ginkgo_core::net::OpenConnection;
use ginkgo_core::{Context, Gauge, TaskHandle};

/// The open connections of one run of a service.
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
    streams: HashMap<u64, TcpStream>,
}

impl Connections {
    /// Records `stream` as open (counted in `gauges`) until the returned guard is dropped.
    pub(crate) fn register(&self, stream: &TcpStream, gauges: Vec<Gauge>) -> io::Result<Registered> {
        self.register_open(stream, OpenConnection::new(gauges))
    }

    /// Records `stream` as open, counted as `open`, until the returned guard is dropped. Keeping
    /// a copy takes a second file descriptor: when there is none, the connection is not
    /// recorded (and `open` is dropped).
    pub(crate) fn register_open(&self, stream: &TcpStream, open: OpenConnection) -> io::Result<Registered> {
        let copy = stream.try_clone()?;
        let mut registry = self.lock();
        let id = registry.next_id;
        registry.next_id += 1;
        registry.streams.insert(id, copy);
        Ok(Registered { connections: self.clone(), id, _open: open })
    }

    /// Shuts every open connection down: blocked reads and writes on them return.
    fn cut_all(&self) {
        for stream in self.lock().streams.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Resolves once no connection is open.
    async fn all_closed(&self) {
        loop {
            if self.lock().streams.is_empty() {
                return;
            }
            listener!(self.0.closed => closed);
            if self.lock().streams.is_empty() {
                return;
            }
            closed.await;
        }
    }

    /// Spawns the watch on `ctx`: when the service begins to stop it calls `on_stop`, then
    /// waits for the connections to close; if it is cancelled first (at `stop_timeout`), it
    /// cuts the ones still open.
    pub(crate) fn watch(&self, ctx: &Context, on_stop: impl FnOnce() + Send + 'static) -> TaskHandle {
        let connections = self.clone();
        ctx.spawn(move |ctx| watch(ctx, connections, on_stop))
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.0.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn watch(ctx: Context, connections: Connections, on_stop: impl FnOnce()) -> ginkgo_core::TaskResult {
    ctx.stopping().await;
    on_stop();
    let _cut = CutOnDrop(connections.clone());
    connections.all_closed().await;
    Ok(())
}

/// An open connection, until dropped.
pub(crate) struct Registered {
    connections: Connections,
    id: u64,
    _open: OpenConnection,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.connections.lock().streams.remove(&self.id);
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
