//! `ginkgoctl`: controls the example services run as daemons.

fn main() -> std::process::ExitCode {
    ginkgo_runner::ginkgoctl_main(ginkgo_examples::registry::registry())
}
