//! The pidfile, and the proof that the process it names is the daemon.
//!
//! The process that writes a pidfile holds an exclusive POSIX record lock on it
//! (`fcntl(F_SETLK)`, the whole file) for its whole life. `ginkgoctl` trusts a pidfile only when
//! the kernel says (`F_GETLK`) that the process holding that lock is the one the file names.
//! A pidfile nobody locks is stale, whatever PID it holds: never signalled. One whose lock is held
//! by another process than it names (someone rewrote it) is trusted with nothing.
//!
//! Why a POSIX record lock rather than `flock(2)` or a separate lock file:
//! * `F_GETLK` names the holder, so the lock itself says which process is the daemon and the PID
//!   in the file is checked against it. `flock` cannot say who holds it.
//! * It belongs to the process, not to a descriptor: children the service spawns do not inherit
//!   it, and it goes when the daemon ends, however it ends. A `flock` lives on in every process
//!   that inherited the descriptor.
//! * One file: a lock file beside the pidfile would be one more file to guard against planted
//!   links, and one more to leave behind.
//!
//! Its catch: a process loses its POSIX lock on a file as soon as it closes *any* descriptor of
//! that file. So the daemon opens its pidfile once, keeps that descriptor, and never opens the
//! path again; [`Pidfile::remove`] compares the file at the path with the descriptor instead.
//!
//! Once a PID is proven, `ginkgoctl` holds it with a pidfd (`pidfd_open`): signals and the wait
//! for the exit go to that very process, even if it ends and its PID is reused meanwhile.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, FcntlArg, OFlag, RenameFlags, fcntl, open, openat, renameat, renameat2};
use nix::libc;
use nix::sys::signal::kill;
use nix::sys::stat::{FileStat, Mode, fstat, fstatat};
use nix::unistd::{UnlinkatFlags, linkat, unlinkat};
use rustix::process::{Pid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};

use crate::Failure;
use crate::files::{Entry, Folder, Owners, Problem, check_kind};

/// A pidfile holds a PID and a newline: anything longer is not one.
const MAX_SIZE: i64 = 32;

/// How often a wait without a pidfd looks whether the process has gone.
const EXIT_POLL: Duration = Duration::from_millis(20);

/// The pidfile of this process: written, locked, and kept open until [`remove`](Pidfile::remove).
pub(crate) struct Pidfile {
    folder: Folder,
    name: OsString,
    /// Locked; closing it would release the lock.
    file: File,
}

impl Pidfile {
    /// Writes our PID to `path` and locks it. A pidfile whose lock another process holds is an
    /// error ("already running"); a stale one (nobody holds its lock) is replaced. The file
    /// appears complete and locked at once (written and locked aside, then renamed into place),
    /// and is reached and checked as [`crate::files`] says.
    pub(crate) fn create(path: &Path) -> Result<Pidfile, Failure> {
        Pidfile::write(path, false)
    }

    /// Writes our PID to `path` and locks it, replacing whatever pidfile is there, live or not:
    /// a graceful upgrade's new process takes over from the old one, which still holds the lock
    /// of the file it wrote. The new file, written and locked aside, is renamed over the old
    /// one: the path names a locked pidfile throughout, the old process's until the rename, the
    /// new one's from then on, so `status` never finds the daemon missing.
    pub(crate) fn take_over(path: &Path) -> Result<Pidfile, Failure> {
        Pidfile::write(path, true)
    }

    fn write(path: &Path, take_over: bool) -> Result<Pidfile, Failure> {
        let fail = |problem: Problem| Failure::failed(problem.describe("pidfile", "write pidfile", path));
        let owners = Owners::current();
        let (folder, name) = owners.split(path).map_err(fail)?;
        let folder = owners.open_folder(folder).map_err(fail)?;
        let pid = std::process::id();
        let aside = OsString::from(format!(".{}.{pid}.tmp", name.to_string_lossy()));
        let _ = unlinkat(&folder, aside.as_os_str(), UnlinkatFlags::NoRemoveDir);
        let mut file = File::from(folder.create(&aside, OFlag::O_WRONLY, &owners).map_err(fail)?);
        let written = lock(&file)
            .and_then(|()| writeln!(file, "{pid}").and_then(|()| file.sync_all()).map_err(errno_of))
            .map_err(|errno| fail(Problem::Failed(None, errno)))
            .and_then(|()| match take_over {
                true => renameat(&folder, aside.as_os_str(), &folder, name)
                    .map_err(|errno| fail(Problem::Failed(None, errno))),
                false => put_in_place(&folder, &aside, name, &owners, path),
            });
        if let Err(failure) = written {
            let _ = unlinkat(&folder, aside.as_os_str(), UnlinkatFlags::NoRemoveDir);
            return Err(failure);
        }
        Ok(Pidfile { folder, name: name.to_os_string(), file })
    }

    /// Deletes the pidfile if the path still names our file.
    pub(crate) fn remove(&self) {
        if same_file(&self.folder, &self.name, &self.file) {
            let _ = unlinkat(&self.folder, self.name.as_os_str(), UnlinkatFlags::NoRemoveDir);
        }
    }
}

/// Renames `aside` (written and locked) to `name`, replacing a stale pidfile but never a live one.
fn put_in_place(folder: &Folder, aside: &OsStr, name: &OsStr, owners: &Owners, path: &Path) -> Result<(), Failure> {
    let fail = |problem: Problem| Failure::failed(problem.describe("pidfile", "write pidfile", path));
    // Three rounds: the file in the way can vanish or change between the looks, once or twice.
    for _ in 0..3 {
        match renameat2(folder, aside, folder, name, RenameFlags::RENAME_NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(Errno::EEXIST) => {}
            // A filesystem that cannot rename without replacing: link, then drop the aside name.
            Err(Errno::EINVAL) => match linkat(folder, aside, folder, name, AtFlags::empty()) {
                Ok(()) => {
                    let _ = unlinkat(folder, aside, UnlinkatFlags::NoRemoveDir);
                    return Ok(());
                }
                Err(Errno::EEXIST) => {}
                Err(errno) => return Err(fail(Problem::Failed(None, errno))),
            },
            Err(errno) => return Err(fail(Problem::Failed(None, errno))),
        }
        // Something is in the way. Replace it only if it is stale, and hold its lock while doing
        // so: of two daemons starting at once, only one gets that lock, so only one replaces it.
        let Some(existing) = open_in_the_way(folder, name, owners).map_err(fail)? else { continue };
        if lock(&existing).is_err() {
            match lock_holder(&existing).map_err(|errno| fail(Problem::Failed(None, errno)))? {
                Some(holder) => return Err(Failure::failed(format!("already running as PID {holder}"))),
                None => continue,
            }
        }
        if !same_file(folder, name, &existing) {
            continue;
        }
        return renameat(folder, aside, folder, name).map_err(|errno| fail(Problem::Failed(None, errno)));
    }
    Err(fail(Problem::Refused("it keeps changing while being written".into())))
}

/// Opens the file at `name` for locking (writing, never truncating); `None` if it has gone.
fn open_in_the_way(folder: &Folder, name: &OsStr, owners: &Owners) -> Result<Option<File>, Problem> {
    if folder.check_entry(name, owners)? == Entry::Missing {
        return Ok(None);
    }
    let flags = OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
    let file = match openat(folder, name, flags, Mode::empty()) {
        Ok(fd) => File::from(fd),
        Err(Errno::ENOENT) => return Ok(None),
        Err(Errno::ELOOP) => return Err(Problem::Refused("it is a symbolic link".into())),
        Err(errno) => return Err(Problem::Failed(None, errno)),
    };
    owners.check_file(&fstat(&file).map_err(|errno| Problem::Failed(None, errno))?)?;
    Ok(Some(file))
}

/// What a pidfile, or a bare PID, says about the daemon.
pub(crate) enum Lookup {
    /// No pidfile; for a bare PID, no such process.
    Absent,
    /// A pidfile whose lock nobody holds: the PID it names, if any, is not the daemon's.
    Stale { path: PathBuf, named: Option<u32> },
    /// The daemon, proven by its pidfile's lock.
    Running(Daemon),
    /// Nothing here can be trusted, and nothing is signalled: why, in one line.
    Untrusted(String),
}

/// What the pidfile at `path` proves.
pub(crate) fn look_up(path: &Path) -> Result<Lookup, Failure> {
    // A starting daemon replaces a stale pidfile under its lock; caught at that instant, the
    // file can look untrustworthy. So look again if the path names another file by then.
    let mut rounds = 1;
    loop {
        let (lookup, seen) = look_up_once(path)?;
        let replaced = seen.is_some() && file_id_at(path) != seen;
        if matches!(lookup, Lookup::Running(_)) || !replaced || rounds == 3 {
            return Ok(lookup);
        }
        rounds += 1;
    }
}

/// A file's device and inode.
type FileId = (u64, u64);

fn file_id_at(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).ok().map(|meta| (meta.dev(), meta.ino()))
}

#[allow(clippy::useless_conversion)] // `dev_t` and `ino_t` are narrower on some targets.
fn file_id_of(stat: &FileStat) -> FileId {
    (u64::from(stat.st_dev), u64::from(stat.st_ino))
}

fn look_up_once(path: &Path) -> Result<(Lookup, Option<FileId>), Failure> {
    let refuse = |why: String| Ok((Lookup::Untrusted(format!("refusing pidfile {}: {why}", path.display())), None));
    let cannot = |errno: Errno| match errno {
        Errno::EACCES | Errno::EPERM => {
            Failure::denied(format!("cannot read pidfile {}: {}", path.display(), os(errno)))
        }
        _ => Failure::failed(format!("cannot read pidfile {}: {}", path.display(), os(errno))),
    };
    // Look before opening, so that a FIFO or a device in its place is never opened.
    match fstatat(nix::fcntl::AT_FDCWD, path, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Err(Errno::ENOENT) => return Ok((Lookup::Absent, None)),
        Err(errno) => return Err(cannot(errno)),
        Ok(entry) => {
            if let Err(Problem::Refused(why)) = check_kind(&entry) {
                return refuse(why);
            }
        }
    }
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
    let file = match open(path, flags, Mode::empty()) {
        Ok(fd) => File::from(fd),
        Err(Errno::ENOENT) => return Ok((Lookup::Absent, None)),
        Err(Errno::ELOOP) => return refuse("it is a symbolic link".into()),
        Err(errno) => return Err(cannot(errno)),
    };
    let stat = fstat(&file).map_err(cannot)?;
    if let Err(Problem::Refused(why)) = check_kind(&stat) {
        return refuse(why);
    }
    let named = read_pid(&file);
    let holder = lock_holder(&file).map_err(cannot)?;
    let shown = path.display();
    let lookup = match (holder, named) {
        (None, named) => Lookup::Stale { path: path.to_path_buf(), named },
        (Some(holder), Some(pid)) if i64::from(holder) == i64::from(pid) => match Daemon::prove(pid, file)? {
            Some(daemon) => Lookup::Running(daemon),
            None => Lookup::Stale { path: path.to_path_buf(), named },
        },
        (Some(holder), _) if holder <= 0 => Lookup::Untrusted(format!(
            "pidfile {shown} is locked by a process {} cannot name (outside its PID namespace); signalling nothing",
            crate::app::ctl_name()
        )),
        (Some(holder), Some(pid)) => Lookup::Untrusted(format!(
            "pidfile {shown} names PID {pid}, but PID {holder} holds its lock; signalling neither"
        )),
        (Some(holder), None) => Lookup::Untrusted(format!(
            "pidfile {shown} names no PID, but PID {holder} holds its lock; signalling nothing"
        )),
    };
    Ok((lookup, Some(file_id_of(&stat))))
}

/// What a bare PID (`ginkgoctl -p PID`) proves: it is the daemon only if it holds the lock of a
/// pidfile naming it, found among its open files.
pub(crate) fn look_up_pid(pid: u32) -> Result<Lookup, Failure> {
    if !alive(pid) {
        return Ok(Lookup::Absent);
    }
    let open_files = match std::fs::read_dir(format!("/proc/{pid}/fd")) {
        Ok(open_files) => open_files,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(Lookup::Absent),
        Err(err) if err.kind() == ErrorKind::PermissionDenied => {
            return Err(Failure::denied(format!(
                "cannot tell whether PID {pid} is a {} daemon: {err}",
                crate::app::program_name()
            )));
        }
        Err(err) => {
            return Err(Failure::failed(format!(
                "cannot tell whether PID {pid} is a {} daemon: {err}",
                crate::app::program_name()
            )));
        }
    };
    for link in open_files.flatten() {
        let Some(file) = reopen_small_file(&link.path()) else { continue };
        let holder = lock_holder(&file).ok().flatten();
        if read_pid(&file) == Some(pid) && holder.is_some_and(|holder| i64::from(holder) == i64::from(pid)) {
            return Ok(Daemon::prove(pid, file)?.map_or(Lookup::Absent, Lookup::Running));
        }
    }
    Ok(Lookup::Untrusted(format!(
        "PID {pid} is not a {} daemon: it holds the lock of no pidfile naming it; not signalling it",
        crate::app::program_name()
    )))
}

/// Opens for reading the file behind `link` (`/proc/PID/fd/N`) if it is a regular file small
/// enough to be a pidfile. It is pinned first with `O_PATH`, which opens nothing, so a device, a
/// FIFO or a socket among the process's files is never opened.
fn reopen_small_file(link: &Path) -> Option<File> {
    let pinned = open(link, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty()).ok()?;
    let stat = fstat(&pinned).ok()?;
    if check_kind(&stat).is_err() || stat.st_size > MAX_SIZE {
        return None;
    }
    let flags = OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
    open(format!("/proc/self/fd/{}", pinned.as_raw_fd()).as_str(), flags, Mode::empty()).ok().map(File::from)
}

/// A process proven to be the daemon: it held the lock of a pidfile naming it when it was found.
pub(crate) struct Daemon {
    pid: u32,
    /// The very process, whatever happens to its PID; `None` on kernels without pidfds (< 5.3).
    pidfd: Option<OwnedFd>,
    /// The pidfile it was found by, whose lock is checked again where there is no pidfd.
    pidfile: File,
}

impl Daemon {
    /// Pins the process `pid` with a pidfd, then checks the lock again: if `pid` still holds
    /// `pidfile`'s lock, the pinned process is the one that held it. `None` if it has gone.
    fn prove(pid: u32, pidfile: File) -> Result<Option<Daemon>, Failure> {
        let Some(raw) = i32::try_from(pid).ok().and_then(Pid::from_raw) else { return Ok(None) };
        let pidfd = match pidfd_open(raw, PidfdFlags::empty()) {
            Ok(pidfd) => Some(pidfd),
            Err(rustix::io::Errno::SRCH) => return Ok(None),
            Err(rustix::io::Errno::NOSYS) => None,
            Err(err) => return Err(Failure::failed(format!("cannot watch process {pid}: {err}"))),
        };
        let daemon = Daemon { pid, pidfd, pidfile };
        Ok(daemon.holds_its_lock().then_some(daemon))
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    fn holds_its_lock(&self) -> bool {
        lock_holder(&self.pidfile).ok().flatten().is_some_and(|holder| i64::from(holder) == i64::from(self.pid))
    }

    /// Sends `signal` to the daemon; a daemon that has already gone is not an error.
    pub(crate) fn signal(&self, signal: Signal) -> Result<(), Failure> {
        let sent = match &self.pidfd {
            Some(pidfd) => pidfd_send_signal(pidfd, signal),
            // Without a pidfd, by PID, and only while the lock still says it is the daemon.
            None if self.holds_its_lock() => match i32::try_from(self.pid).ok().and_then(Pid::from_raw) {
                Some(pid) => rustix::process::kill_process(pid, signal),
                None => Ok(()),
            },
            None => Ok(()),
        };
        match sent {
            Ok(()) | Err(rustix::io::Errno::SRCH) => Ok(()),
            Err(err @ rustix::io::Errno::PERM) => Err(Failure::denied(format!(
                "cannot signal process {}: {}",
                self.pid,
                os(Errno::from_raw(err.raw_os_error()))
            ))),
            Err(err) => Err(Failure::failed(format!("cannot signal process {}: {err}", self.pid))),
        }
    }

    /// Waits until the daemon has exited, at most `timeout`; true if it has.
    pub(crate) fn wait_for_exit(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let Some(pidfd) = &self.pidfd else {
            // Without a pidfd: its lock goes as the daemon exits, then its PID.
            while self.holds_its_lock() || alive(self.pid) {
                if Instant::now() >= deadline {
                    return false;
                }
                std::thread::sleep(EXIT_POLL);
            }
            return true;
        };
        loop {
            // A pidfd turns readable when its process exits.
            let left = deadline.saturating_duration_since(Instant::now());
            let mut fds = [rustix::event::PollFd::new(pidfd, rustix::event::PollFlags::IN)];
            let timeout = rustix::event::Timespec::try_from(left).ok();
            match rustix::event::poll(&mut fds, timeout.as_ref()) {
                Ok(0) if left.is_zero() => return false,
                Ok(0) | Err(rustix::io::Errno::INTR) => {}
                Ok(_) => return true,
                Err(_) => return !alive(self.pid),
            }
        }
    }
}

/// Takes the exclusive lock on the whole of `file`, without waiting.
fn lock(file: &impl AsFd) -> Result<(), Errno> {
    fcntl(file, FcntlArg::F_SETLK(&whole_file(libc::F_WRLCK))).map(drop)
}

/// The PID of the process holding a POSIX lock on `file` (0 or less: one this process cannot
/// name), or `None` if nobody holds one. This process's own locks do not count.
fn lock_holder(file: &impl AsFd) -> Result<Option<i32>, Errno> {
    let mut probe = whole_file(libc::F_WRLCK);
    fcntl(file, FcntlArg::F_GETLK(&mut probe))?;
    Ok((probe.l_type != libc::F_UNLCK as libc::c_short).then_some(probe.l_pid))
}

fn whole_file(kind: libc::c_int) -> libc::flock {
    libc::flock {
        l_type: kind as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    }
}

/// The PID in `file`, read from its start: `None` if it holds none.
fn read_pid(file: &File) -> Option<u32> {
    let mut text = String::new();
    file.take(MAX_SIZE as u64).read_to_string(&mut text).ok()?;
    text.trim().parse::<u32>().ok().filter(|pid| *pid > 0)
}

/// True if `name` in `folder` is `file` itself (same device and inode), not a link to it.
fn same_file(folder: &Folder, name: &OsStr, file: &impl AsFd) -> bool {
    match (fstatat(folder, name, AtFlags::AT_SYMLINK_NOFOLLOW), fstat(file)) {
        (Ok(there), Ok(ours)) => file_id_of(&there) == file_id_of(&ours),
        _ => false,
    }
}

/// True if a process with this PID exists (even one we may not signal) and has not exited: a
/// zombie waiting to be reaped counts as gone.
pub(crate) fn alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else { return false };
    let exists = matches!(kill(nix::unistd::Pid::from_raw(raw), None), Ok(()) | Err(Errno::EPERM));
    exists && !is_zombie(pid)
}

/// The process state in `/proc/PID/stat` is `Z` (exited, not yet reaped) or `X` (dead).
fn is_zombie(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    // The command name is in parentheses and may itself contain ") "; the state follows the last.
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
    matches!(state, Some("Z" | "X"))
}

fn errno_of(err: std::io::Error) -> Errno {
    Errno::from_raw(err.raw_os_error().unwrap_or(libc::EIO))
}

fn os(errno: Errno) -> std::io::Error {
    std::io::Error::from_raw_os_error(errno as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Who holds a POSIX lock on `path`, seen from a new open file description: an OFD probe
    /// sees this process's own record locks too, which `F_GETLK` would not.
    fn locked_by(path: &Path) -> Option<i32> {
        let file = File::open(path).unwrap();
        let mut probe = whole_file(libc::F_WRLCK);
        fcntl(&file, FcntlArg::F_OFD_GETLK(&mut probe)).unwrap();
        (probe.l_type != libc::F_UNLCK as libc::c_short).then_some(probe.l_pid)
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_pidfile_appears_complete_and_locked_and_goes_on_remove() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.pid");
        let ours = Pidfile::create(&path).unwrap();
        let pid = std::process::id();
        assert_eq!(locked_by(&path), Some(pid as i32));
        // Closing the probe's descriptor released this process's lock: the catch the module doc
        // tells of, and why the daemon never opens its pidfile again.
        assert_eq!(locked_by(&path), None);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{pid}\n"));
        assert_eq!(entries(dir.path()), ["app.pid"], "nothing left aside");
        ours.remove();
        assert_eq!(entries(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn a_stale_pidfile_is_replaced_by_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.pid");
        std::fs::write(&path, "4194305\n").unwrap();
        let stale = file_id_at(&path);
        let ours = Pidfile::create(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{}\n", std::process::id()));
        assert_ne!(file_id_at(&path), stale, "renamed over, not rewritten");
        ours.remove();
        assert_eq!(entries(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn remove_leaves_a_file_that_took_the_pidfiles_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.pid");
        let ours = Pidfile::create(&path).unwrap();
        std::fs::write(dir.path().join("other"), "1\n").unwrap();
        std::fs::rename(dir.path().join("other"), &path).unwrap();
        ours.remove();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1\n");
    }

    #[test]
    fn a_symbolic_link_in_the_pidfiles_place_is_refused_and_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        let path = dir.path().join("app.pid");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let err = Pidfile::create(&path).err().unwrap();
        assert_eq!(err.message(), format!("refusing pidfile {}: it is a symbolic link", path.display()));
        assert!(!target.exists());
        assert_eq!(entries(dir.path()), ["app.pid"], "nothing left aside");
        match look_up(&path).unwrap() {
            Lookup::Untrusted(why) => assert_eq!(why, err.message()),
            _ => panic!("a symbolic link is not trusted"),
        }
    }

    #[test]
    fn an_unlocked_pidfile_is_stale_whatever_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.pid");
        assert!(matches!(look_up(&path).unwrap(), Lookup::Absent));
        // Our own PID, alive, but holding no lock on this file.
        std::fs::write(&path, format!("{}\n", std::process::id())).unwrap();
        match look_up(&path).unwrap() {
            Lookup::Stale { path: stale, named } => {
                assert_eq!((stale, named), (path.clone(), Some(std::process::id())))
            }
            _ => panic!("stale"),
        }
        std::fs::write(&path, "not a pid\n").unwrap();
        assert!(matches!(look_up(&path).unwrap(), Lookup::Stale { named: None, .. }));
    }

    #[test]
    fn a_fifo_in_the_pidfiles_place_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.pid");
        nix::unistd::mkfifo(&path, Mode::from_bits_truncate(0o666)).unwrap();
        match look_up(&path).unwrap() {
            Lookup::Untrusted(why) => assert_eq!(
                why,
                format!("refusing pidfile {}: it is a named pipe (FIFO), not a regular file", path.display())
            ),
            _ => panic!("a FIFO is not trusted"),
        }
    }

    #[test]
    fn a_bare_pid_is_a_daemon_only_with_a_locked_pidfile_naming_it() {
        assert!(matches!(look_up_pid(4_194_305).unwrap(), Lookup::Absent), "no such process");
        // This process holds no lock another process could see: not a daemon.
        let pid = std::process::id();
        match look_up_pid(pid).unwrap() {
            Lookup::Untrusted(why) => assert_eq!(
                why,
                format!(
                    "PID {pid} is not a ginkgo daemon: it holds the lock of no pidfile naming it; not signalling it"
                )
            ),
            _ => panic!("not a daemon"),
        }
    }
}
