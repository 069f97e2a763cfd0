//! Why a server could not start.

use std::error::Error as StdError;
use std::fmt;
use std::io;

/// A server could not listen on its address (in use, not an address of this host, a name
/// that does not resolve, a Unix socket's path taken by a live server or by a file that is not
/// a socket, …). The start fails with it, naming the address; its source says why.
///
/// Every server fails with this one type, whatever its backend.
///
/// ```
/// use ginkgo::net::ListenError;
///
/// let err = ListenError::new("127.0.0.1:7000", std::io::ErrorKind::AddrInUse.into());
/// assert_eq!(err.to_string(), "cannot listen on 127.0.0.1:7000");
/// assert_eq!(err.address(), "127.0.0.1:7000");
/// assert_eq!(err.io_error().kind(), std::io::ErrorKind::AddrInUse);
/// ```
#[derive(Debug)]
pub struct ListenError {
    address: String,
    source: io::Error,
}

impl ListenError {
    /// The error of listening on `address`, caused by `source`.
    pub fn new(address: impl Into<String>, source: io::Error) -> Self {
        ListenError { address: address.into(), source }
    }

    /// The address as the server was given it.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// What the operating system said.
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }
}

impl fmt::Display for ListenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot listen on {}", self.address)
    }
}

impl StdError for ListenError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.source)
    }
}
