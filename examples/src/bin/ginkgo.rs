//! `ginkgo`: runs the example services (`ginkgo hello.HelloWorld`, `ginkgo examples/service.conf.toml`).

fn main() -> std::process::ExitCode {
    ginkgo_runner::ginkgo_main(ginkgo_examples::registry::registry())
}
