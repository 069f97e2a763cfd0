//! A point-in-time view of a service tree.

use std::fmt;
use std::time::SystemTime;

use crate::{Error, State};

/// Name, state and live task count of a service, its restarts and last failure, and,
/// recursively, its children.
///
/// Its `Display` is an indented tree, one service per line; restarts and the last failure show
/// once there are any:
///
/// ```text
/// HelloWorld ready (1 task)
///   HelloWorldServer ready (3 tasks, connections 2)
///   Uplink ready (1 task, 2 restarts, last failure: HelloWorld/Uplink: task failed: connection lost)
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
    /// How many times its parent has restarted it (see
    /// [`Context::add_supervised`](crate::Context::add_supervised)).
    pub restarts: u64,
    /// The failure of its last run that failed, and when; kept when it starts again, unlike
    /// [`Context::failure`](crate::Context::failure).
    pub last_failure: Option<Failure>,
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
        match self.restarts {
            0 => {}
            1 => write!(f, ", 1 restart")?,
            n => write!(f, ", {n} restarts")?,
        }
        if let Some(failure) = &self.last_failure {
            write!(f, ", last failure: {}", failure.error.chain())?;
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

/// A failure, and when it was recorded.
#[derive(Clone, Debug)]
pub struct Failure {
    /// What failed, where and why.
    pub error: Error,
    /// When it was recorded on the service.
    pub at: SystemTime,
}

impl Failure {
    pub(crate) fn now(error: Error) -> Self {
        Failure { error, at: SystemTime::now() }
    }
}

/// The same failure: the same kind, message and causes, recorded at the same time.
impl PartialEq for Failure {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
            && self.error.kind() == other.error.kind()
            && self.error.chain().to_string() == other.error.chain().to_string()
    }
}

impl Eq for Failure {}
