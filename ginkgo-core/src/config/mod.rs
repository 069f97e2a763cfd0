//! Settings and configuration: typed, documented values, read live, reloaded as a whole.
//!
//! Declare a [`Setting`] with [`setting!`](crate::setting) next to the code that uses it; load a
//! [`Config`] from a file, the environment and overrides; read settings from it. Every declared
//! setting is known to the process before `main` runs ([`all_settings`]), so help output and
//! validation need no service to be built.

#[allow(clippy::module_inception)]
mod config;
mod error;
mod group;
mod help;
mod origin;
mod read;
mod setting;
mod source;
mod staged;
mod suggest;
mod text;
mod watch;

pub use config::{Config, ConfigBuilder};
pub use error::ConfigError;
pub use group::Group;
pub use help::SECRET;
pub use origin::Origin;
pub use setting::{__private, Declared, Setting, all_settings};
pub use source::MAX_FILE_SIZE;
pub use staged::StagedReload;
pub use text::MAX_TEXT_SIZE;
pub use watch::Watch;

/// The prefix of environment variables that set values: `GINKGO_RATE_PER_MINUTE=180`.
pub const ENV_PREFIX: &str = "GINKGO_";
