//! `ThreadsTls`: TLS over blocking sockets, with rustls' own blocking streams; its handshakes
//! block too, so they keep their time limit themselves.

use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use futures::io::{AsyncRead, AsyncWrite};
use ginkgo_core::tls::rustls::pki_types::ServerName;
use ginkgo_core::tls::rustls::{
    ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection, SideData, StreamOwned,
};
use ginkgo_core::tls::{TlsHandshakes, TlsTransport};

use crate::{Stream, Threads};

/// TLS over blocking sockets (feature `tls`): [`TlsTransport`] over [`Threads`], for the threads
/// backend, with rustls' blocking streams. Its connections are [`TlsStream`]s, which read and
/// write by blocking, as [`Stream`]s do; the services over it take their certificate or trusted
/// roots from `with_tls`. A handshake blocks its connection's thread, at most the server's
/// handshake timeout (or what is left of the client's connect timeout).
///
/// ```
/// use std::io::{Read, Write};
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_core::net::StreamServer;
/// use ginkgo_core::tls::TlsFiles;
/// use ginkgo_core::tls::rustls;
/// use ginkgo_threads::{ThreadManager, ThreadsTls};
///
/// // A certificate for `localhost`, as a test makes one.
/// let folder = tempfile::tempdir()?;
/// let key = rcgen::KeyPair::generate()?;
/// let certificate = rcgen::CertificateParams::new(vec!["localhost".to_string()])?.self_signed(&key)?;
/// std::fs::write(folder.path().join("cert.pem"), certificate.pem())?;
/// std::fs::write(folder.path().join("key.pem"), key.serialize_pem())?;
///
/// let hello = StreamServer::<ThreadsTls>::new("127.0.0.1:0", |mut connection, _ctx| async move {
///     connection.write_all(b"hello over TLS\n")?;
///     Ok(())
/// })
/// .with_tls(TlsFiles::new(folder.path().join("cert.pem"), folder.path().join("key.pem")));
/// let server = ServiceHandle::new(hello).with_manager(ThreadManager::new());
/// ginkgo_threads::block_on(server.start())?;
///
/// // rustls' blocking client, trusting the certificate.
/// let mut roots = rustls::RootCertStore::empty();
/// roots.add(certificate.der().clone())?;
/// let config = rustls::ClientConfig::builder_with_provider(rustls::crypto::ring::default_provider().into())
///     .with_safe_default_protocol_versions()?
///     .with_root_certificates(roots)
///     .with_no_client_auth();
/// let name = rustls::pki_types::ServerName::try_from("localhost")?;
/// let connection = rustls::ClientConnection::new(std::sync::Arc::new(config), name)?;
/// let tcp = std::net::TcpStream::connect(server.service().local_addr().unwrap())?;
/// let mut tls = rustls::StreamOwned::new(connection, tcp);
/// let mut greeting = [0; 15];
/// tls.read_exact(&mut greeting)?;
/// assert_eq!(&greeting, b"hello over TLS\n");
/// ginkgo_threads::block_on(server.stop())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type ThreadsTls = TlsTransport<Threads>;

/// A TLS connection over a blocking socket, a server's or a client's: rustls' blocking stream
/// over a [`Stream`]. It implements `std::io::Read` and `Write`, and `futures::io::AsyncRead`
/// and `AsyncWrite` by blocking; [`poll_close`](AsyncWrite::poll_close) tells the other end
/// (TLS's `close_notify`) and shuts the writing half down.
pub struct TlsStream(Side);

enum Side {
    Server(StreamOwned<ServerConnection, Stream>),
    Client(StreamOwned<ClientConnection, Stream>),
}

/// A server's handshake, which blocks the connection's thread when polled.
pub struct Accepting(Option<(Stream, Arc<ServerConfig>, Duration)>);

impl TlsHandshakes for Threads {
    type TlsStream = TlsStream;
    type Accepting = Accepting;

    fn accept_tls(&self, accepted: Stream, config: Arc<ServerConfig>, timeout: Duration) -> Accepting {
        Accepting(Some((accepted, config, timeout)))
    }

    async fn connect_tls(
        &self,
        mut stream: Stream,
        name: ServerName<'static>,
        config: Arc<ClientConfig>,
        timeout: Duration,
    ) -> io::Result<TlsStream> {
        let mut connection = ClientConnection::new(config, name).map_err(io::Error::other)?;
        shake_hands(&mut connection, &mut stream, timeout)?;
        Ok(TlsStream(Side::Client(StreamOwned::new(connection, stream))))
    }
}

impl Future for Accepting {
    type Output = io::Result<TlsStream>;

    fn poll(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<TlsStream>> {
        let Some((mut stream, config, timeout)) = self.get_mut().0.take() else {
            return Poll::Ready(Err(io::Error::other("the handshake has ended already")));
        };
        Poll::Ready((|| {
            let mut connection = ServerConnection::new(config).map_err(io::Error::other)?;
            shake_hands(&mut connection, &mut stream, timeout)?;
            Ok(TlsStream(Side::Server(StreamOwned::new(connection, stream))))
        })())
    }
}

/// Runs `connection`'s handshake over `stream` to its end, failing with `TimedOut` once
/// `timeout` has passed, however the other end paces its bytes.
fn shake_hands<S: SideData>(
    connection: &mut ConnectionCommon<S>,
    stream: &mut Stream,
    timeout: Duration,
) -> io::Result<()> {
    let mut within = Within { stream, deadline: Instant::now() + timeout, timeout };
    while connection.is_handshaking() {
        connection.complete_io(&mut within)?;
    }
    within.stream.set_timeouts(None)
}

/// A stream whose every read and write must end by `deadline`.
struct Within<'a> {
    stream: &'a mut Stream,
    deadline: Instant,
    timeout: Duration,
}

impl Within<'_> {
    fn bounded<T>(&mut self, io: impl FnOnce(&mut Stream) -> io::Result<T>) -> io::Result<T> {
        let late = || io::Error::new(io::ErrorKind::TimedOut, format!("no handshake within {:?}", self.timeout));
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(late());
        }
        self.stream.set_timeouts(Some(left))?;
        io(self.stream).map_err(|err| match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => late(),
            _ => err,
        })
    }
}

impl Read for Within<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.bounded(|stream| stream.read(buf))
    }
}

impl Write for Within<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bounded(|stream| stream.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.bounded(Write::flush)
    }
}

impl TlsStream {
    /// Tells the other end that nothing more comes, then shuts the writing half down.
    fn close(&mut self) -> io::Result<()> {
        match &mut self.0 {
            Side::Server(tls) => tls.conn.send_close_notify(),
            Side::Client(tls) => tls.conn.send_close_notify(),
        }
        self.flush()?;
        match &self.0 {
            Side::Server(tls) => tls.sock.shutdown_write(),
            Side::Client(tls) => tls.sock.shutdown_write(),
        }
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.0 {
            Side::Server(tls) => tls.read(buf),
            Side::Client(tls) => tls.read(buf),
        }
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            Side::Server(tls) => tls.write(buf),
            Side::Client(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.0 {
            Side::Server(tls) => tls.flush(),
            Side::Client(tls) => tls.flush(),
        }
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().read(buf))
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().flush())
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().close())
    }
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (side, stream) = match &self.0 {
            Side::Server(tls) => ("server", &tls.sock),
            Side::Client(tls) => ("client", &tls.sock),
        };
        f.debug_struct("TlsStream").field("side", &side).field("stream", stream).finish()
    }
}

impl std::fmt::Debug for Accepting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accepting").finish_non_exhaustive()
    }
}
