//! The state clock: since when each service has been in its state, as far as the runner has
//! seen. The core's snapshot does not say; the clock looks at the tree once a second on a thread
//! of its own (and again at every report), and a state that differs from the last look counts
//! from the look that saw it. So a time in a state is short by less than a second, never long.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use ginkgo::{Snapshot, State};

use super::{Tree, walk};

/// How often the clock looks at the tree when nobody asks.
const PERIOD: Duration = Duration::from_secs(1);

/// Each service's state and since when, by path.
#[derive(Default)]
pub(super) struct StateClock {
    seen: Mutex<HashMap<String, (State, Instant)>>,
    closed: AtomicBool,
}

impl StateClock {
    /// How long each service of `snapshot` (in [`walk`] order) has been in its state. Services
    /// gone from the tree are forgotten.
    pub(super) fn observe(&self, snapshot: &Snapshot) -> Vec<Duration> {
        self.observe_at(snapshot, Instant::now())
    }

    fn observe_at(&self, snapshot: &Snapshot, now: Instant) -> Vec<Duration> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = HashMap::with_capacity(seen.len());
        let mut in_state = Vec::with_capacity(seen.len());
        for (service, _) in walk(snapshot) {
            // Two children of one parent may share a name, and so a path.
            let mut key = service.path.clone();
            let mut twin = 1;
            while next.contains_key(&key) {
                twin += 1;
                key = format!("{}#{twin}", service.path);
            }
            let since = match seen.get(&key) {
                Some((state, since)) if *state == service.state => *since,
                _ => now,
            };
            in_state.push(now.saturating_duration_since(since));
            next.insert(key, (service.state, since));
        }
        *seen = next;
        in_state
    }

    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }
}

/// Looks at `tree` every [`PERIOD`] on a thread of its own, until the tree is closed or gone.
pub(super) fn watch(tree: Weak<Tree>) {
    let spawned = std::thread::Builder::new().name("ginkgo-state-clock".into()).spawn(move || {
        loop {
            std::thread::sleep(PERIOD);
            let Some(tree) = tree.upgrade() else { return };
            if tree.clock.closed.load(Ordering::SeqCst) {
                return;
            }
            let _ = tree.look();
        }
    });
    if let Err(err) = spawned {
        log::warn!(target: "runner", "cannot start the state clock's thread (status shows no time in a state): {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str, path: &str, state: State, children: Vec<Snapshot>) -> Snapshot {
        Snapshot {
            name: name.into(),
            path: path.into(),
            state,
            tasks: 0,
            gauges: Vec::new(),
            restarts: 0,
            last_failure: None,
            children,
        }
    }

    #[test]
    fn a_state_counts_from_the_look_that_saw_it_change() {
        let clock = StateClock::default();
        let tree = |child: State| {
            let children = vec![service("A", "R/A", child, vec![]), service("A", "R/A", State::Ready, vec![])];
            service("R", "R", State::Ready, children)
        };
        let start = Instant::now();
        let first = clock.observe_at(&tree(State::Starting), start);
        assert_eq!(first, [Duration::ZERO; 3]);
        let later = |seconds| start + Duration::from_secs(seconds);
        assert_eq!(clock.observe_at(&tree(State::Starting), later(5)), [Duration::from_secs(5); 3]);
        // The root stayed ready, the first A changed state, its twin of the same path did not.
        let secs = Duration::from_secs;
        assert_eq!(clock.observe_at(&tree(State::Ready), later(7)), [secs(7), secs(0), secs(7)]);
        assert_eq!(clock.observe_at(&tree(State::Ready), later(9)), [secs(9), secs(2), secs(9)]);
        let gone = clock.observe_at(&service("R", "R", State::Ready, vec![]), later(10));
        assert_eq!(gone.len(), 1);
        assert_eq!(clock.seen.lock().unwrap().len(), 1, "services gone from the tree are forgotten");
    }
}
