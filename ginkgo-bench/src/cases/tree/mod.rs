//! Start, then stop, a tree of 10,000 services with a fan-out of 10, on tokio: Ginkgo services
//! ([`services`]) against the same tree of tokio-graceful-shutdown subsystems ([`subsystems`]).
//!
//! Both trees are made of nodes that do nothing but count their start and their stop, have the
//! same [`Shape`], and run on the same tokio runtime. "Start" runs from nothing to every node
//! running (the building of the tree included: tokio-graceful-shutdown builds its tree as it
//! starts it); "stop" runs from the request to stop until every node has ended.

pub mod services;
pub mod shape;
pub mod subsystems;
pub mod tally;

pub use shape::Shape;
pub use tally::Tally;

use crate::Mode;
use crate::cases::runtime::tokio_runtime;
use crate::measure::{Rounds, alternate};
use crate::report::Row;

/// The tree the targets are stated for.
pub const SHAPE: Shape = Shape { size: 10_000, fan_out: 10 };

/// The ratio Ginkgo must stay within, for the start and for the stop.
pub const TARGET: f64 = 1.0;

/// Runs the case: a tree of 10,000 in both modes, with fewer rounds in quick mode.
pub fn run(mode: Mode) -> Vec<Row> {
    let rounds = mode.pick(Rounds { warmup: 2, measured: 9 }, Rounds { warmup: 4, measured: 25 });
    let runtime = tokio_runtime();
    let [start, stop] =
        alternate(rounds, || runtime.block_on(services::round(SHAPE)), || runtime.block_on(subsystems::round(SHAPE)));
    vec![
        Row::new("tree of 10,000 services: start to all ready", &start, 1, TARGET),
        Row::new("tree of 10,000 services: stop to all stopped", &stop, 1, TARGET),
    ]
}
