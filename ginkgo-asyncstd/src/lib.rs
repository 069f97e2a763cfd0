//! Glue between Ginkgo's service tree and the async-std and smol runtimes.
//!
//! * [`SmolManager`] (feature `smol`) runs tasks on smol's global executor. smol is maintained;
//!   prefer it.
//! * [`AsyncStdManager`] (feature `async-std`) runs tasks on async-std's executor. async-std is
//!   discontinued upstream (its authors point to smol); it is here for code that already uses it.
//!
//! Both executors are shared by the process; a manager holds no runtime of its own.

#[cfg(feature = "async-std")]
mod async_std_manager;
#[cfg(feature = "smol")]
mod smol_manager;

#[cfg(feature = "async-std")]
pub use async_std_manager::{AsyncStdManager, block_on_async_std};
#[cfg(feature = "smol")]
pub use smol_manager::{SmolManager, block_on_smol};
