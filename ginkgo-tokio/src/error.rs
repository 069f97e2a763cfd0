//! `NeedsTokio`: a tokio network service was started under another backend.

use std::error::Error as StdError;
use std::fmt;

/// A tokio network service was started under another backend: its sockets need tokio's
/// reactor, which only the tokio backend provides.
///
/// ```
/// use ginkgo_tokio::NeedsTokio;
///
/// let err = NeedsTokio::new("StreamServer", "smol");
/// assert_eq!(
///     err.to_string(),
///     "ginkgo_tokio::StreamServer runs only on the tokio backend, not on `smol`"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeedsTokio {
    service: &'static str,
    backend: &'static str,
}

impl NeedsTokio {
    /// `service` (a type of this crate) was started under `backend`.
    pub fn new(service: &'static str, backend: &'static str) -> Self {
        NeedsTokio { service, backend }
    }

    /// The backend the service was started under.
    pub fn backend(&self) -> &'static str {
        self.backend
    }
}

impl fmt::Display for NeedsTokio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ginkgo_tokio::{} runs only on the tokio backend, not on `{}`", self.service, self.backend)
    }
}

impl StdError for NeedsTokio {}

/// Fails unless `ctx` runs on the tokio backend.
pub(crate) fn require_tokio(ctx: &ginkgo_core::Context, service: &'static str) -> Result<(), NeedsTokio> {
    let backend = ctx.async_manager().map_or("none", |m| m.backend());
    if backend == "tokio" { Ok(()) } else { Err(NeedsTokio::new(service, backend)) }
}
