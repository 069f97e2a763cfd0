//! `TlsEchoServer`: the TLS echo servers compared, and `BenchCertificate`, the certificate they
//! all present.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ginkgo::ServiceHandle;
use ginkgo::backends::TokioManager;
use ginkgo::tls::TlsFiles;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, ServerConfig, crypto};

use super::Running;
use super::handlers::{echo, echo_connection};

/// A self-signed certificate for `localhost`, made for the run (rcgen), as PEM files in a
/// folder of its own: what every TLS echo server presents and the load trusts.
pub struct BenchCertificate {
    folder: tempfile::TempDir,
    der: CertificateDer<'static>,
}

impl BenchCertificate {
    /// A new certificate and its key.
    ///
    /// # Panics
    ///
    /// If the key cannot be made or the files written.
    pub fn new() -> BenchCertificate {
        let key = rcgen::KeyPair::generate().expect("a key pair");
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("the certificate's names");
        let certificate = params.self_signed(&key).expect("a self-signed certificate");
        let folder = tempfile::tempdir().expect("a folder for the certificate");
        std::fs::write(folder.path().join("cert.pem"), certificate.pem()).expect("cert.pem written");
        std::fs::write(folder.path().join("key.pem"), key.serialize_pem()).expect("key.pem written");
        BenchCertificate { folder, der: certificate.der().clone() }
    }

    fn cert(&self) -> PathBuf {
        self.folder.path().join("cert.pem")
    }

    fn key(&self) -> PathBuf {
        self.folder.path().join("key.pem")
    }

    /// The files, as Ginkgo's servers take them.
    pub fn files(&self) -> TlsFiles {
        TlsFiles::new(self.cert(), self.key())
    }

    /// A client configuration trusting this certificate alone (ring, TLS 1.3 and 1.2).
    pub fn client_config(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(self.der.clone()).expect("the certificate as a root");
        let config = ClientConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring's protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }

    /// The server configuration the baseline writes by hand: the PEM files read with
    /// rustls-pki-types, ring, no client authentication.
    fn server_config(&self) -> Arc<ServerConfig> {
        let chain: Vec<_> = CertificateDer::pem_file_iter(self.cert())
            .expect("cert.pem")
            .collect::<Result<_, _>>()
            .expect("the certificates of cert.pem");
        let key = PrivateKeyDer::from_pem_file(self.key()).expect("the key of key.pem");
        let config = ServerConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring's protocol versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("the certificate and its key");
        Arc::new(config)
    }
}

impl Default for BenchCertificate {
    fn default() -> Self {
        BenchCertificate::new()
    }
}

/// A TLS echo server, on 127.0.0.1 with a port of its own, serving [`echo`] on every
/// connection once its handshake is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsEchoServer {
    /// `ginkgo::net::StreamServer` with `with_tls`, on the tokio backend: what the manual's
    /// servers use.
    GinkgoNet,
    /// `ginkgo_tokio::StreamServer<TokioTls>`: the same server over tokio-rustls alone.
    GinkgoTokioTls,
    /// The baseline: a tokio accept loop that spawns, for each connection, tokio-rustls'
    /// handshake and then the handler.
    HandWritten,
}

impl TlsEchoServer {
    /// Every TLS echo server, Ginkgo's first.
    pub const ALL: [TlsEchoServer; 3] =
        [TlsEchoServer::GinkgoNet, TlsEchoServer::GinkgoTokioTls, TlsEchoServer::HandWritten];

    /// How the table names it.
    pub fn label(self) -> &'static str {
        match self {
            TlsEchoServer::GinkgoNet => "ginkgo::net::StreamServer",
            TlsEchoServer::GinkgoTokioTls => "ginkgo_tokio::StreamServer<TokioTls>",
            TlsEchoServer::HandWritten => "hand-written tokio-rustls accept loop",
        }
    }

    /// Starts the server on `runtime`, presenting `certificate`, on a free port of 127.0.0.1.
    ///
    /// # Panics
    ///
    /// If the server cannot listen.
    pub fn start(self, runtime: &Runtime, certificate: &BenchCertificate) -> Running {
        let manager = || TokioManager::with_handle(runtime.handle().clone());
        match self {
            TlsEchoServer::GinkgoNet => {
                let server = ginkgo::net::StreamServer::new("127.0.0.1:0", |connection, _ctx| async move {
                    Ok(echo_connection(connection).await?)
                })
                .with_tls(certificate.files());
                let server = ServiceHandle::new(server).with_manager(manager());
                runtime.block_on(server.start()).expect("the TLS echo server starts");
                let address = server.service().local_addr().expect("the TLS echo server listens");
                Running::service(address, server.context().clone())
            }
            TlsEchoServer::GinkgoTokioTls => {
                let server = ginkgo_core::net::StreamServer::<ginkgo_tokio::TokioTls>::new(
                    "127.0.0.1:0",
                    |mut connection, _ctx| async move { Ok(echo(&mut *connection).await?) },
                )
                .with_tls(certificate.files());
                let server = ServiceHandle::new(server).with_manager(manager());
                runtime.block_on(server.start()).expect("the TLS echo server starts");
                let address = server.service().local_addr().expect("the TLS echo server listens");
                Running::service(address, server.context().clone())
            }
            TlsEchoServer::HandWritten => {
                let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).expect("the TLS echo server listens");
                let address: SocketAddr = listener.local_addr().expect("the TLS echo server's address");
                let acceptor = TlsAcceptor::from(certificate.server_config());
                Running::task(address, runtime.spawn(accept_loop(listener, acceptor)))
            }
        }
    }
}

/// The baseline's server: accepts connections for ever and spawns, for each, the handshake
/// then the handler. A failed accept is reported and tried again a little later.
async fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        let _ = echo(tls).await;
                    }
                });
            }
            Err(err) => {
                eprintln!("accepting a connection failed: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}
