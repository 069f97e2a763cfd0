//! `AsyncIoTls`: TLS over the sockets smol and async-std share, with futures-rustls.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures::TryFutureExt;
use futures::future::MapOk;
use futures_rustls::{Accept, TlsAcceptor, TlsConnector, server};
use ginkgo_core::tls::rustls::pki_types::ServerName;
use ginkgo_core::tls::rustls::{ClientConfig, ServerConfig};
use ginkgo_core::tls::{TlsHandshakes, TlsTransport};

use crate::{AsyncIo, Stream};

/// TLS over async-io's sockets, for smol and async-std (feature `tls`): [`TlsTransport`] over
/// [`AsyncIo`], with futures-rustls. Its connections are [`TlsStream`]s, which implement
/// `futures::io::AsyncRead` and `AsyncWrite`; the services over it take their certificate or
/// trusted roots from `with_tls`.
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use ginkgo_asyncstd::{AsyncIoTls, SmolManager};
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_core::net::StreamServer;
/// use ginkgo_core::tls::TlsFiles;
///
/// // A certificate for `localhost`, as a test makes one.
/// let folder = tempfile::tempdir()?;
/// let key = rcgen::KeyPair::generate()?;
/// let certificate = rcgen::CertificateParams::new(vec!["localhost".to_string()])?.self_signed(&key)?;
/// std::fs::write(folder.path().join("cert.pem"), certificate.pem())?;
/// std::fs::write(folder.path().join("key.pem"), key.serialize_pem())?;
///
/// let hello = StreamServer::<AsyncIoTls>::new("127.0.0.1:0", |mut connection, _ctx| async move {
///     connection.write_all(b"hello over TLS\n").await?;
///     connection.close().await?;
///     Ok(())
/// })
/// .with_tls(TlsFiles::new(folder.path().join("cert.pem"), folder.path().join("key.pem")));
/// let server = ServiceHandle::new(hello).with_manager(SmolManager::new());
/// ginkgo_asyncstd::block_on_smol(async {
///     server.start().await?;
///     let address = server.service().local_addr().unwrap();
///
///     // A futures-rustls client trusting the certificate.
///     let mut roots = rustls::RootCertStore::empty();
///     roots.add(certificate.der().clone())?;
///     let config = rustls::ClientConfig::builder_with_provider(rustls::crypto::ring::default_provider().into())
///         .with_safe_default_protocol_versions()?
///         .with_root_certificates(roots)
///         .with_no_client_auth();
///     let tcp = smol::net::TcpStream::connect(address).await?;
///     let name = rustls::pki_types::ServerName::try_from("localhost")?;
///     let mut tls = futures_rustls::TlsConnector::from(std::sync::Arc::new(config)).connect(name, tcp).await?;
///     let mut greeting = String::new();
///     tls.read_to_string(&mut greeting).await?;
///     assert_eq!(greeting, "hello over TLS\n");
///     server.stop().await?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type AsyncIoTls = TlsTransport<AsyncIo>;

/// A TLS connection over async-io's sockets, a server's or a client's: futures-rustls's stream
/// over a [`Stream`].
pub type TlsStream = futures_rustls::TlsStream<Stream>;

impl TlsHandshakes for AsyncIo {
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

/// futures-rustls' streams go to hyper through [`HyperIo`](ginkgo_core::net::backend::HyperIo),
/// as async-io's own do: `ginkgo_core::net::HttpServer<AsyncIoTls>` serves HTTPS.
#[cfg(feature = "http")]
impl ginkgo_core::tls::TlsHttpIo for AsyncIo {
    type TlsIo = ginkgo_core::net::backend::HyperIo<TlsStream>;

    fn tls_http_io(stream: TlsStream) -> Self::TlsIo {
        ginkgo_core::net::backend::HyperIo::new(stream)
    }
}
