//! Ginkgo's side of the tree case: a tree of services on the tokio backend.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ginkgo::{Backend, BoxError, Context, Readiness, Service, ServiceHandle, async_trait};

use super::{Shape, Tally};

/// A service that only counts its start and its stop.
pub struct Node {
    tally: Arc<Tally>,
}

#[async_trait]
impl Service for Node {
    async fn do_start(&self, _ctx: &Context) -> Result<Readiness, BoxError> {
        self.tally.started();
        Ok(Readiness::Ready)
    }

    async fn do_stop(&self, _ctx: &Context) -> Result<(), BoxError> {
        self.tally.stopped();
        Ok(())
    }
}

/// Builds node `node` of `shape` and, below it, its subtree, as services added to their parents.
pub fn build(shape: Shape, node: usize, tally: &Arc<Tally>) -> ServiceHandle<Node> {
    ServiceHandle::build(|this| {
        for child in shape.children(node) {
            this.add_service(build(shape, child, tally));
        }
        Node { tally: tally.clone() }
    })
}

/// One round, on the current tokio runtime: builds a tree of `shape` and starts it on
/// `Backend::Tokio` until every service is ready, then stops it until every service is stopped
/// and the tree is freed. Returns the two durations, start first.
///
/// # Panics
///
/// If the tree fails to start or stop, or not every service started and stopped.
pub async fn round(shape: Shape) -> [Duration; 2] {
    let tally = Tally::new(shape.size);

    let began = Instant::now();
    let root = Backend::Tokio.service(build(shape, 0, &tally));
    root.start().await.expect("the tree of services starts");
    let start = began.elapsed();
    assert_eq!(tally.started_count(), shape.size, "every service started");

    let began = Instant::now();
    root.stop().await.expect("the tree of services stops");
    // tokio-graceful-shutdown frees each subsystem as it ends, inside its stop; free this tree
    // inside the stop too, so that both figures include the release of the nodes.
    drop(root);
    let stop = began.elapsed();
    assert_eq!(tally.stopped_count(), shape.size, "every service stopped");

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
