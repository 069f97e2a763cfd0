//! `Registry`: the services a runner can run, by target name.

use std::sync::Arc;

use ginkgo::{AsyncManager, Config, Context, IntoService};

type Factory = Arc<dyn Fn(Arc<dyn AsyncManager>, Config) -> Context + Send + Sync>;

/// Services by target name: the Rust answer to `modulename.ServiceClass`. A target may be
/// written with dots or with `::` (`hello.HelloWorld`, `hello::HelloWorld`).
///
/// ```
/// use ginkgo::Service;
/// use ginkgo_runner::Registry;
///
/// struct HelloWorld;
/// impl Service for HelloWorld {}
///
/// let registry = Registry::new().register("hello.HelloWorld", || HelloWorld);
/// assert!(registry.contains("hello::HelloWorld"));
/// assert_eq!(registry.names(), ["hello.HelloWorld"]);
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    entries: Vec<(String, Factory)>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Registers `factory` under `name`; the factory builds a fresh service tree each time the
    /// runner starts one.
    pub fn register<S, F>(mut self, name: &str, factory: F) -> Self
    where
        S: IntoService,
        F: Fn() -> S + Send + Sync + 'static,
    {
        let factory: Factory = Arc::new(move |manager, config| {
            let handle = factory().into_service().with_manager(manager).with_config(config);
            handle.context().clone()
        });
        self.entries.push((normalize(name), factory));
        self
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// True if `name` (dots or `::`) is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    pub(crate) fn find(&self, name: &str) -> Option<&Factory> {
        let name = normalize(name);
        self.entries.iter().find(|(n, _)| *n == name).map(|(_, f)| f)
    }

    /// Builds the service registered as `name`, run by `manager`'s backend and reading `config`.
    pub(crate) fn build(&self, name: &str, manager: Arc<dyn AsyncManager>, config: Config) -> Option<Context> {
        self.find(name).map(|factory| factory(manager, config))
    }
}

/// `hello::HelloWorld` → `hello.HelloWorld`.
pub(crate) fn normalize(name: &str) -> String {
    name.trim().replace("::", ".")
}
