//! The pidfile: made atomically, never through a symbolic link, removed on exit.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

use crate::Failure;

/// A pidfile this process wrote; [`remove`](Pidfile::remove) deletes it if it still holds our
/// pid.
pub(crate) struct Pidfile {
    path: PathBuf,
    pid: u32,
}

impl Pidfile {
    /// Writes our pid to `path`. A pidfile naming a live process is an error; a stale one (its
    /// process is gone) is replaced. The file appears complete or not at all (it is written
    /// aside, then linked into place), and a symbolic link at `path` is refused.
    pub(crate) fn create(path: &Path) -> Result<Pidfile, Failure> {
        let pid = std::process::id();
        let aside = path.with_file_name(format!(
            ".{}.{pid}.tmp",
            path.file_name().map_or_else(|| "pidfile".into(), |n| n.to_string_lossy())
        ));
        let write_aside = || -> std::io::Result<()> {
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&aside)?;
            writeln!(file, "{pid}")?;
            file.sync_all()
        };
        let _ = std::fs::remove_file(&aside);
        write_aside().map_err(|err| Failure::failed(format!("cannot write pidfile {}: {err}", path.display())))?;
        let result = (|| {
            for _ in 0..3 {
                match std::fs::hard_link(&aside, path) {
                    Ok(()) => return Ok(Pidfile { path: path.to_path_buf(), pid }),
                    Err(err) if err.kind() == ErrorKind::AlreadyExists => match read(path)? {
                        Some(other) if alive(other) => {
                            return Err(Failure::failed(format!("already running as PID {other}")));
                        }
                        _ => {
                            let _ = std::fs::remove_file(path);
                        }
                    },
                    Err(err) => return Err(Failure::failed(format!("cannot write pidfile {}: {err}", path.display()))),
                }
            }
            Err(Failure::failed(format!("cannot write pidfile {}: it keeps reappearing", path.display())))
        })();
        let _ = std::fs::remove_file(&aside);
        result
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes the pidfile if it still holds our pid.
    pub(crate) fn remove(&self) {
        if let Ok(Some(pid)) = read(&self.path) {
            if pid == self.pid {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

/// The pid in `path`: `None` if the file is missing, empty or not a pid; an error for a
/// symbolic link or an unreadable file.
pub(crate) fn read(path: &Path) -> Result<Option<u32>, Failure> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(Failure::failed(format!(
                "pidfile {} is a symbolic link; refusing to follow it",
                path.display()
            )));
        }
        Ok(_) => {}
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Failure::failed(format!("cannot read pidfile {}: {err}", path.display()))),
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text.trim().parse::<u32>().ok().filter(|pid| *pid > 0)),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Failure::failed(format!("cannot read pidfile {}: {err}", path.display()))),
    }
}

/// True if a process with this pid exists (even one we may not signal) and has not exited: a
/// zombie waiting to be reaped counts as gone.
pub(crate) fn alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else { return false };
    let exists = match kill(Pid::from_raw(raw), None) {
        Ok(()) => true,
        Err(Errno::EPERM) => true,
        Err(_) => false,
    };
    exists && !is_zombie(pid)
}

/// The process state in `/proc/PID/stat` is `Z` (exited, not yet reaped) or `X` (dead).
fn is_zombie(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    // The command name is in parentheses and may itself contain ") "; the state follows the last.
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
    matches!(state, Some("Z" | "X"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_pidfile_is_refused_and_a_stale_one_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.pid");
        let ours = Pidfile::create(&path).unwrap();
        assert_eq!(read(&path).unwrap(), Some(std::process::id()));
        assert_eq!(
            Pidfile::create(&path).err().unwrap().message(),
            format!("already running as PID {}", std::process::id())
        );
        ours.remove();
        assert_eq!(read(&path).unwrap(), None);

        // A pid that cannot be alive: larger than any pid_max.
        std::fs::write(&path, "4194305\n").unwrap();
        let replaced = Pidfile::create(&path).unwrap();
        assert_eq!(read(replaced.path()).unwrap(), Some(std::process::id()));
        replaced.remove();
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(leftovers.is_empty(), "nothing left behind: {leftovers:?}");
    }

    #[test]
    fn a_symlink_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        let path = dir.path().join("app.pid");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let err = Pidfile::create(&path).err().unwrap();
        assert!(err.message().ends_with("is a symbolic link; refusing to follow it"), "{err}");
        assert!(!target.exists());
    }
}
