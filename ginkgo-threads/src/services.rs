//! The stream services over the standard library's blocking sockets.

use crate::Threads;

/// A server on blocking sockets ([`ginkgo_core::net::StreamServer`] over [`Threads`]), for the
/// threads backend: each connection's handler runs on a thread of its own, and its connection
/// reads and writes by blocking, through `std::io::{Read, Write}` as well as `futures::io`'s
/// traits. A handler is an `async` block all the same, so that it can wait on `ctx` (its
/// sleeps end at the stop); plain blocking code runs in it as written.
///
/// On the threads backend only (its start fails with
/// [`WrongBackend`](ginkgo_core::net::backend::WrongBackend) elsewhere). What blocking changes
/// at the stop is in [`Threads`].
///
/// ```
/// use std::io::{Read, Write};
/// use std::time::Duration;
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_threads::{StreamServer, ThreadManager};
///
/// let hello = StreamServer::new("127.0.0.1:0", |mut connection, ctx| async move {
///     loop {
///         connection.write_all(b"Hello World\n")?;
///         ctx.sleep(Duration::from_secs(1)).await?;
///     }
/// });
/// let server = ServiceHandle::new(hello).with_manager(ThreadManager::new());
/// ginkgo_threads::block_on(server.start())?;
/// let mut client = std::net::TcpStream::connect(server.service().local_addr().unwrap())?;
/// let mut line = [0; 12];
/// client.read_exact(&mut line)?;
/// assert_eq!(&line, b"Hello World\n");
/// ginkgo_threads::block_on(server.stop())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type StreamServer = ginkgo_core::net::StreamServer<Threads>;

/// A client on blocking sockets that stays connected ([`ginkgo_core::net::StreamClient`] over
/// [`Threads`]), for the threads backend: its handler runs on the client's own thread and its
/// connection blocks; at `stop_timeout` the connection is shut down, so that a handler blocked
/// reading or writing returns.
///
/// ```
/// use std::io::{Read, Write};
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_threads::{StreamClient, ThreadManager};
///
/// let folder = tempfile::tempdir()?;
/// let path = folder.path().join("hello.sock");
/// let server = std::os::unix::net::UnixListener::bind(&path)?;
/// let hello = StreamClient::new(format!("unix:{}", path.display()), |mut connection, _ctx| async move {
///     connection.write_all(b"hello\n")?;
///     Ok(())
/// });
/// let client = ServiceHandle::new(hello).with_manager(ThreadManager::new());
/// ginkgo_threads::block_on(client.start())?; // returns once connected
/// let (mut from_client, _) = server.accept()?;
/// let mut said = String::new();
/// from_client.read_to_string(&mut said)?;
/// assert_eq!(said, "hello\n");
/// ginkgo_threads::block_on(client.stop())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type StreamClient = ginkgo_core::net::StreamClient<Threads>;
