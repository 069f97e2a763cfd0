//! The baseline of the tree case: the same tree written with tokio-graceful-shutdown, each node a
//! subsystem that starts its children and then waits for the shutdown.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_graceful_shutdown::{IntoSubsystem, SubsystemBuilder, SubsystemHandle, Toplevel};
use tokio_util::sync::CancellationToken;

use super::{Shape, Tally};

/// A subsystem that starts its children, counts its start, waits for the shutdown, and counts
/// its stop.
pub struct Node {
    node: usize,
    shape: Shape,
    tally: Arc<Tally>,
}

impl IntoSubsystem<Infallible> for Node {
    async fn run(self, subsys: &mut SubsystemHandle) -> Result<(), Infallible> {
        for child in self.shape.children(self.node) {
            let child = Node { node: child, shape: self.shape, tally: self.tally.clone() };
            subsys.start(SubsystemBuilder::new("node", child.into_subsystem()));
        }
        self.tally.started();
        subsys.on_shutdown_requested().await;
        self.tally.stopped();
        Ok(())
    }
}

/// One round, on the current tokio runtime: starts a tree of `shape` until every subsystem
/// runs, then asks for the shutdown and waits until every subsystem has ended. Returns the two
/// durations, start first.
///
/// # Panics
///
/// If the shutdown reports an error, or not every subsystem started and stopped.
pub async fn round(shape: Shape) -> [Duration; 2] {
    let tally = Tally::new(shape.size);
    let shutdown = CancellationToken::new();

    let began = Instant::now();
    let root = Node { node: 0, shape, tally: tally.clone() };
    let toplevel = Toplevel::new_with_shutdown_token(
        async move |s: &mut SubsystemHandle| {
            s.start(SubsystemBuilder::new("node", root.into_subsystem()));
        },
        shutdown.clone(),
    );
    let finished = tokio::spawn(toplevel.handle_shutdown_requests(Duration::from_secs(60)));
    tally.all_started().await;
    let start = began.elapsed();

    let began = Instant::now();
    shutdown.cancel();
    finished.await.expect("the toplevel does not panic").expect("the tree of subsystems stops cleanly");
    let stop = began.elapsed();
    assert_eq!(tally.stopped_count(), shape.size, "every subsystem stopped");

    [start, stop]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_tree_starts_and_stops() {
        let runtime = crate::cases::runtime::tokio_runtime();
        runtime.block_on(round(Shape { size: 57, fan_out: 3 }));
    }
}
