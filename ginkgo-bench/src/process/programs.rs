//! Where the programs of the process cases are.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The programs the process cases run, as cargo built them for this run: the bench target and
/// the integration tests know their paths (`CARGO_BIN_EXE_…`) and [`install`](Programs::install)
/// them before running a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Programs {
    /// `ginkgo-bench-server SIDE`: an echo server in a process of its own.
    pub server: PathBuf,
    /// `ginkgo-bench-daemon TARGET`: a `ginkgo` command line with the bench's services.
    pub daemon: PathBuf,
}

static INSTALLED: OnceLock<Programs> = OnceLock::new();

impl Programs {
    /// Makes these the programs of this process's cases. The first call wins; later ones are
    /// ignored.
    pub fn install(self) {
        let _ = INSTALLED.set(self);
    }

    /// The installed programs.
    ///
    /// # Panics
    ///
    /// If none were installed: the process cases run from the bench target or a test, which
    /// install them.
    pub fn get() -> &'static Programs {
        INSTALLED.get().expect("the process cases need ginkgo-bench-server and ginkgo-bench-daemon: run them through `cargo bench -p ginkgo-bench`")
    }

    /// A command running `ginkgo-bench-server`.
    pub fn server_command(&self) -> Command {
        Command::new(&self.server)
    }

    /// A command running `ginkgo-bench-daemon`.
    pub fn daemon_command(&self) -> Command {
        Command::new(&self.daemon)
    }
}
