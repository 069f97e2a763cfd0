//! Runs `supervision::Relay` until interrupted, printing its snapshot every 2 s:
//! `cargo run -p ginkgo-examples --example supervision [BACKEND]`, where BACKEND is one of
//! `tokio` (the default), `smol`, `async-std`, `threads`.

use std::process::ExitCode;

use ginkgo::Backend;
use ginkgo_examples::supervision::Relay;

fn main() -> ExitCode {
    let backend = match std::env::args().nth(1) {
        None => Backend::default(),
        Some(name) => match Backend::from_name(&name) {
            Ok(backend) => backend,
            Err(err) => {
                eprintln!("supervision: error: {err}");
                return ExitCode::from(2);
            }
        },
    };
    match backend.serve_forever(Relay::new()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("supervision: error: {}", err.chain());
            ExitCode::FAILURE
        }
    }
}
