//! A point-in-time view of a service tree.

use std::fmt;

use crate::State;

/// Name, state and live task count of a service and, recursively, its children.
///
/// Its `Display` is an indented tree, one service per line:
///
/// ```text
/// HelloWorld ready (1 task)
///   HelloWorldServer ready (3 tasks, connections 2)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The service's name.
    pub name: String,
    /// Its path from the root, names joined by `/`.
    pub path: String,
    /// Its state when the snapshot was taken.
    pub state: State,
    /// How many of its tasks were alive.
    pub tasks: usize,
    /// Its gauges ([`Context::gauge`](crate::Context::gauge)) and their values.
    pub gauges: Vec<(String, i64)>,
    /// Its children, in order.
    pub children: Vec<Snapshot>,
}

impl Snapshot {
    /// This service and all its descendants, depth first.
    pub fn walk(&self) -> Vec<&Snapshot> {
        let mut all = vec![self];
        for child in &self.children {
            all.extend(child.walk());
        }
        all
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let plural = if self.tasks == 1 { "" } else { "s" };
        write!(f, "{:indent$}{} {} ({} task{plural}", "", self.name, self.state, self.tasks, indent = depth * 2)?;
        for (name, value) in &self.gauges {
            write!(f, ", {name} {value}")?;
        }
        writeln!(f, ")")?;
        self.children.iter().try_for_each(|c| c.write(f, depth + 1))
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, 0)
    }
}
