//! Counting the nodes of a tree that have started and stopped.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// How many nodes of a tree have started and stopped, and a way to wait until all have started.
///
/// Each node of both trees calls [`started`](Tally::started) once and
/// [`stopped`](Tally::stopped) once, so both sides pay the same for counting.
#[derive(Debug)]
pub struct Tally {
    size: usize,
    started: AtomicUsize,
    stopped: AtomicUsize,
    all_started: Notify,
}

impl Tally {
    /// A tally for a tree of `size` nodes.
    pub fn new(size: usize) -> Arc<Tally> {
        Arc::new(Tally { size, started: AtomicUsize::new(0), stopped: AtomicUsize::new(0), all_started: Notify::new() })
    }

    /// A node has started.
    pub fn started(&self) {
        if self.started.fetch_add(1, Ordering::AcqRel) + 1 == self.size {
            self.all_started.notify_one();
        }
    }

    /// A node has stopped.
    pub fn stopped(&self) {
        self.stopped.fetch_add(1, Ordering::AcqRel);
    }

    /// Resolves once every node has started.
    pub async fn all_started(&self) {
        self.all_started.notified().await;
    }

    /// How many nodes have started so far.
    pub fn started_count(&self) -> usize {
        self.started.load(Ordering::Acquire)
    }

    /// How many nodes have stopped so far.
    pub fn stopped_count(&self) -> usize {
        self.stopped.load(Ordering::Acquire)
    }
}
