//! The stream services over async-io's sockets, for smol and async-std.

use crate::AsyncIo;

/// A server on the sockets smol and async-std share ([`ginkgo_core::net::StreamServer`] over
/// [`AsyncIo`]): its handlers get a `Connection` that implements `futures::io::AsyncRead` and
/// `AsyncWrite`.
///
/// ```
/// use std::time::Duration;
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use ginkgo_asyncstd::{SmolManager, StreamServer};
/// use ginkgo_core::ServiceHandle;
///
/// let hello = StreamServer::new("127.0.0.1:0", |mut connection, ctx| async move {
///     loop {
///         connection.write_all(b"Hello World\n").await?;
///         ctx.sleep(Duration::from_secs(1)).await?;
///     }
/// });
/// let server = ServiceHandle::new(hello).with_manager(SmolManager::new());
/// ginkgo_asyncstd::block_on_smol(async {
///     server.start().await?;
///     let address = server.service().local_addr().expect("listening");
///     let mut client = smol::net::TcpStream::connect(address).await?;
///     let mut line = [0; 12];
///     client.read_exact(&mut line).await?;
///     assert_eq!(&line, b"Hello World\n");
///     server.stop().await?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type StreamServer = ginkgo_core::net::StreamServer<AsyncIo>;

/// A client on the sockets smol and async-std share that stays connected
/// ([`ginkgo_core::net::StreamClient`] over [`AsyncIo`]).
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use ginkgo_asyncstd::{AsyncStdManager, StreamClient};
/// use ginkgo_core::ServiceHandle;
///
/// ginkgo_asyncstd::block_on_async_std(async {
///     let server = async_std::net::TcpListener::bind("127.0.0.1:0").await?;
///     let address = server.local_addr()?;
///     let hello = StreamClient::new(address, |mut connection, _ctx| async move {
///         connection.write_all(b"hello\n").await?;
///         Ok(())
///     });
///     let client = ServiceHandle::new(hello).with_manager(AsyncStdManager::new());
///     client.start().await?; // returns once connected
///     let (mut from_client, _) = server.accept().await?;
///     let mut said = String::new();
///     from_client.read_to_string(&mut said).await?;
///     assert_eq!(said, "hello\n");
///     client.stop().await?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type StreamClient = ginkgo_core::net::StreamClient<AsyncIo>;
