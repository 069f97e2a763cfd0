//! The stream services over tokio's sockets.

use crate::Tokio;

/// A server on tokio's sockets ([`ginkgo_core::net::StreamServer`] over [`Tokio`]): its
/// handlers get a `Connection` of a tokio [`Stream`](crate::Stream), which dereferences to it,
/// so tokio's `AsyncReadExt` and `AsyncWriteExt` work on the connection.
///
/// Runs on the tokio backend only (its start fails with
/// [`WrongBackend`](ginkgo_core::net::backend::WrongBackend) elsewhere);
/// `ginkgo::net::StreamServer` follows whichever backend runs the tree.
///
/// ```
/// use std::time::Duration;
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_tokio::{StreamServer, TokioManager};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// let hello = StreamServer::new("127.0.0.1:0", |mut connection, ctx| async move {
///     loop {
///         connection.write_all(b"Hello World\n").await?;
///         ctx.sleep(Duration::from_secs(1)).await?;
///     }
/// });
/// let server = ServiceHandle::new(hello).with_manager(TokioManager::new());
/// ginkgo_tokio::block_on(async {
///     server.start().await?;
///     let address = server.service().local_addr().expect("listening");
///     let mut client = tokio::net::TcpStream::connect(address).await?;
///     let mut line = [0; 12];
///     client.read_exact(&mut line).await?;
///     assert_eq!(&line, b"Hello World\n");
///     server.stop().await?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type StreamServer = ginkgo_core::net::StreamServer<Tokio>;

/// A client on tokio's sockets that stays connected ([`ginkgo_core::net::StreamClient`] over
/// [`Tokio`]): its handler gets a `Connection` of a tokio [`Stream`](crate::Stream).
///
/// Runs on the tokio backend only (its start fails with
/// [`WrongBackend`](ginkgo_core::net::backend::WrongBackend) elsewhere);
/// `ginkgo::net::StreamClient` follows whichever backend runs the tree.
///
/// ```
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_tokio::{StreamClient, TokioManager};
/// use tokio::io::AsyncWriteExt;
///
/// ginkgo_tokio::block_on(async {
///     let server = tokio::net::UnixListener::bind(std::env::temp_dir().join(format!("hello-{}.sock", std::process::id())))?;
///     let path = server.local_addr()?.as_pathname().unwrap().to_path_buf();
///     let hello = StreamClient::new(format!("unix:{}", path.display()), |mut connection, _ctx| async move {
///         connection.write_all(b"hello\n").await?;
///         Ok(())
///     });
///     let client = ServiceHandle::new(hello).with_manager(TokioManager::new());
///     client.start().await?; // returns once connected
///     let (mut from_client, _) = server.accept().await?;
///     let mut said = String::new();
///     tokio::io::AsyncReadExt::read_to_string(&mut from_client, &mut said).await?;
///     assert_eq!(said, "hello\n");
///     client.stop().await?;
///     std::fs::remove_file(path)?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type StreamClient = ginkgo_core::net::StreamClient<Tokio>;
