//! `greeterctl`: controls the greeter run as a daemon (`greeterctl start`, `greeterctl status`).

mod app;

fn main() -> std::process::ExitCode {
    app::app().ctl_main()
}
