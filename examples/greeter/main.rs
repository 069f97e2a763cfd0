//! `greeter`: runs the greeter (`greeter`, `greeter -d`, `greeter greeter.toml`).

mod app;

fn main() -> std::process::ExitCode {
    app::app().main()
}
