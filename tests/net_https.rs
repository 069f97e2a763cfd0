//! `HttpServer` over TLS, on tokio, smol and async-std: `ginkgo::http::HttpServer` with a
//! certificate, and the servers over the backends' own TLS transports (`ginkgo_tokio::TokioTls`,
//! `ginkgo_asyncstd::AsyncIoTls`). Real HTTPS requests over 127.0.0.1: a futures-rustls client
//! that checks the certificate presented and the protocol agreed (ALPN), HTTP/1.1 and HTTP/2.
#![cfg(all(feature = "http", feature = "tls"))]

mod http_support;
// Shared with ginkgo-core's TLS tests, some of whose helpers these tests do not use.
#[allow(dead_code)]
#[path = "../ginkgo-core/tests/tls/pki.rs"]
mod pki;

use std::net::SocketAddr;
use std::sync::Arc;

use async_net::TcpStream;
use bytes::Bytes;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::TlsConnector;
use futures_rustls::client::TlsStream;
use ginkgo::http::HttpServer;
use ginkgo::testing::{each_backend, until, within};
use ginkgo::tls::{ClientTls, TlsFiles};
use ginkgo::{Backend, ServiceHandle};
use ginkgo_core::net::backend::HyperIo;
use http_body_util::{BodyExt, Empty};
use http_support::{Client, Endpoint, Gates, Spawner, each_async_backend, spawn};
use pki::{Ca, Leaf, write};
use rustls::pki_types::{CertificateDer, ServerName};

/// A CA, a certificate it signed for `localhost` and 127.0.0.1, written as `cert.pem`,
/// `key.pem` and `ca.pem` in a folder of their own.
struct Pki {
    folder: tempfile::TempDir,
    leaf: Leaf,
    files: TlsFiles,
}

impl Pki {
    fn new(ca_name: &str) -> Pki {
        let folder = tempfile::tempdir().unwrap();
        let ca = Ca::new(ca_name);
        let leaf = ca.sign(pki::server(&["localhost", "127.0.0.1"]));
        let files = TlsFiles::new(
            write(folder.path(), "cert.pem", &leaf.cert_pem),
            write(folder.path(), "key.pem", &leaf.key_pem),
        );
        write(folder.path(), "ca.pem", &ca.pem);
        Pki { folder, leaf, files }
    }

    fn trust(&self) -> ClientTls {
        ClientTls::trusting_ca_file(self.folder.path().join("ca.pem")).unwrap()
    }
}

/// A TLS connection to `address` trusting `trust`, offering the protocols `alpn`, verifying the
/// server by the name `localhost`.
async fn tls_connect(
    backend: Backend,
    address: SocketAddr,
    trust: &ClientTls,
    alpn: &[&str],
) -> std::io::Result<TlsStream<TcpStream>> {
    let mut config = (*trust.client_config()).clone();
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.as_bytes().to_vec()).collect();
    let Client::Tcp(tcp) = http_support::connect(backend, &Endpoint::Tcp(address)).await else {
        unreachable!("a TCP endpoint gives a TCP connection")
    };
    let name = ServerName::try_from("localhost").unwrap();
    within(backend, "TLS handshake", TlsConnector::from(Arc::new(config)).connect(name, tcp)).await
}

fn presented(tls: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    tls.get_ref().1.peer_certificates().unwrap()[0].clone()
}

fn agreed(tls: &TlsStream<TcpStream>) -> Option<&[u8]> {
    tls.get_ref().1.alpn_protocol()
}

/// `GET /` over HTTP/1.1, the connection closed after: the whole response.
async fn get_over_http1(backend: Backend, mut tls: TlsStream<TcpStream>) -> String {
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    within(backend, "HTTP/1.1 response", tls.read_to_string(&mut response)).await.unwrap();
    response
}

/// `GET /` over HTTP/2: the status and the body.
async fn get_over_http2(backend: Backend, tls: TlsStream<TcpStream>) -> (u16, Bytes) {
    let handshake = hyper::client::conn::http2::handshake(Spawner(backend.manager()), HyperIo::new(tls));
    let (mut h2, connection) = within(backend, "h2 handshake", handshake).await.unwrap();
    let _connection = spawn(backend, connection);
    let request = http::Request::get("https://localhost/").body(Empty::<Bytes>::new()).unwrap();
    let answer = within(backend, "h2 request", h2.send_request(request)).await.unwrap();
    assert_eq!(answer.version(), http::Version::HTTP_2);
    let status = answer.status().as_u16();
    (status, answer.into_body().collect().await.unwrap().to_bytes())
}

/// Checks a started HTTPS server at `address` presenting `pki`'s certificate: HTTP/1.1 and
/// HTTP/2 by ALPN, and a client of another CA refused. (Boxed: the clients' futures, in a debug
/// build, would overflow the test thread's stack.)
async fn check_https(backend: Backend, address: SocketAddr, pki: &Pki) {
    Box::pin(check_https_unboxed(backend, address, pki)).await
}

async fn check_https_unboxed(backend: Backend, address: SocketAddr, pki: &Pki) {
    let h1 = tls_connect(backend, address, &pki.trust(), &["http/1.1"]).await.unwrap();
    assert_eq!(presented(&h1), pki.leaf.der);
    assert_eq!(agreed(&h1), Some(&b"http/1.1"[..]));
    let response = get_over_http1(backend, h1).await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nhello"), "{response}");

    let h2 = tls_connect(backend, address, &pki.trust(), &["h2", "http/1.1"]).await.unwrap();
    assert_eq!(presented(&h2), pki.leaf.der);
    assert_eq!(agreed(&h2), Some(&b"h2"[..]));
    assert_eq!(get_over_http2(backend, h2).await, (200, Bytes::from("hello")));

    let stranger = Pki::new("Stranger CA");
    let refused = tls_connect(backend, address, &stranger.trust(), &["http/1.1"]).await.unwrap_err();
    assert!(refused.to_string().contains("invalid peer certificate: UnknownIssuer"), "{refused}");
}

#[test]
fn an_https_server_presents_its_certificate_over_http1_and_http2() {
    each_async_backend(|backend| async move {
        let pki = Pki::new("Test CA");
        let app = http_support::app(Arc::new(Gates::default()));
        let server = backend.service(HttpServer::new("127.0.0.1:0", app).with_tls(pki.files.clone()));
        within(backend, "start", server.start()).await.unwrap();
        let address = server.service().local_addr().unwrap();
        check_https(backend, address, &pki).await;

        // Plain HTTP is a failed handshake, which closes the connection.
        let mut plain = http_support::connect(backend, &Endpoint::Tcp(address)).await;
        plain.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
        let mut answer = Vec::new();
        let _end_or_reset = within(backend, "close", plain.read_to_end(&mut answer)).await;
        assert!(!answer.starts_with(b"HTTP/"), "{:?}", String::from_utf8_lossy(&answer));
        until(backend, "the failures counted", || server.gauge("handshakes_failed").get() == 2).await;
        within(backend, "stop", server.stop()).await.unwrap();
    });
}

#[test]
fn the_backends_tls_transports_serve_https() {
    each_backend(|backend| async move {
        let pki = Pki::new("Test CA");
        let app = http_support::app(Arc::new(Gates::default()));
        let address = match backend.name() {
            "tokio" => {
                let server = ginkgo_core::net::HttpServer::<ginkgo_tokio::TokioTls>::new("127.0.0.1:0", app);
                let server = ServiceHandle::new(server.with_tls(pki.files.clone())).with_manager(backend.manager());
                within(backend, "start", server.start()).await.unwrap();
                let address = server.service().local_addr().unwrap();
                check_https(backend, address, &pki).await;
                within(backend, "stop", server.stop()).await.unwrap();
                address
            }
            "smol" | "async-std" => {
                let server = ginkgo_core::net::HttpServer::<ginkgo_asyncstd::AsyncIoTls>::new("127.0.0.1:0", app);
                let server = ServiceHandle::new(server.with_tls(pki.files.clone())).with_manager(backend.manager());
                within(backend, "start", server.start()).await.unwrap();
                let address = server.service().local_addr().unwrap();
                check_https(backend, address, &pki).await;
                within(backend, "stop", server.stop()).await.unwrap();
                address
            }
            _ => return,
        };
        assert!(TcpStream::connect(address).await.is_err(), "nothing listens after the stop");
    });
}
