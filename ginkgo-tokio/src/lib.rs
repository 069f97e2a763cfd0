//! Glue between Ginkgo's service tree and the [tokio] runtime.
//!
//! [`TokioManager`] runs a service's tasks on a tokio runtime: the one the manager is created
//! in, or else a multi-threaded runtime shared by the process ([`runtime`]).

mod manager;
mod runtime;

pub use manager::TokioManager;
pub use runtime::{block_on, runtime};
