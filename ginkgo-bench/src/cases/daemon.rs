//! What the daemon cases share: a `ginkgo-bench-daemon` run in a scratch folder of its own
//! (its pidfile goes there), telling its state on a notify socket there, as systemd would
//! have it.

use std::process::Command;

use tempfile::TempDir;

use crate::process::{NotifySocket, Programs};

/// A scratch folder with a notify socket in it, for one run of the daemon.
#[derive(Debug)]
pub struct DaemonRun {
    folder: TempDir,
    notify: NotifySocket,
}

impl DaemonRun {
    /// A new scratch folder and notify socket.
    ///
    /// # Panics
    ///
    /// If the folder or the socket cannot be made.
    pub fn new() -> DaemonRun {
        let folder = tempfile::Builder::new().prefix("ginkgo-bench-").tempdir().expect("a scratch folder");
        let notify = NotifySocket::bind(folder.path().join("notify")).expect("a notify socket");
        DaemonRun { folder, notify }
    }

    /// The command line `ginkgo-bench-daemon TARGET` in the foreground, logging warnings only,
    /// with its pidfile in the scratch folder and `NOTIFY_SOCKET` set.
    pub fn command(&self, target: &str) -> Command {
        let mut command = Programs::get().daemon_command();
        command
            .arg("--set")
            .arg(format!("pidfile={}", self.folder.path().join("daemon.pid").display()))
            .args(["--set", "loglevel=warn", target])
            .env("NOTIFY_SOCKET", self.notify.path())
            .env("HOME", self.folder.path());
        command
    }

    /// The notify socket.
    pub fn notify(&self) -> &NotifySocket {
        &self.notify
    }
}

impl Default for DaemonRun {
    fn default() -> Self {
        DaemonRun::new()
    }
}
