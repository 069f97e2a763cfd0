//! `WebServer`: the hello-world axum app, served by Ginkgo or by axum itself.

use axum::Router;
use axum::routing::get;
use futures::channel::oneshot;
use ginkgo::ServiceHandle;
use ginkgo::backends::TokioManager;
use ginkgo::http::HttpServer;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

use super::Running;

/// The app both sides serve: `GET /` answers `Hello World!`.
pub fn hello_app() -> Router {
    Router::new().route("/", get(|| async { "Hello World!" }))
}

/// A server of [`hello_app`], on 127.0.0.1 with a port of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebServer {
    /// `ginkgo::http::HttpServer` hosting the app, on the tokio backend.
    Ginkgo,
    /// The baseline: `axum::serve` of the same app, with a graceful shutdown to stop it.
    Axum,
}

impl WebServer {
    /// How the table names it.
    pub fn label(self) -> &'static str {
        match self {
            WebServer::Ginkgo => "ginkgo::http::HttpServer",
            WebServer::Axum => "axum::serve",
        }
    }

    /// Starts the server on `runtime`, listening on a free port of 127.0.0.1.
    ///
    /// # Panics
    ///
    /// If the server cannot listen.
    pub fn start(self, runtime: &Runtime) -> Running {
        match self {
            WebServer::Ginkgo => {
                let server = ServiceHandle::new(HttpServer::new("127.0.0.1:0", hello_app()))
                    .with_manager(TokioManager::with_handle(runtime.handle().clone()));
                runtime.block_on(server.start()).expect("the web server starts");
                let address = server.service().local_addr().expect("the web server listens");
                Running::service(address, server.context().clone())
            }
            WebServer::Axum => {
                let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).expect("the web server listens");
                let address = listener.local_addr().expect("the web server's address");
                let (tell, told) = oneshot::channel::<()>();
                let served = runtime.spawn(async move {
                    axum::serve(listener, hello_app())
                        .with_graceful_shutdown(async move {
                            let _ = told.await;
                        })
                        .await
                        .expect("axum serves until told to stop");
                });
                Running::graceful(address, tell, served)
            }
        }
    }
}
