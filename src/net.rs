//! Stream services that follow the backend: the same handler code runs on tokio, smol,
//! async-std and threads, over TCP or Unix domain sockets; and datagram services, over UDP
//! ([`DatagramServer`], [`DatagramClient`]).
//!
//! [`StreamServer`] and [`StreamClient`] hand each connection to an async handler as a
//! [`Connection`], which implements `futures::io::{AsyncRead, AsyncWrite}`, and tells who is
//! at the other end ([`Connection::peer_addr`]: a [`PeerAddr`]). They are
//! `ginkgo_core::net`'s one implementation of each, over the sockets of whichever backend runs
//! the tree ([`BackendTransport`]), chosen when the service starts: same life cycle, same logs,
//! same `connections` gauge everywhere. A server that cannot listen fails with
//! [`ListenError`], whichever the backend.
//!
//! Addresses are `host:port` for TCP and `unix:/path/to.sock` for a Unix domain socket
//! ([`Address`]), for servers and clients alike. A server makes its socket's file with the
//! permissions of the setting `net.unix_socket_mode` ([`SocketMode`], 0660 by default) or of
//! its builder, replaces a stale one (a socket nobody listens on), never anything else, and
//! removes it at the stop.
//!
//! Servers cap the connections they hold open, and HTTP servers time out idle connections and
//! slow request headers: [`ServerLimits`], set by builder methods or by the settings
//! `net.max_connections` ([`MaxConnections`]), `http.idle_timeout`, `http.header_read_timeout`
//! ([`Timeout`]) and `http.max_concurrent_streams`.
//!
//! On the threads backend a connection's handler runs on a thread of its own and its reads and
//! writes block that thread: the handler works as written, but a blocked read only ends when
//! data comes or when the connection is shut down at `stop_timeout`. Code that needs the
//! runtime's own stream type uses the backend crate's services (`ginkgo_tokio::StreamServer`,
//! …), the same services over that runtime's sockets alone.

mod datagram;
#[cfg(feature = "tls")]
mod tls;
mod transport;

pub use datagram::BackendDatagramSocket;
pub use ginkgo_core::net::{
    Address, ListenError, LocalAddr, MaxConnections, PeerAddr, PeerProcess, ServerLimits, SocketMode, Timeout,
    Transport, UnixPeer,
};
pub use ginkgo_core::net::{DEFAULT_MAX_IN_FLIGHT, MAX_UDP_PAYLOAD};
#[cfg(unix)]
pub use ginkgo_core::net::{activation, handover};
#[cfg(feature = "http")]
pub use transport::BackendHttpIo;
pub use transport::{BackendListener, BackendStream, BackendTransport};

/// A connection, as the handlers of [`StreamServer`] and [`StreamClient`] get it: the backend's
/// stream behind the `futures::io::{AsyncRead, AsyncWrite}` traits, so that `AsyncReadExt`,
/// `AsyncBufReadExt` (through `futures::io::BufReader`) and `AsyncWriteExt` work on it.
/// Closing it (`AsyncWriteExt::close`) shuts the writing half down; dropping it closes the
/// connection.
pub type Connection = ginkgo_core::net::Connection<BackendStream>;

/// A server that runs `handler(connection, ctx)` for each connection, on whichever backend runs
/// the tree: the same service, and the same handler, on tokio, smol, async-std and threads. Its
/// behaviour (start, Unix socket files, connections, limits, stop) is
/// [`ginkgo_core::net::StreamServer`]'s.
///
/// ```
/// use std::time::Duration;
/// use futures::io::AsyncWriteExt;
/// use ginkgo::net::{Connection, StreamServer};
/// use ginkgo::testing::each_backend;
///
/// each_backend(|backend| async move {
///     let hello = StreamServer::new("127.0.0.1:0", |mut connection: Connection, ctx| async move {
///         loop {
///             connection.write_all(b"Hello World\n").await?;
///             ctx.sleep(Duration::from_secs(1)).await?;
///         }
///     });
///     let server = backend.service(hello);
///     server.start().await.unwrap();
///     let address = server.service().local_addr().unwrap();
///     let mut client = std::net::TcpStream::connect(address).unwrap();
///     let mut line = [0; 12];
///     std::io::Read::read_exact(&mut client, &mut line).unwrap();
///     assert_eq!(&line, b"Hello World\n");
///     server.stop().await.unwrap();
/// });
/// ```
pub type StreamServer = ginkgo_core::net::StreamServer<BackendTransport>;

/// A client that keeps a connection open and runs `handler(connection, ctx)` on it, on
/// whichever backend runs the tree. Its behaviour (reconnecting, readiness, stop) is
/// [`ginkgo_core::net::StreamClient`]'s.
///
/// ```
/// use futures::io::AsyncWriteExt;
/// use ginkgo::net::{Connection, PeerAddr, StreamClient};
/// use ginkgo::testing::each_backend;
///
/// each_backend(|backend| async move {
///     let folder = tempfile::tempdir().unwrap();
///     let path = folder.path().join("hello.sock");
///     let server = std::os::unix::net::UnixListener::bind(&path).unwrap();
///     let hello = StreamClient::new(format!("unix:{}", path.display()), |mut connection: Connection, _ctx| async move {
///         let PeerAddr::Unix(peer) = connection.peer_addr() else { panic!("a Unix socket") };
///         connection.write_all(format!("hello {}\n", peer.path().display()).as_bytes()).await?;
///         Ok(())
///     });
///     let client = backend.service(hello);
///     client.start().await.unwrap(); // returns once connected
///     let (mut from_client, _) = server.accept().unwrap();
///     let mut line = String::new();
///     std::io::BufRead::read_line(&mut std::io::BufReader::new(&mut from_client), &mut line).unwrap();
///     assert_eq!(line, format!("hello {}\n", path.display()));
///     client.stop().await.unwrap();
/// });
/// ```
pub type StreamClient = ginkgo_core::net::StreamClient<BackendTransport>;

/// A UDP server that runs `handler(datagram, ctx)` for each datagram, on whichever backend runs
/// the tree. Its behaviour (workers, bounded buffers, too long datagrams, stop) is
/// [`ginkgo_core::net::DatagramServer`]'s.
///
/// ```
/// use ginkgo::net::{Datagram, DatagramServer};
/// use ginkgo::testing::each_backend;
///
/// each_backend(|backend| async move {
///     let echo = DatagramServer::new("127.0.0.1:0", |datagram: Datagram, _ctx| async move {
///         datagram.reply(datagram.data()).await?;
///         Ok(())
///     });
///     let server = backend.service(echo);
///     server.start().await.unwrap();
///     let address = server.service().local_addr().unwrap();
///     let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
///     client.send_to(b"ping", address).unwrap();
///     let mut answer = [0; 16];
///     let (len, from) = client.recv_from(&mut answer).unwrap();
///     assert_eq!((&answer[..len], from), (&b"ping"[..], address));
///     server.stop().await.unwrap();
/// });
/// ```
pub type DatagramServer = ginkgo_core::net::DatagramServer<BackendTransport>;

/// A UDP socket connected to one server, on whichever backend runs the tree: any task sends
/// through it and receives the server's answers. Its behaviour is
/// [`ginkgo_core::net::DatagramClient`]'s.
///
/// ```
/// use ginkgo::net::DatagramClient;
/// use ginkgo::testing::each_backend;
///
/// each_backend(|backend| async move {
///     let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
///     let client = backend.service(DatagramClient::new(server.local_addr().unwrap()));
///     client.start().await.unwrap();
///     client.service().send(b"hits:1|c").await.unwrap();
///     let mut received = [0; 64];
///     let (len, from) = server.recv_from(&mut received).unwrap();
///     assert_eq!((&received[..len], Some(from)), (&b"hits:1|c"[..], client.service().local_addr()));
///     client.stop().await.unwrap();
/// });
/// ```
pub type DatagramClient = ginkgo_core::net::DatagramClient<BackendTransport>;

/// A datagram, as the handlers of a [`DatagramServer`] get it: its bytes, its sender, and
/// [`reply`](ginkgo_core::net::Datagram::reply).
pub type Datagram = ginkgo_core::net::Datagram<BackendTransport>;
