//! The health endpoint (`health_address`): HTTP for orchestrators and scrapers, served by the
//! runner's own threads, never by the runtime that runs the tree, so that it answers (`/livez`
//! with 503) when that runtime is wedged, on every backend.
//!
//! * `/livez`: 200 while a task spawned on the tree's runtime runs within 500 ms (see
//!   `probe`), 503 when it does not;
//! * `/readyz`: 200 while the root service is ready; otherwise 503, with the path and state of
//!   every service that is not ready, one a line;
//! * `/metrics`: the tree and the process in the Prometheus text format (see `metrics`).
//!
//! A small HTTP/1.1 of its own (see `http`): GET and HEAD, no request bodies, keep-alive. The
//! same kinds of limits as the framework's servers, sized for a handful of probes and scrapers:
//! at most [`MAX_CONNECTIONS`] connections at once (more wait in the listen backlog until one
//! closes), [`HEADER_TIMEOUT`] to send a request head of at most 8 KiB, [`IDLE_TIMEOUT`] between
//! two requests, [`MAX_REQUESTS`] on one connection.

mod endpoints;
mod http;
mod metrics;
mod probe;

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ginkgo::net::{LocalAddr, activation, handover};
use nix::sys::socket::{Shutdown, shutdown};

use crate::Failure;
use crate::tree::Tree;
use endpoints::Endpoints;
use http::Incoming;

/// Connections served at once.
pub(crate) const MAX_CONNECTIONS: usize = 16;
/// How long a client has to send a request head, from its first byte (from the connection, for
/// the first request).
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may wait for its next request.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests one connection may make before it is closed.
pub(crate) const MAX_REQUESTS: usize = 1000;
/// How long a response may wait for the client to make room for it.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long accepting pauses after it failed (descriptors exhausted, say).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(200);

/// The health endpoint being served; [`close`](HealthServer::close) ends it.
pub(crate) struct HealthServer {
    listener: TcpListener,
    address: SocketAddr,
    closed: Arc<AtomicBool>,
    slots: Arc<Slots>,
}

impl HealthServer {
    /// Listens on `address` and answers for `tree` on threads of its own.
    pub(crate) fn serve(address: SocketAddr, tree: Arc<Tree>) -> Result<HealthServer, Failure> {
        let cannot = |err: std::io::Error| {
            Failure::failed(format!("setting `health_address`: cannot serve the health endpoint on {address}: {err}"))
        };
        let listener = activation::take_named_tcp("health endpoint", NAME, address).map_err(cannot)?;
        let listener = match listener {
            Some(listener) => listener,
            None => TcpListener::bind(address).map_err(cannot)?,
        };
        let bound = listener.local_addr().map_err(cannot)?;
        // For a graceful upgrade's successor.
        handover::remember_named(NAME, &LocalAddr::Tcp(bound), listener.as_fd()).map_err(cannot)?;
        let closed = Arc::new(AtomicBool::new(false));
        let slots = Arc::new(Slots::default());
        let accepting = Accepting {
            listener: listener.try_clone().map_err(cannot)?,
            endpoints: Arc::new(Endpoints { tree, probe: Default::default() }),
            closed: closed.clone(),
            slots: slots.clone(),
        };
        std::thread::Builder::new().name("ginkgo-health".into()).spawn(move || accepting.run()).map_err(cannot)?;
        log::info!(target: "runner", "health endpoint on http://{bound}: /livez, /readyz, /metrics");
        Ok(HealthServer { listener, address: bound, closed, slots })
    }

    /// Where it listens (the port chosen, for a port 0).
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops accepting; connections being served end with the process.
    pub(crate) fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            handover::forget(&LocalAddr::Tcp(self.address));
            if handover::handed_over() {
                // The socket is the successor's too: shutting it down would end its endpoint. The
                // accepting thread ends with the process.
                return;
            }
            // Wakes the accepting thread (Linux ends a blocked accept on a shut-down listener).
            let _ = shutdown(self.listener.as_raw_fd(), Shutdown::Both);
            self.slots.changed.notify_all();
        }
    }

    /// The socket is handed to a successor: it is no longer this process's to hand over, nor to
    /// wait for (it is not a server's accept loop, and accepts until the process exits).
    pub(crate) fn handed_over(&self) {
        handover::forget(&LocalAddr::Tcp(self.address));
    }
}

/// The health endpoint's name among the sockets a graceful upgrade hands over.
const NAME: &str = "ginkgo-health";

impl Drop for HealthServer {
    fn drop(&mut self) {
        self.close();
    }
}

/// The connections being served, at most [`MAX_CONNECTIONS`].
#[derive(Default)]
struct Slots {
    taken: Mutex<usize>,
    changed: Condvar,
}

impl Slots {
    /// Waits for a free slot and takes it; `None` once `closed`.
    fn take(self: &Arc<Self>, closed: &AtomicBool) -> Option<Slot> {
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        while *taken >= MAX_CONNECTIONS && !closed.load(Ordering::SeqCst) {
            taken = self.changed.wait(taken).unwrap_or_else(PoisonError::into_inner);
        }
        if closed.load(Ordering::SeqCst) {
            return None;
        }
        *taken += 1;
        Some(Slot(self.clone()))
    }
}

/// A connection's place among the [`MAX_CONNECTIONS`], given back when it ends.
struct Slot(Arc<Slots>);

impl Drop for Slot {
    fn drop(&mut self) {
        *self.0.taken.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
        self.0.changed.notify_all();
    }
}

struct Accepting {
    listener: TcpListener,
    endpoints: Arc<Endpoints>,
    closed: Arc<AtomicBool>,
    slots: Arc<Slots>,
}

impl Accepting {
    fn run(self) {
        let mut last_complaint: Option<Instant> = None;
        // Beyond the cap, clients wait in the listen backlog: a slot first, then accept.
        while let Some(slot) = self.slots.take(&self.closed) {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    let endpoints = self.endpoints.clone();
                    let spawned =
                        std::thread::Builder::new().name("ginkgo-health-connection".into()).spawn(move || {
                            let _slot = slot;
                            serve_connection(stream, &endpoints);
                        });
                    if let Err(err) = spawned {
                        log::warn!(target: "runner", "health endpoint: cannot start a connection thread: {err}");
                    }
                }
                Err(_) if self.closed.load(Ordering::SeqCst) => return,
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) => {
                    // Once a minute at most, however often accept fails.
                    if last_complaint.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                        log::warn!(target: "runner", "health endpoint: cannot accept a connection: {err}");
                        last_complaint = Some(Instant::now());
                    }
                    drop(slot);
                    std::thread::sleep(ACCEPT_BACKOFF);
                }
            }
        }
    }
}

/// Answers the requests of one connection, in order, until it ends, idles or misbehaves.
fn serve_connection(mut stream: TcpStream, endpoints: &Endpoints) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut pending = Vec::new();
    let mut idle = HEADER_TIMEOUT;
    for number in 1..=MAX_REQUESTS {
        let (response, head_only, keep_alive) =
            match http::read_request(&mut stream, &mut pending, idle, HEADER_TIMEOUT) {
                Incoming::Request(request) => {
                    let keep_alive = request.keep_alive && number < MAX_REQUESTS;
                    (endpoints.respond(&request.path), request.head_only, keep_alive)
                }
                Incoming::Refused(response) => (response, false, false),
                Incoming::Closed => return,
            };
        if http::write_response(&mut stream, &response, head_only, keep_alive).is_err() || !keep_alive {
            return;
        }
        idle = IDLE_TIMEOUT;
    }
}
