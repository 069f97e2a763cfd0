//! Runs a service of `quickstart` until interrupted:
//! `cargo run -p ginkgo-examples --example quickstart -- SERVICE [BACKEND]`, where SERVICE is
//! one of `HelloWorldServer`, `HelloWorldClient`, `HelloWorldWebServer`, `HelloWorld`,
//! `AppServer`, and BACKEND one of `tokio` (the default), `smol`, `async-std`, `threads` (the
//! web servers need tokio).

use std::process::ExitCode;

use ginkgo::{Backend, Error, IntoService};
use ginkgo_examples::quickstart::{AppServer, HelloWorld, HelloWorldClient, HelloWorldServer, HelloWorldWebServer};

const SERVICES: &str = "HelloWorldServer, HelloWorldClient, HelloWorldWebServer, HelloWorld, AppServer";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(service) = args.next() else {
        eprintln!("quickstart: error: name a service: {SERVICES}");
        return ExitCode::from(2);
    };
    let backend = match args.next().map(|name| Backend::from_name(&name)).transpose() {
        Ok(backend) => backend.unwrap_or_default(),
        Err(err) => {
            eprintln!("quickstart: error: {err}");
            return ExitCode::from(2);
        }
    };
    let served = match service.as_str() {
        "HelloWorldServer" => serve(backend, HelloWorldServer::new()),
        "HelloWorldClient" => serve(backend, HelloWorldClient::new()),
        "HelloWorldWebServer" => serve(backend, HelloWorldWebServer::new()),
        "HelloWorld" => serve(backend, HelloWorld::new()),
        "AppServer" => serve(backend, AppServer::new()),
        other => {
            eprintln!("quickstart: error: no service `{other}`; there are: {SERVICES}");
            return ExitCode::from(2);
        }
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("quickstart: error: {}", err.chain());
            ExitCode::FAILURE
        }
    }
}

fn serve(backend: Backend, service: impl IntoService) -> Result<(), Error> {
    backend.serve_forever(service)
}
