//! Runs `hello::HelloWorld` until interrupted: `cargo run -p ginkgo-examples --example hello [BACKEND]`,
//! where BACKEND is one of `tokio` (the default), `smol`, `async-std`, `threads`.

use std::process::ExitCode;

use ginkgo::Backend;
use ginkgo_examples::hello::HelloWorld;

fn main() -> ExitCode {
    let backend = match std::env::args().nth(1) {
        None => Backend::default(),
        Some(name) => match Backend::from_name(&name) {
            Ok(backend) => backend,
            Err(err) => {
                eprintln!("hello: error: {err}");
                return ExitCode::from(2);
            }
        },
    };
    match backend.serve_forever(HelloWorld) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hello: error: {}", err.chain());
            ExitCode::FAILURE
        }
    }
}
