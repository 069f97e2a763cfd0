//! The contract of Ginkgo: services that start, stop and reload, contain other services and own
//! the tasks they spawn, plus the [`AsyncManager`] trait that backends implement.
//!
//! This crate depends on no async runtime. Applications usually depend on the `ginkgo` crate,
//! which re-exports everything here together with the backends chosen by cargo feature.
//!
//! Start with [`Service`] (what you implement), [`Context`] (what your hooks and tasks use) and
//! [`ServiceHandle`] (what you hold); [`Restart`], [`Strategy`] and [`Intensity`] say how a
//! service restarts the children it supervises.
#![doc(test(attr(deny(warnings))))]

mod backoff;
pub mod config;
mod context;
mod error;
mod gauge;
mod handle;
mod lifecycle;
mod manager;
pub mod net;
mod run;
mod service;
mod snapshot;
mod state;
mod supervision;
mod supervisor;
mod task;
#[cfg(test)]
mod test_manager;
#[cfg(feature = "tls")]
pub mod tls;
mod waits;

pub use async_trait::async_trait;
pub use backoff::Backoff;
pub use config::{Config, Setting};
pub use context::Context;
pub use error::{BoxError, Chain, Error, ErrorKind, Stopping};
pub use gauge::Gauge;
pub use handle::{IntoService, ServiceHandle};
pub use manager::AsyncManager;
pub use service::{Readiness, Service};
pub use snapshot::{Failure, Snapshot};
pub use state::State;
pub use supervision::{Intensity, Restart, Strategy};
pub use task::{TaskHandle, TaskResult};
