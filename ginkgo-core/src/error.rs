//! The one error type of the service tree.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use crate::State;

/// A boxed error from user code: what hooks and tasks return.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong, without the details (see [`Error`] for those).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The action is not allowed in the service's current state (e.g. starting twice).
    InvalidState,
    /// The service has no async manager: it was never given a backend nor added to a parent.
    NoManager,
    /// `do_start` returned an error or panicked.
    StartFailed,
    /// The service did not become ready within its `start_timeout`.
    StartTimeout,
    /// The service was told to stop while it was still starting.
    StartInterrupted,
    /// `do_stop` returned an error or panicked.
    StopFailed,
    /// `do_reload` returned an error or panicked.
    ReloadFailed,
    /// The configuration could not be (re)loaded; the old one stays in force.
    ConfigFailed,
    /// A task spawned by the service returned an error.
    TaskFailed,
    /// A task spawned by the service panicked.
    TaskPanicked,
    /// A task was cancelled before it finished.
    TaskCancelled,
    /// A child service failed, and the failure reached this service.
    ChildFailed,
    /// The service's children needed more restarts within a period than its
    /// [`Intensity`](crate::Intensity) allows: it gave up, and failed.
    TooManyRestarts,
    /// Waiting for a state did not succeed within the deadline.
    Timeout,
}

/// An error of the service tree: what happened, to which service, and why.
///
/// The message names the service by its path in the tree (`HelloWorld/HelloWorldServer: …`);
/// the cause, when there is one, is kept as [`source()`](StdError::source). Cloning is cheap and
/// keeps the cause itself (it is shared), so the same failure can be handed to several waiters.
///
/// It is one pointer wide, so a `Result<(), Error>` is as cheap to return as a `bool`.
#[derive(Clone)]
pub struct Error(Arc<Details>);

#[derive(Clone)]
struct Details {
    kind: ErrorKind,
    path: String,
    detail: String,
    source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, path: impl Into<String>, detail: impl Into<String>) -> Self {
        Error(Arc::new(Details { kind, path: path.into(), detail: detail.into(), source: None }))
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        Arc::make_mut(&mut self.0).source = Some(Arc::from(source.into()));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The path of the service the error is about, e.g. `HelloWorld/HelloWorldServer`.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// True for a start that did not become ready within `start_timeout`, or a wait that ran out.
    pub fn is_timeout(&self) -> bool {
        matches!(self.0.kind, ErrorKind::StartTimeout | ErrorKind::Timeout)
    }

    /// The whole chain, `outer: inner: innermost`, on one line.
    pub fn chain(&self) -> Chain<'_> {
        Chain(self)
    }

    pub(crate) fn invalid_state(path: &str, action: &str, state: State) -> Self {
        Error::new(ErrorKind::InvalidState, path, format!("cannot {action} while {state}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Details { path, detail, .. } = &*self.0;
        if path.is_empty() { f.write_str(detail) } else { write!(f, "{path}: {detail}") }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?}, {})", self.0.kind, self.chain())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// Displays an error and all its sources on one line, separated by `": "`.
pub struct Chain<'a, E: ?Sized = Error>(pub &'a E);

impl<E: StdError + ?Sized> fmt::Display for Chain<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(err) = next {
            write!(f, ": {err}")?;
            next = err.source();
        }
        Ok(())
    }
}

/// What [`Context::sleep`](crate::Context::sleep) and
/// [`Context::until_stopping`](crate::Context::until_stopping) return once the service has begun
/// to stop.
///
/// A task may pass it on with `?`: a task that ends with `Stopping` has ended cleanly, not failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stopping;

impl fmt::Display for Stopping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("service is stopping")
    }
}

impl StdError for Stopping {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_path_and_chain_follows_sources() {
        let err =
            Error::new(ErrorKind::StartFailed, "HelloWorld/Server", "do_start failed").with_source("address in use");
        assert_eq!(err.to_string(), "HelloWorld/Server: do_start failed");
        assert_eq!(err.chain().to_string(), "HelloWorld/Server: do_start failed: address in use");
        assert_eq!(err.source().unwrap().to_string(), "address in use");
        assert_eq!(err.kind(), ErrorKind::StartFailed);
        assert!(!err.is_timeout());
    }

    #[test]
    fn an_error_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Result<(), Error>>(), std::mem::size_of::<usize>());
    }
}
