//! The file of a server's Unix socket, and who is at the other end of a Unix connection: the
//! network layer's one contact with the file system and with the socket calls the runtimes do
//! not offer. Every backend listens on Unix sockets through [`listen_unix`].

use std::fs;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::socket::{self, AddressFamily, Backlog, SockFlag, SockType, UnixAddr};

use super::{PeerAddr, PeerProcess, SocketMode, UnixPeer};

/// How many connections may wait to be accepted (the kernel caps it at `somaxconn`).
const BACKLOG: i32 = 1024;

/// Makes a Unix socket at `path`, listening, its file with the permissions `mode`; the
/// listener, in blocking mode (each runtime makes it its own), and the guard that removes the
/// file when dropped.
///
/// * A file already at `path` is replaced only if it is a socket nobody listens on (connecting
///   to it is refused): what a server that did not stop cleanly leaves behind. A socket that
///   answers is another server's: the error says so. Anything that is not a socket (a regular
///   file, a folder, a link) is never removed: the error names it.
/// * The mode is set before the socket listens, so no client ever connects through wider
///   permissions than `mode` (connecting takes write permission).
///
/// ```
/// use std::os::unix::fs::PermissionsExt;
/// use ginkgo::net::SocketMode;
/// use ginkgo_core::net::backend::listen_unix;
///
/// let folder = tempfile::tempdir()?;
/// let path = folder.path().join("app.sock");
/// let (listener, file) = listen_unix(&path, SocketMode::new(0o600))?;
/// assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
/// std::os::unix::net::UnixStream::connect(&path)?;
/// let err = listen_unix(&path, SocketMode::DEFAULT).unwrap_err();
/// assert_eq!(err.to_string(), format!("{} is in use by another server", path.display()));
/// drop((listener, file));
/// assert!(!path.exists(), "removed with its guard");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn listen_unix(path: &Path, mode: SocketMode) -> io::Result<(UnixListener, SocketFile)> {
    clear_the_way(path)?;
    let socket = socket::socket(AddressFamily::Unix, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)?;
    let address = UnixAddr::new(path)?;
    socket::bind(raw(&socket), &address).map_err(|errno| about(path, errno))?;
    let file = SocketFile::of(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode.bits()))?;
    socket::listen(&socket, Backlog::new(BACKLOG).unwrap_or(Backlog::MAXCONN))?;
    Ok((UnixListener::from(socket), file))
}

/// Removes a stale socket at `path`; fails if something else is there.
fn clear_the_way(path: &Path) -> io::Result<()> {
    let found = match fs::symlink_metadata(path) {
        Ok(found) => found,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err),
    };
    if !found.file_type().is_socket() {
        let what = if found.is_dir() { "a folder" } else { "not a socket" };
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} is {what}; it is left as it is", path.display()),
        ));
    }
    if is_answered(path)? {
        return Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("{} is in use by another server", path.display()),
        ));
    }
    log::info!("removing the stale socket {} (nothing listens on it)", path.display());
    fs::remove_file(path)
}

/// True if a server listens on the socket at `path`: a connection to it is not refused. The
/// attempt does not block: a server whose backlog is full answers too.
fn is_answered(path: &Path) -> io::Result<bool> {
    let probe =
        socket::socket(AddressFamily::Unix, SockType::Stream, SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK, None)?;
    match socket::connect(raw(&probe), &UnixAddr::new(path)?) {
        Ok(()) | Err(Errno::EAGAIN | Errno::EINPROGRESS) => Ok(true),
        Err(Errno::ECONNREFUSED) => Ok(false),
        Err(errno) => Err(about(path, errno)),
    }
}

fn raw(fd: &impl AsFd) -> std::os::fd::RawFd {
    use std::os::fd::AsRawFd;
    fd.as_fd().as_raw_fd()
}

/// `errno`, saying which path it is about.
fn about(path: &Path, errno: Errno) -> io::Error {
    let err = io::Error::from(errno);
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

/// The file of a listening Unix socket, removed when this is dropped, but only if it is still
/// the socket that was made (a socket, on the same device and inode): a file something else put
/// there since is left alone.
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
    device: u64,
    inode: u64,
    /// False for an inherited socket's file, which is its maker's to remove.
    owned: bool,
}

impl SocketFile {
    fn of(path: &Path) -> io::Result<Self> {
        let made = fs::symlink_metadata(path)?;
        Ok(SocketFile { path: path.to_path_buf(), device: made.dev(), inode: made.ino(), owned: true })
    }

    /// The file of a socket this process was handed (see `activation`): never removed.
    pub(crate) fn adopted(path: &Path) -> Self {
        SocketFile { path: path.to_path_buf(), device: 0, inode: 0, owned: false }
    }

    /// The path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if !self.owned || super::handover::handed_over() {
            return;
        }
        let still_ours = fs::symlink_metadata(&self.path)
            .is_ok_and(|now| now.file_type().is_socket() && (now.dev(), now.ino()) == (self.device, self.inode));
        if !still_ours {
            log::debug!("{} is no longer the socket that was made: left as it is", self.path.display());
            return;
        }
        if let Err(err) = fs::remove_file(&self.path) {
            log::warn!("could not remove the socket {}: {err}", self.path.display());
        }
    }
}

/// Who is at the other end of `socket`, a Unix socket connected through the socket at `path`:
/// the path, and the process where the system tells (Linux: `SO_PEERCRED`).
pub fn unix_peer(path: &Path, socket: &impl AsFd) -> PeerAddr {
    PeerAddr::Unix(UnixPeer::new(path.to_path_buf(), peer_process(socket)))
}

/// The process at the other end of the connected Unix socket `socket`, where the system tells.
pub fn peer_process(socket: &impl AsFd) -> Option<PeerProcess> {
    credentials(socket)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn credentials(socket: &impl AsFd) -> Option<PeerProcess> {
    let found = socket::getsockopt(socket, socket::sockopt::PeerCredentials).ok()?;
    Some(PeerProcess { pid: u32::try_from(found.pid()).unwrap_or(0), uid: found.uid(), gid: found.gid() })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn credentials(_socket: &impl AsFd) -> Option<PeerProcess> {
    None
}

/// Wakes every thread blocked receiving on `socket` (a UDP socket, connected or not): shuts its
/// receiving half down, after which a receive returns at once. What a blocking transport calls
/// at the stop, where a receive cannot be cancelled. On Linux an unconnected socket says
/// `ENOTCONN` and is shut down all the same; that answer is not an error here.
pub fn wake_blocked_receivers(socket: &impl AsFd) {
    match socket::shutdown(raw(socket), socket::Shutdown::Read) {
        Ok(()) | Err(Errno::ENOTCONN) => {}
        Err(errno) => log::debug!("could not shut down a datagram socket's receiving half: {errno}"),
    }
}

/// Receives a datagram on the blocking UDP socket `socket`, waiting as long as it takes: its
/// length and sender. Unlike `std`'s `recv_from`, it copes with a socket woken by
/// [`wake_blocked_receivers`]: it then fails with `NotConnected` (the standard library's
/// would panic on the sender's address the system leaves empty).
pub fn recv_from_blocking(socket: &impl AsFd, buffer: &mut [u8]) -> io::Result<(usize, std::net::SocketAddr)> {
    use nix::sys::socket::SockaddrStorage;
    let (len, from) = loop {
        match socket::recvfrom::<SockaddrStorage>(raw(socket), buffer) {
            Err(Errno::EINTR) => continue,
            received => break received?,
        }
    };
    let from = from.as_ref().and_then(|from| {
        from.as_sockaddr_in()
            .map(|v4| std::net::SocketAddr::V4((*v4).into()))
            .or_else(|| from.as_sockaddr_in6().map(|v6| std::net::SocketAddr::V6((*v6).into())))
    });
    match from {
        Some(from) => Ok((len, from)),
        None => Err(io::Error::new(io::ErrorKind::NotConnected, "the socket's receiving half is shut down")),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixStream;

    use super::*;

    #[test]
    fn a_stale_socket_is_replaced_and_anything_else_is_refused() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("s.sock");
        drop(UnixListener::bind(&path).unwrap()); // its file stays: stale
        assert_eq!(UnixStream::connect(&path).unwrap_err().kind(), io::ErrorKind::ConnectionRefused);
        let (listener, file) = listen_unix(&path, SocketMode::DEFAULT).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o660);
        let _client = UnixStream::connect(&path).unwrap();
        drop((listener, file));

        let regular = folder.path().join("file");
        fs::write(&regular, "keep me").unwrap();
        let err = listen_unix(&regular, SocketMode::DEFAULT).unwrap_err();
        assert_eq!(err.to_string(), format!("{} is not a socket; it is left as it is", regular.display()));
        assert_eq!(fs::read_to_string(&regular).unwrap(), "keep me");
        let err = listen_unix(folder.path(), SocketMode::DEFAULT).unwrap_err();
        assert!(err.to_string().ends_with("is a folder; it is left as it is"), "{err}");

        // A link is not followed, even to a stale socket.
        let stale = folder.path().join("stale.sock");
        drop(UnixListener::bind(&stale).unwrap());
        let link = folder.path().join("link.sock");
        std::os::unix::fs::symlink(&stale, &link).unwrap();
        let err = listen_unix(&link, SocketMode::DEFAULT).unwrap_err();
        assert_eq!(err.to_string(), format!("{} is not a socket; it is left as it is", link.display()));
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert!(fs::symlink_metadata(&stale).unwrap().file_type().is_socket());
    }

    #[test]
    fn the_file_is_removed_only_while_it_is_the_socket_that_was_made() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("s.sock");
        let (listener, file) = listen_unix(&path, SocketMode::DEFAULT).unwrap();
        fs::remove_file(&path).unwrap();
        fs::write(&path, "another's").unwrap();
        drop((listener, file));
        assert_eq!(fs::read_to_string(&path).unwrap(), "another's");
    }

    #[test]
    fn a_missing_folder_is_named() {
        let err = listen_unix(Path::new("/nonexistent-ginkgo/s.sock"), SocketMode::DEFAULT).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().starts_with("/nonexistent-ginkgo/s.sock: "), "{err}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_peer_process_is_this_one() {
        let (a, _b) = UnixStream::pair().unwrap();
        let process = peer_process(&a).unwrap();
        assert_eq!(process.pid, std::process::id());
        let folder = tempfile::tempdir().unwrap();
        assert_eq!(process.uid, fs::metadata(folder.path()).unwrap().uid(), "the owner of what this process makes");
    }
}
