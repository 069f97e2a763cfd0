//! The user guide (`docs/src/`), one item per chapter, so that `cargo test -p ginkgo-examples
//! --doc` compiles (and, unless marked `no_run`, runs) every Rust block in it: the guide cannot
//! drift from the code.
#![doc(test(attr(deny(warnings))))]

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/introduction.md")]
struct Introduction;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/installation.md")]
struct Installation;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/quickstart.md")]
struct Quickstart;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/service-model.md")]
struct ServiceModel;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/supervision.md")]
struct Supervision;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/configuration.md")]
struct Configuration;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/service-manager.md")]
struct ServiceManager;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/reloading.md")]
struct Reloading;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/logging.md")]
struct Logging;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/operating.md")]
struct Operating;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/state-machine.md")]
struct StateMachine;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/service-in-config.md")]
struct ServiceInConfig;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/configuration-groups.md")]
struct ConfigurationGroups;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/async-backends.md")]
struct AsyncBackends;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/transports.md")]
struct Transports;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/zeromq.md")]
struct UsingZeroMq;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/systemd.md")]
struct Systemd;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/zero-downtime.md")]
struct ZeroDowntime;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/security-model.md")]
struct SecurityModel;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/your-own-daemon.md")]
struct YourOwnDaemon;
