//! Addresses: where a server listens or a client connects (`host:port`, `unix:/path`), where a
//! server is listening once bound, and who is at the other end of a connection.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// Where a server listens or a client connects, as it is configured: `host:port` for TCP (the
/// host a name or an IP address, resolved when the socket is made), or `unix:` followed by the
/// path of a Unix domain socket.
///
/// ```
/// use std::path::Path;
/// use ginkgo::net::Address;
///
/// let tcp: Address = "localhost:7000".parse().unwrap();
/// assert_eq!(tcp, Address::Tcp("localhost:7000".to_string()));
/// let unix: Address = "unix:/run/app.sock".parse().unwrap();
/// assert_eq!(unix.unix_path(), Some(Path::new("/run/app.sock")));
/// assert_eq!(unix.to_string(), "unix:/run/app.sock");
/// assert!("unix:".parse::<Address>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Address {
    /// `host:port`, as written.
    Tcp(String),
    /// The path of a Unix domain socket (relative paths are relative to the process's working
    /// directory when the socket is made).
    Unix(PathBuf),
}

/// The prefix that makes an address a Unix socket's path.
const UNIX_PREFIX: &str = "unix:";

impl Address {
    /// The path, for a Unix socket's address.
    pub fn unix_path(&self) -> Option<&Path> {
        match self {
            Address::Tcp(_) => None,
            Address::Unix(path) => Some(path),
        }
    }
}

impl FromStr for Address {
    type Err = BadAddress;

    fn from_str(text: &str) -> Result<Self, BadAddress> {
        match text.strip_prefix(UNIX_PREFIX) {
            Some("") => Err(BadAddress("`unix:` is followed by no path".into())),
            Some(path) => Ok(Address::Unix(PathBuf::from(path))),
            None => Ok(Address::Tcp(text.to_string())),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Tcp(host_port) => f.write_str(host_port),
            Address::Unix(path) => write!(f, "{UNIX_PREFIX}{}", path.display()),
        }
    }
}

/// An address that does not parse: what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadAddress(String);

impl fmt::Display for BadAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadAddress {}

/// Where a server listens, once it does: an IP address and port (the port it was given, if it
/// asked for port 0), or the path of its Unix socket.
///
/// ```
/// use ginkgo::net::LocalAddr;
///
/// let tcp = LocalAddr::Tcp("127.0.0.1:7000".parse().unwrap());
/// assert_eq!(tcp.to_string(), "127.0.0.1:7000");
/// assert_eq!(LocalAddr::Unix("/run/app.sock".into()).to_string(), "unix:/run/app.sock");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LocalAddr {
    /// A TCP listener's address.
    Tcp(SocketAddr),
    /// A Unix socket's path.
    Unix(PathBuf),
}

impl fmt::Display for LocalAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalAddr::Tcp(address) => address.fmt(f),
            LocalAddr::Unix(path) => write!(f, "{UNIX_PREFIX}{}", path.display()),
        }
    }
}

/// Who is at the other end of a connection: a TCP peer's address and port, or, over a Unix
/// socket, the socket's path and the process at the other end (its credentials, where the
/// system tells them). Logs name a connection by it (`connection from 10.0.0.7:50123`,
/// `connection from pid 4242 (uid 1000) on unix:/run/app.sock`).
///
/// ```
/// use ginkgo::net::{PeerAddr, PeerProcess, UnixPeer};
///
/// let tcp = PeerAddr::Tcp("10.0.0.7:50123".parse().unwrap());
/// assert_eq!(tcp.to_string(), "10.0.0.7:50123");
/// let process = PeerProcess { pid: 4242, uid: 1000, gid: 1000 };
/// let unix = PeerAddr::Unix(UnixPeer::new("/run/app.sock".into(), Some(process)));
/// assert_eq!(unix.to_string(), "pid 4242 (uid 1000) on unix:/run/app.sock");
/// assert_eq!(unix.unix_peer().and_then(UnixPeer::process).map(|p| p.uid), Some(1000));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PeerAddr {
    /// A TCP peer.
    Tcp(SocketAddr),
    /// The other end of a Unix socket.
    Unix(UnixPeer),
}

impl PeerAddr {
    /// The IP address and port, for a TCP peer.
    pub fn tcp(&self) -> Option<SocketAddr> {
        match self {
            PeerAddr::Tcp(address) => Some(*address),
            PeerAddr::Unix(_) => None,
        }
    }

    /// The socket's path and the process, for the other end of a Unix socket.
    pub fn unix_peer(&self) -> Option<&UnixPeer> {
        match self {
            PeerAddr::Tcp(_) => None,
            PeerAddr::Unix(peer) => Some(peer),
        }
    }
}

impl fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerAddr::Tcp(address) => address.fmt(f),
            PeerAddr::Unix(peer) => peer.fmt(f),
        }
    }
}

/// The other end of a Unix socket: the socket's path (the one the server listens on, on both
/// sides: a client's own end has no name) and, where the system tells (Linux), the process at
/// the other end. Shared, not copied, between the connections of one socket.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnixPeer(Arc<(PathBuf, Option<PeerProcess>)>);

impl UnixPeer {
    /// The peer on the socket at `path`, run by `process` if known.
    pub fn new(path: PathBuf, process: Option<PeerProcess>) -> Self {
        UnixPeer(Arc::new((path, process)))
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.0.0
    }

    /// The process at the other end, if the system tells.
    pub fn process(&self) -> Option<&PeerProcess> {
        self.0.1.as_ref()
    }
}

impl fmt::Display for UnixPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(process) = self.process() {
            write!(f, "pid {} (uid {}) on ", process.pid, process.uid)?;
        }
        write!(f, "{UNIX_PREFIX}{}", self.path().display())
    }
}

/// The process at the other end of a Unix socket, as the kernel saw it when the connection was
/// made (`SO_PEERCRED`): what a server authorizes a local client by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PeerProcess {
    /// Its process id (0 if it lives in another pid namespace).
    pub pid: u32,
    /// Its effective user id.
    pub uid: u32,
    /// Its effective group id.
    pub gid: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_unix_prefix_makes_a_path() {
        assert_eq!("unix:relative.sock".parse(), Ok(Address::Unix("relative.sock".into())));
        assert_eq!("[::1]:80".parse(), Ok(Address::Tcp("[::1]:80".into())));
        assert_eq!("UNIX:/x".parse(), Ok(Address::Tcp("UNIX:/x".into())), "a host name, to be resolved");
        assert_eq!("unix:".parse::<Address>().unwrap_err().to_string(), "`unix:` is followed by no path");
    }

    #[test]
    fn a_peer_address_is_no_larger_than_a_socket_address_and_a_word() {
        // Every connection holds one; most are TCP.
        assert!(size_of::<PeerAddr>() <= size_of::<SocketAddr>() + size_of::<usize>());
    }

    #[test]
    fn a_unix_peer_without_credentials_is_its_path() {
        assert_eq!(UnixPeer::new("s.sock".into(), None).to_string(), "unix:s.sock");
    }
}
