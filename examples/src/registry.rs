//! The example services under the names the `ginkgo` and `ginkgoctl` binaries know them by.

use ginkgo_runner::Registry;

use crate::{hello, service};

/// Every example service, by target name.
pub fn registry() -> Registry {
    Registry::new()
        .register("hello.HelloWorld", || hello::HelloWorld)
        .register("service.HelloWorld", || service::HelloWorld)
}
