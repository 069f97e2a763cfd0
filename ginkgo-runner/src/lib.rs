//! The runner for Ginkgo services: the `ginkgo` and `ginkgoctl` command lines.
//!
//! Not built yet: this crate reserves its place in the workspace. Until it lands, run a service
//! with [`ginkgo::Backend::serve_forever`].
