//! `ServiceHandle`: a typed handle to a service in a tree.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use crate::{AsyncManager, Config, Context, Error, Service};

/// A handle to a service: the service itself (for its own methods) and its [`Context`] (for the
/// life cycle), which the handle dereferences to.
///
/// ```
/// use ginkgo::{Service, ServiceHandle, State};
///
/// struct Quiet;
/// impl Service for Quiet {}
///
/// let quiet = ServiceHandle::new(Quiet);
/// assert_eq!(quiet.name(), "Quiet");
/// assert_eq!(quiet.state(), State::Init);
/// ```
pub struct ServiceHandle<S: ?Sized> {
    context: Context,
    service: Arc<S>,
}

impl<S: Service> ServiceHandle<S> {
    /// Wraps a service in a new node of its own: no parent, no children, no manager yet.
    pub fn new(service: S) -> Self {
        Self::build(|_| service)
    }

    /// Makes the node first and then the service, so the service can add its children (and keep
    /// their handles) while it is being built: the counterpart of adding services in a
    /// constructor.
    ///
    /// ```
    /// use ginkgo::{Service, ServiceHandle};
    ///
    /// struct Worker;
    /// impl Service for Worker {}
    ///
    /// struct App {
    ///     worker: ServiceHandle<Worker>,
    /// }
    /// impl Service for App {}
    ///
    /// let app = ServiceHandle::build(|this| App { worker: this.add_service(Worker) });
    /// assert_eq!(app.children().len(), 1);
    /// assert_eq!(app.service().worker.path(), "App/Worker");
    /// ```
    pub fn build(make: impl FnOnce(&Context) -> S) -> Self {
        let context = Context::new_node();
        let service = Arc::new(make(&context));
        context.attach(service.clone());
        ServiceHandle { context, service }
    }

    /// Gives the service (and its descendants) the manager that decides which backend runs
    /// them. A root service needs one before it can start; children inherit their parent's.
    pub fn with_manager(self, manager: Arc<dyn AsyncManager>) -> Self {
        self.context.set_manager(manager);
        self
    }

    /// Gives the service (and its descendants) the configuration they read settings from.
    /// Without one they read the process's current configuration.
    pub fn with_config(self, config: Config) -> Self {
        self.context.set_config(config);
        self
    }

    /// The service itself.
    pub fn service(&self) -> &S {
        &self.service
    }

    /// The service's context.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Waits until the service is ready (at most `timeout`) and returns it: the way to call a
    /// method that needs a ready service. Fails like [`Context::wait_ready`]: if the start fails,
    /// with the start's error.
    pub async fn require_ready(&self, timeout: Duration) -> Result<&S, Error> {
        self.context.wait_ready(timeout).await?;
        Ok(&self.service)
    }
}

impl<S: ?Sized> Clone for ServiceHandle<S> {
    fn clone(&self) -> Self {
        ServiceHandle { context: self.context.clone(), service: self.service.clone() }
    }
}

impl<S: ?Sized> Deref for ServiceHandle<S> {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.context
    }
}

impl<S: ?Sized> AsRef<Context> for ServiceHandle<S> {
    fn as_ref(&self) -> &Context {
        &self.context
    }
}

impl<S: ?Sized> std::fmt::Debug for ServiceHandle<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.context.fmt(f)
    }
}

/// Anything that can become a service in a tree: a [`Service`] value or a [`ServiceHandle`].
pub trait IntoService {
    /// The service type.
    type Service: Service;

    /// The handle, making a new node for a bare service.
    fn into_service(self) -> ServiceHandle<Self::Service>;
}

impl<S: Service> IntoService for S {
    type Service = S;

    fn into_service(self) -> ServiceHandle<S> {
        ServiceHandle::new(self)
    }
}

impl<S: Service> IntoService for ServiceHandle<S> {
    type Service = S;

    fn into_service(self) -> ServiceHandle<S> {
        self
    }
}
