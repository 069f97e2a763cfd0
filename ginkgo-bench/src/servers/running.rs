//! `Running`: a server started on a tokio runtime, until it is stopped.

use std::net::SocketAddr;

use futures::channel::oneshot;
use ginkgo::Context;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// A server that listens on `address`, and how to stop it.
pub struct Running {
    address: SocketAddr,
    stop: Stop,
}

enum Stop {
    /// A Ginkgo service: its `stop()`.
    Service(Context),
    /// A hand-written accept loop: the task is aborted; its connections end when their
    /// clients close them.
    Abort(JoinHandle<()>),
    /// `axum::serve` with a graceful shutdown: told to stop, then awaited.
    Graceful { tell: oneshot::Sender<()>, served: JoinHandle<()> },
}

impl Running {
    /// A Ginkgo service listening on `address`.
    pub(crate) fn service(address: SocketAddr, service: Context) -> Running {
        Running { address, stop: Stop::Service(service) }
    }

    /// A task accepting on `address`, stopped by aborting it.
    pub(crate) fn task(address: SocketAddr, task: JoinHandle<()>) -> Running {
        Running { address, stop: Stop::Abort(task) }
    }

    /// A task serving on `address` until told to stop through `tell`, then ending by itself.
    pub(crate) fn graceful(address: SocketAddr, tell: oneshot::Sender<()>, served: JoinHandle<()>) -> Running {
        Running { address, stop: Stop::Graceful { tell, served } }
    }

    /// Where the server listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops the server, on the `runtime` it was started on.
    ///
    /// # Panics
    ///
    /// If the server fails to stop.
    pub fn stop(self, runtime: &Runtime) {
        match self.stop {
            Stop::Service(service) => runtime.block_on(service.stop()).expect("the server stops"),
            Stop::Abort(task) => task.abort(),
            Stop::Graceful { tell, served } => {
                let _ = tell.send(());
                runtime.block_on(served).expect("the server stops");
            }
        }
    }
}
