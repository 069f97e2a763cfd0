//! The live service tree as operators see it, from outside the tree's runtime: what
//! `ginkgoctl status`, `/readyz` and `/metrics` report.
//!
//! Everything here runs on the runner's own threads (the control socket's, the health
//! endpoint's, the state clock's). Looking at the tree is [`Context::snapshot`], which takes
//! each service's locks for a moment and never waits on the runtime: a wedged runtime still gets
//! its tree reported.
//!
//! The snapshot says which state each service is in, not since when; the [state clock](clock)
//! keeps that, by looking at the tree once a second (and at every report), so the time in a
//! state is known to within a second.

mod clock;
mod report;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ginkgo::{Context, Snapshot};

use clock::StateClock;
pub(crate) use report::{MAX_SERVICES, ServiceView, status_reply};

/// The tree of a running process, once it is built, and the clock of its states.
pub(crate) struct Tree {
    root: Mutex<Option<Context>>,
    /// When the process began to serve: what uptime counts from.
    started: Instant,
    clock: StateClock,
}

/// The tree at one moment: its snapshot and, for each service in [`Snapshot::walk`] order, how
/// long it has been in its state.
pub(crate) struct Look {
    pub(crate) snapshot: Snapshot,
    pub(crate) in_state: Vec<Duration>,
}

impl Tree {
    /// A tree not built yet; its clock starts looking once it is ([`Tree::set_root`]).
    pub(crate) fn new() -> Arc<Tree> {
        Arc::new(Tree { root: Mutex::new(None), started: Instant::now(), clock: StateClock::default() })
    }

    /// The tree is built: from now on it is reported, and its states are clocked.
    pub(crate) fn set_root(self: &Arc<Tree>, root: Context) {
        *self.root.lock().unwrap_or_else(PoisonError::into_inner) = Some(root);
        clock::watch(Arc::downgrade(self));
    }

    /// The root service, once the tree is built.
    pub(crate) fn root(&self) -> Option<Context> {
        self.root.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// How long the process has been serving.
    pub(crate) fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// The tree now, once it is built.
    pub(crate) fn look(&self) -> Option<Look> {
        let snapshot = self.root()?.snapshot();
        let in_state = self.clock.observe(&snapshot);
        Some(Look { snapshot, in_state })
    }

    /// Stops clocking the states: the process is on its way out.
    pub(crate) fn close(&self) {
        self.clock.close();
    }
}

impl Look {
    /// Every service, depth first, with its depth and time in its state.
    pub(crate) fn services(&self) -> impl Iterator<Item = ServiceView<'_>> {
        walk(&self.snapshot).into_iter().zip(&self.in_state).map(|((snapshot, depth), in_state)| ServiceView {
            snapshot,
            depth,
            in_state: *in_state,
        })
    }
}

/// Every service of `snapshot` with its depth (the root's is 0), depth first: the order of
/// [`Snapshot::walk`].
fn walk(snapshot: &Snapshot) -> Vec<(&Snapshot, usize)> {
    let mut all = Vec::new();
    let mut stack = vec![(snapshot, 0)];
    while let Some((service, depth)) = stack.pop() {
        all.push((service, depth));
        stack.extend(service.children.iter().rev().map(|child| (child, depth + 1)));
    }
    all
}
