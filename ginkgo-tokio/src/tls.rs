//! `TokioTls`: TLS over tokio's sockets, with tokio-rustls.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures::TryFutureExt;
use futures::future::MapOk;
use ginkgo_core::tls::rustls::pki_types::ServerName;
use ginkgo_core::tls::rustls::{ClientConfig, ServerConfig};
use ginkgo_core::tls::{TlsHandshakes, TlsTransport};
use tokio_rustls::{Accept, TlsAcceptor, TlsConnector, server};

use crate::{Stream, Tokio};

/// TLS over tokio's sockets (feature `tls`): [`TlsTransport`] over [`Tokio`], with tokio-rustls.
/// Its connections are [`TlsStream`]s, which implement tokio's `AsyncRead` and `AsyncWrite`;
/// the services over it take their certificate or trusted roots from `with_tls`.
///
/// ```
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_core::net::{StreamClient, StreamServer};
/// use ginkgo_core::tls::{ClientTls, TlsFiles};
/// use ginkgo_tokio::{TokioManager, TokioTls};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// // A certificate for `localhost`, as a test makes one.
/// let folder = tempfile::tempdir()?;
/// let key = rcgen::KeyPair::generate()?;
/// let certificate = rcgen::CertificateParams::new(vec!["localhost".to_string()])?.self_signed(&key)?;
/// std::fs::write(folder.path().join("cert.pem"), certificate.pem())?;
/// std::fs::write(folder.path().join("key.pem"), key.serialize_pem())?;
/// let files = TlsFiles::new(folder.path().join("cert.pem"), folder.path().join("key.pem"));
///
/// let hello = StreamServer::<TokioTls>::new("127.0.0.1:0", |mut connection, _ctx| async move {
///     connection.write_all(b"hello over TLS\n").await?;
///     connection.shutdown().await?;
///     Ok(())
/// })
/// .with_tls(files);
/// let server = ServiceHandle::new(hello).with_manager(TokioManager::new());
/// ginkgo_tokio::block_on(server.start())?;
/// let port = server.service().local_addr().unwrap().port();
///
/// let (said, heard) = std::sync::mpsc::channel();
/// let trust = ClientTls::trusting_ca_file(folder.path().join("cert.pem"))?;
/// let listen = StreamClient::<TokioTls>::with_transport(
///     TokioTls::default(),
///     move || Some(format!("localhost:{port}")),
///     move |mut connection, _ctx| {
///         let said = said.clone();
///         async move {
///             let mut greeting = String::new();
///             connection.read_to_string(&mut greeting).await?;
///             let _ = said.send(greeting);
///             Ok(())
///         }
///     },
/// )
/// .with_tls(trust);
/// let client = ServiceHandle::new(listen).with_manager(TokioManager::new());
/// ginkgo_tokio::block_on(client.start())?;
/// assert_eq!(heard.recv()?, "hello over TLS\n");
/// ginkgo_tokio::block_on(client.stop())?;
/// ginkgo_tokio::block_on(server.stop())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type TokioTls = TlsTransport<Tokio>;

/// A TLS connection over tokio's sockets, a server's or a client's: tokio-rustls's stream over a
/// [`Stream`].
pub type TlsStream = tokio_rustls::TlsStream<Stream>;

impl TlsHandshakes for Tokio {
    type TlsStream = TlsStream;
    type Accepting = MapOk<Accept<Stream>, fn(server::TlsStream<Stream>) -> TlsStream>;

    fn accept_tls(&self, accepted: Stream, config: Arc<ServerConfig>, _timeout: Duration) -> Self::Accepting {
        TlsAcceptor::from(config).accept(accepted).map_ok(TlsStream::Server as fn(_) -> _)
    }

    async fn connect_tls(
        &self,
        stream: Stream,
        name: ServerName<'static>,
        config: Arc<ClientConfig>,
        _timeout: Duration,
    ) -> io::Result<TlsStream> {
        Ok(TlsStream::Client(TlsConnector::from(config).connect(name, stream).await?))
    }
}

/// tokio-rustls' streams go to hyper through `hyper_util`'s `TokioIo`, as tokio's own do:
/// `ginkgo_core::net::HttpServer<TokioTls>` serves HTTPS.
#[cfg(feature = "http")]
impl ginkgo_core::tls::TlsHttpIo for Tokio {
    type TlsIo = hyper_util::rt::TokioIo<TlsStream>;

    fn tls_http_io(stream: TlsStream) -> Self::TlsIo {
        hyper_util::rt::TokioIo::new(stream)
    }
}
