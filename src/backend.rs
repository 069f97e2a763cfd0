//! Choosing a backend by name among those compiled in.

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;

use ginkgo_core::{AsyncManager, Config, Error, IntoService, ServiceHandle};

ginkgo_core::setting!(
    /// Read with [`Backend::from_config`].
    pub static ASYNC: String {
        name: "async",
        default: Backend::default().name().to_string(),
        help: "The async backend that runs the services: tokio, smol, async-std or threads\n(those compiled into this build)",
        restart: true,
    }
);

/// An async backend compiled into this build: what runs the services' tasks.
///
/// Which backends exist is decided by cargo features (`tokio`, `async-std`, `smol`,
/// `threads`); which one runs is decided at run time, by name (the `async` setting):
///
/// ```
/// use ginkgo::Backend;
///
/// let backend: Backend = "tokio".parse().unwrap();
/// assert_eq!(backend.name(), "tokio");
/// let err = "gevent".parse::<Backend>().unwrap_err();
/// assert!(err.to_string().starts_with("unknown async backend `gevent`"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// tokio's multi-threaded runtime.
    #[cfg(feature = "tokio")]
    Tokio,
    /// async-std's executor (discontinued upstream; prefer smol).
    #[cfg(feature = "async-std")]
    AsyncStd,
    /// smol's global executor.
    #[cfg(feature = "smol")]
    Smol,
    /// One OS thread per task, no async runtime.
    #[cfg(feature = "threads")]
    Threads,
}

/// Every backend name Ginkgo knows, compiled in or not, with the feature that brings it.
const KNOWN: [(&str, &str); 4] =
    [("tokio", "tokio"), ("async-std", "async-std"), ("smol", "smol"), ("threads", "threads")];

impl Backend {
    /// The backends compiled into this build, the default first.
    pub fn available() -> &'static [Backend] {
        &[
            #[cfg(feature = "tokio")]
            Backend::Tokio,
            #[cfg(feature = "smol")]
            Backend::Smol,
            #[cfg(feature = "async-std")]
            Backend::AsyncStd,
            #[cfg(feature = "threads")]
            Backend::Threads,
        ]
    }

    /// The name the `async` setting uses: `tokio`, `async-std`, `smol` or `threads`.
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "tokio")]
            Backend::Tokio => "tokio",
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => "async-std",
            #[cfg(feature = "smol")]
            Backend::Smol => "smol",
            #[cfg(feature = "threads")]
            Backend::Threads => "threads",
        }
    }

    /// The backend called `name`, if it is compiled in.
    pub fn from_name(name: &str) -> Result<Backend, UnknownBackend> {
        Backend::available()
            .iter()
            .copied()
            .find(|b| b.name() == name)
            .ok_or_else(|| UnknownBackend { name: name.to_string() })
    }

    /// The backend the `async` setting names in `config`.
    pub fn from_config(config: &Config) -> Result<Backend, UnknownBackend> {
        Backend::from_name(&ASYNC.get(config))
    }

    /// A new manager of this backend, for a root service.
    pub fn manager(self) -> Arc<dyn AsyncManager> {
        match self {
            #[cfg(feature = "tokio")]
            Backend::Tokio => ginkgo_tokio::TokioManager::new(),
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => ginkgo_asyncstd::AsyncStdManager::new(),
            #[cfg(feature = "smol")]
            Backend::Smol => ginkgo_asyncstd::SmolManager::new(),
            #[cfg(feature = "threads")]
            Backend::Threads => ginkgo_threads::ThreadManager::new(),
        }
    }

    /// Makes `service` a root run by this backend (its children inherit the backend).
    #[cfg_attr(
        not(any(feature = "tokio", feature = "async-std", feature = "smol", feature = "threads")),
        allow(unused_variables)
    )]
    pub fn service<S: IntoService>(self, service: S) -> ServiceHandle<S::Service> {
        service.into_service().with_manager(self.manager())
    }

    /// Runs `future` to completion on this backend, blocking the calling thread. For
    /// synchronous code such as `main` or a test; never call it from inside a task.
    #[cfg_attr(
        not(any(feature = "tokio", feature = "async-std", feature = "smol", feature = "threads")),
        allow(unused_variables)
    )]
    pub fn block_on<F: Future>(self, future: F) -> F::Output {
        match self {
            #[cfg(feature = "tokio")]
            Backend::Tokio => ginkgo_tokio::block_on(future),
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => ginkgo_asyncstd::block_on_async_std(future),
            #[cfg(feature = "smol")]
            Backend::Smol => ginkgo_asyncstd::block_on_smol(future),
            #[cfg(feature = "threads")]
            Backend::Threads => ginkgo_threads::block_on(future),
        }
    }

    /// Runs `service` on this backend until it stops: [`Context::serve_forever`] from
    /// synchronous code.
    ///
    /// [`Context::serve_forever`]: ginkgo_core::Context::serve_forever
    pub fn serve_forever<S: IntoService>(self, service: S) -> Result<(), Error> {
        let service = self.service(service);
        self.block_on(service.serve_forever())
    }
}

impl Default for Backend {
    /// The first backend compiled in, in the order tokio, smol, async-std, threads.
    ///
    /// # Panics
    ///
    /// When no backend feature is enabled; enable one of `tokio`, `async-std`, `smol`, `threads`.
    fn default() -> Self {
        match Backend::available().first() {
            Some(backend) => *backend,
            None => {
                panic!("no async backend is compiled in: enable one of the features tokio, async-std, smol, threads")
            }
        }
    }
}

impl FromStr for Backend {
    type Err = UnknownBackend;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Backend::from_name(name)
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A backend name that is unknown, or known but not compiled into this build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownBackend {
    name: String,
}

impl UnknownBackend {
    /// The name that was asked for.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for UnknownBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let available: Vec<&str> = Backend::available().iter().map(|b| b.name()).collect();
        let available = if available.is_empty() { "none".to_string() } else { available.join(", ") };
        match KNOWN.iter().find(|(name, _)| *name == self.name) {
            Some((name, feature)) => write!(
                f,
                "async backend `{name}` is not compiled into this build (cargo feature `{feature}`); available: {available}"
            ),
            None => write!(f, "unknown async backend `{}`; available: {available}", self.name),
        }
    }
}

impl std::error::Error for UnknownBackend {}
