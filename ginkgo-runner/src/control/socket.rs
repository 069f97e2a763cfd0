//! Making the control socket's file, as root, in a folder the service user may own, without a
//! race: the socket is bound inside a fresh private folder, given its owner and mode there, and
//! only then renamed into place; every step after the first names files relative to folders
//! opened once, never by a path someone could change in between.

use std::ffi::{OsStr, OsString};
use std::io::ErrorKind;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, open, openat, renameat};
use nix::sys::stat::{FchmodatFlags, FileStat, Mode, SFlag, fchmodat, fstatat, mkdirat};
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchownat, geteuid, unlinkat};

use crate::Failure;

/// The longest path a Unix socket can have: `sun_path` holds 108 bytes with the final NUL.
pub(crate) const MAX_PATH: usize = 107;

/// The default control socket of a daemon with this pidfile: beside it, `.pid` replaced by
/// `.sock` (or `.sock` added).
pub(crate) fn beside(pidfile: &Path) -> PathBuf {
    let name = pidfile.file_name().map(OsStr::as_bytes).unwrap_or(b"ginkgo");
    let stem = name.strip_suffix(b".pid").unwrap_or(name);
    let mut socket = OsString::from(OsStr::from_bytes(stem));
    socket.push(".sock");
    pidfile.with_file_name(socket)
}

/// Why `path` cannot be a socket's path, if it cannot.
pub(crate) fn too_long(path: &Path) -> Option<String> {
    let length = path.as_os_str().len();
    (length > MAX_PATH)
        .then(|| format!("{} is {length} bytes long; a Unix socket path holds at most {MAX_PATH}", path.display()))
}

/// The control socket's file and the listening socket behind it.
pub(crate) struct SocketFile {
    pub(crate) listener: UnixListener,
    path: PathBuf,
    /// The folder it lives in, opened once: it is removed through this, not by path.
    folder: OwnedFd,
    name: OsString,
    /// Which file it is, so that only it is ever removed.
    identity: FileId,
}

impl SocketFile {
    /// Creates a listening socket at `path` owned by `owner`:`group`, mode 0600. A stale socket
    /// there (nobody listens) is replaced; a live one, or anything else, is an error.
    pub(crate) fn create(path: &Path, owner: Uid, group: Gid) -> Result<SocketFile, Failure> {
        SocketFile::make(path, owner, group, false)
    }

    /// Creates the socket as [`create`](SocketFile::create) does, but in place of a live one
    /// (a graceful upgrade's new process takes over from the old one): the rename replaces the
    /// old file at once, so clients find one socket or the other, never none.
    pub(crate) fn take_over(path: &Path, owner: Uid, group: Gid) -> Result<SocketFile, Failure> {
        SocketFile::make(path, owner, group, true)
    }

    fn make(path: &Path, owner: Uid, group: Gid, take_over: bool) -> Result<SocketFile, Failure> {
        let failed = |what: &str, err: &dyn std::fmt::Display| {
            Failure::failed(format!("cannot create control socket {}: {what}: {err}", path.display()))
        };
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(Failure::failed(format!("control socket {} is not a file path", path.display())));
        };
        let folder = open(parent, OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())
            .map_err(|err| failed(&format!("cannot open its folder {}", parent.display()), &err))?;
        if !take_over {
            check_nothing_live(path, &folder, name)?;
        }
        let private = PrivateFolder::make(&folder, name).map_err(|err| failed("cannot make a private folder", &err))?;
        let made = private.bind(owner, group);
        let made = made.and_then(|(listener, identity)| {
            let renamed = renameat(&private.fd, "s", &folder, name);
            renamed.map(|()| (listener, identity)).map_err(|err| ("rename", err.into()))
        });
        private.remove(&folder);
        let (listener, identity) = made.map_err(|(what, err)| failed(what, &err))?;
        Ok(SocketFile { listener, path: path.to_path_buf(), folder, name: name.to_os_string(), identity })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the socket's file, if it is still the one we made.
    pub(crate) fn remove(&self) {
        if fstatat(&self.folder, self.name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW)
            .is_ok_and(|stat| identity(&stat) == self.identity)
        {
            let _ = unlinkat(&self.folder, self.name.as_os_str(), UnlinkatFlags::NoRemoveDir);
        }
    }
}

/// A file's device and inode: which file it is, whatever its name.
type FileId = (u64, u64);

/// Which step of making the socket failed, and why.
type StepFailed = (&'static str, std::io::Error);

fn identity(stat: &FileStat) -> FileId {
    (stat.st_dev, stat.st_ino)
}

/// Refuses to start over a live socket or over anything that is not a socket.
fn check_nothing_live(path: &Path, folder: &OwnedFd, name: &OsStr) -> Result<(), Failure> {
    let stat = match fstatat(folder, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(stat) => stat,
        Err(Errno::ENOENT) => return Ok(()),
        Err(err) => return Err(Failure::failed(format!("cannot check control socket {}: {err}", path.display()))),
    };
    if SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT != SFlag::S_IFSOCK {
        return Err(Failure::failed(format!("{} exists and is not a socket; refusing to replace it", path.display())));
    }
    match UnixStream::connect(path) {
        Ok(_) => Err(Failure::failed(format!("control socket {} is in use by another process", path.display()))),
        Err(err) if matches!(err.kind(), ErrorKind::ConnectionRefused | ErrorKind::NotFound) => Ok(()),
        Err(err) => Err(Failure::failed(format!("cannot check control socket {}: {err}", path.display()))),
    }
}

/// A folder only this process's user can enter, made fresh beside the socket's place.
struct PrivateFolder {
    fd: OwnedFd,
    name: OsString,
}

impl PrivateFolder {
    fn make(folder: &OwnedFd, socket: &OsStr) -> Result<PrivateFolder, Errno> {
        let mut attempt = 0;
        loop {
            let mut name = OsString::from(".");
            name.push(socket);
            name.push(format!(".{}.{attempt}", std::process::id()));
            match mkdirat(folder, name.as_os_str(), Mode::S_IRWXU) {
                Ok(()) => {
                    // Opened without following a link, then checked: if someone swapped the new
                    // folder for something of theirs in between, this is where it shows.
                    let fd = openat(
                        folder,
                        name.as_os_str(),
                        OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_RDONLY | OFlag::O_CLOEXEC,
                        Mode::empty(),
                    )?;
                    let stat = nix::sys::stat::fstat(&fd)?;
                    if stat.st_uid != geteuid().as_raw() || stat.st_mode & 0o077 != 0 {
                        return Err(Errno::EPERM);
                    }
                    return Ok(PrivateFolder { fd, name });
                }
                Err(Errno::EEXIST) if attempt < 100 => attempt += 1,
                Err(err) => return Err(err),
            }
        }
    }

    /// Binds the socket `s` in here, then sets its owner and mode: nobody else can reach it
    /// while it is here. Returns the listener and which file it is.
    fn bind(&self, owner: Uid, group: Gid) -> Result<(UnixListener, FileId), StepFailed> {
        // `bind` takes a path, not a folder descriptor: this one reaches the folder we opened,
        // wherever it has been moved since.
        let path = format!("/proc/self/fd/{}/s", self.fd.as_raw_fd());
        let listener = UnixListener::bind(&path).map_err(|err| ("bind", err))?;
        let io = |what: &'static str| move |err: Errno| (what, std::io::Error::from(err));
        fchownat(&self.fd, "s", Some(owner), Some(group), AtFlags::AT_SYMLINK_NOFOLLOW).map_err(io("chown"))?;
        fchmodat(&self.fd, "s", Mode::S_IRUSR | Mode::S_IWUSR, FchmodatFlags::FollowSymlink).map_err(io("chmod"))?;
        let stat = fstatat(&self.fd, "s", AtFlags::AT_SYMLINK_NOFOLLOW).map_err(io("stat"))?;
        Ok((listener, identity(&stat)))
    }

    /// Removes the socket if it is still here (something failed) and the folder.
    fn remove(&self, folder: &OwnedFd) {
        let _ = unlinkat(&self.fd, "s", UnlinkatFlags::NoRemoveDir);
        let _ = unlinkat(folder, self.name.as_os_str(), UnlinkatFlags::RemoveDir);
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};

    use nix::unistd::getegid;

    use super::*;

    #[test]
    fn the_default_socket_is_beside_the_pidfile() {
        assert_eq!(beside(Path::new("/run/app/.svc.pid")), Path::new("/run/app/.svc.sock"));
        assert_eq!(beside(Path::new("/run/app/svc.lock")), Path::new("/run/app/svc.lock.sock"));
    }

    #[test]
    fn a_path_too_long_for_a_socket_says_so() {
        assert_eq!(too_long(Path::new(&format!("/{}", "x".repeat(106)))), None);
        let long = format!("/{}", "x".repeat(107));
        assert_eq!(
            too_long(Path::new(&long)),
            Some(format!("{long} is 108 bytes long; a Unix socket path holds at most 107"))
        );
    }

    #[test]
    fn the_socket_is_made_0600_replaces_a_stale_one_and_goes_away() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sock");
        drop(UnixListener::bind(&path).unwrap());
        let socket = SocketFile::create(&path, geteuid(), getegid()).unwrap();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!((meta.mode() & 0o777, meta.uid()), (0o600, geteuid().as_raw()));
        UnixStream::connect(&path).expect("it listens");
        let live = SocketFile::create(&path, geteuid(), getegid()).err().unwrap();
        assert_eq!(live.message(), format!("control socket {} is in use by another process", path.display()));
        socket.remove();
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "nothing left behind: {left:?}");
    }

    #[test]
    fn a_file_or_a_link_in_the_way_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sock");
        std::os::unix::fs::symlink("/etc/passwd", &path).unwrap();
        let err = SocketFile::create(&path, geteuid(), getegid()).err().unwrap();
        assert_eq!(err.message(), format!("{} exists and is not a socket; refusing to replace it", path.display()));
        assert_eq!(std::fs::read_link(&path).unwrap(), Path::new("/etc/passwd"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no private folder left");
    }

    #[test]
    fn a_socket_removed_by_someone_else_is_not_chased() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sock");
        let socket = SocketFile::create(&path, geteuid(), getegid()).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "someone else's").unwrap();
        socket.remove();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "someone else's");
    }
}
