//! The quickstart over TLS: its settings `quickstart.tls_cert`, `quickstart.tls_key` and
//! `quickstart.client_tls_ca`. The `ginkgo` binary serving `quickstart.AppServer` over HTTPS on
//! tokio, smol and async-std, checked by rustls' client (the certificate presented, the page)
//! and by `curl --cacert` when curl is installed; a certificate file that cannot be used, exit
//! 2; and the TCP server and client talking TLS on every backend.
//!
//! The certificate is made by the test (rcgen): self-signed for `localhost` and 127.0.0.1, so
//! that `cert.pem` is also what a client trusts, as with `curl --cacert cert.pem`.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

use ginkgo::Config;
use ginkgo::testing::{each_backend, until, within};
use ginkgo_examples::quickstart::{HelloWorldClient, HelloWorldServer};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use support::{DEADLINE, Home, Running, SIGTERM, finish, ginkgo};

/// A self-signed certificate for `localhost` and 127.0.0.1, as `cert.pem` and `key.pem` in
/// `home`.
struct Certificate {
    cert: PathBuf,
    key: PathBuf,
    der: CertificateDer<'static>,
}

impl Certificate {
    fn new(home: &Home) -> Certificate {
        let key = rcgen::KeyPair::generate().unwrap();
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let certificate = rcgen::CertificateParams::new(names).unwrap().self_signed(&key).unwrap();
        Certificate {
            cert: home.write("cert.pem", &certificate.pem()),
            key: home.write("key.pem", &key.serialize_pem()),
            der: certificate.der().clone(),
        }
    }

    /// The settings that make the quickstart's servers serve it.
    fn settings(&self) -> [String; 4] {
        [
            "--set".to_string(),
            format!("quickstart.tls_cert={}", self.cert.display()),
            "--set".to_string(),
            format!("quickstart.tls_key={}", self.key.display()),
        ]
    }

    /// rustls' client configuration trusting this certificate alone, offering HTTP/1.1.
    fn trusted(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(self.der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

/// `GET /` over HTTPS to `address` (`127.0.0.1:PORT`), verifying the server as `localhost`:
/// the certificate it presented and the whole response.
fn https_get(address: &str, certificate: &Certificate) -> (CertificateDer<'static>, String) {
    let tcp = TcpStream::connect(address).unwrap();
    tcp.set_read_timeout(Some(DEADLINE)).unwrap();
    let connection = ClientConnection::new(certificate.trusted(), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut tls = StreamOwned::new(connection, tcp);
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    // The server may close without TLS's close_notify once it has answered: what came counts.
    let _ = tls.read_to_string(&mut response);
    (tls.conn.peer_certificates().unwrap()[0].clone(), response)
}

/// The address a server logged it listens on: `…: listening on 127.0.0.1:PORT`.
fn listening_address(run: &Running, service: &str) -> String {
    let marker = format!("{service}: listening on ");
    let at = run.stderr.wait_contains(&marker);
    let line = &run.stderr.all()[at];
    line[line.find(&marker).unwrap() + marker.len()..].trim().to_string()
}

/// curl, if it is installed.
fn curl() -> Option<Command> {
    let found = Command::new("curl").arg("--version").output().is_ok_and(|output| output.status.success());
    found.then(|| Command::new("curl"))
}

#[test]
fn app_server_answers_https_with_the_certificate_of_the_settings_on_each_async_backend() {
    for backend in ["tokio", "smol", "async-std"] {
        let home = Home::new();
        let certificate = Certificate::new(&home);
        let mut command = home.command(ginkgo());
        command.args(certificate.settings()).args([
            "--set",
            &format!("async={backend}"),
            "--set",
            "quickstart.web_address=127.0.0.1:0",
            "quickstart.AppServer",
        ]);
        let mut app = Running::start(command);
        let address = listening_address(&app, "AppServer/HttpServer");

        let (presented, response) = https_get(&address, &certificate);
        assert_eq!(presented, certificate.der, "on {backend}");
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "on {backend}: {response}");
        assert!(response.ends_with("\r\n\r\nHello World!"), "on {backend}: {response}");

        match curl() {
            Some(mut curl) => {
                let port = address.rsplit(':').next().unwrap();
                let url = format!("https://localhost:{port}/");
                let resolve = format!("localhost:{port}:127.0.0.1");
                curl.args(["--silent", "--show-error", "--max-time", "20", "--cacert"]).arg(&certificate.cert).args([
                    "--resolve",
                    &resolve,
                    &url,
                ]);
                let answer = curl.output().unwrap();
                let said = String::from_utf8_lossy(&answer.stderr);
                assert!(answer.status.success(), "curl on {backend}: {said}");
                assert_eq!(String::from_utf8_lossy(&answer.stdout), "Hello World!", "curl on {backend}");
            }
            None => println!("curl is not installed: the HTTPS answer is checked by rustls' client alone"),
        }

        app.signal(SIGTERM);
        assert_eq!(app.exit_code(), 0, "on {backend}: {}", app.stderr.all().join("\n"));
    }
}

#[test]
fn a_certificate_file_that_cannot_be_used_is_a_configuration_error_naming_it() {
    let home = Home::new();
    let certificate = Certificate::new(&home);
    let missing = home.file("missing.pem");
    let mut command = home.command(ginkgo());
    command.args([
        "--set",
        &format!("quickstart.tls_cert={}", missing.display()),
        "--set",
        &format!("quickstart.tls_key={}", certificate.key.display()),
        "--set",
        "quickstart.web_address=127.0.0.1:0",
        "quickstart.AppServer",
    ]);
    let done = finish(command);
    assert_eq!(done.code(), 2, "{}", done.stderr);
    let named = format!("certificate file {}: no such file", missing.display());
    assert!(done.stderr.contains(&named), "{}", done.stderr);
    assert!(!done.stderr.contains("listening on"), "nothing listened: {}", done.stderr);
    assert!(!home.entries().iter().any(|entry| entry.ends_with(".pid")), "{:?}", home.entries());
}

/// What a client printed.
#[derive(Clone, Default)]
struct Printed(Arc<Mutex<Vec<u8>>>);

impl Write for Printed {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn hello_world_client_and_server_talk_tls_on_every_backend() {
    each_backend(|backend| async move {
        let home = Home::new();
        let certificate = Certificate::new(&home);
        let config = Config::builder()
            .env(false)
            .set("quickstart.tls_cert", certificate.cert.display().to_string())
            .set("quickstart.tls_key", certificate.key.display().to_string())
            .set("quickstart.client_tls_ca", certificate.cert.display().to_string())
            .load()
            .unwrap();
        let server =
            HelloWorldServer::with_address("127.0.0.1:0").with_config(config.clone()).with_manager(backend.manager());
        within(backend, "start server", server.start()).await.unwrap();
        let address = server.service().local_addr().unwrap();

        // The server speaks TLS only: rustls' client gets its greeting, with the certificate.
        let tcp = TcpStream::connect(address).unwrap();
        tcp.set_read_timeout(Some(DEADLINE)).unwrap();
        let connection =
            ClientConnection::new(certificate.trusted(), ServerName::try_from("localhost").unwrap()).unwrap();
        let mut tls = BufReader::new(StreamOwned::new(connection, tcp));
        let mut line = String::new();
        tls.read_line(&mut line).unwrap();
        assert_eq!(line, "Hello World\n");
        assert_eq!(tls.get_ref().conn.peer_certificates().unwrap()[0], certificate.der);
        drop(tls);

        // The client trusts the CA of `quickstart.client_tls_ca`, verifying `localhost`.
        let printed = Printed::default();
        let client = HelloWorldClient::with_output(format!("localhost:{}", address.port()), printed.clone());
        let client = client.with_config(config).with_manager(backend.manager());
        within(backend, "start client", client.start()).await.unwrap();
        let text = || String::from_utf8_lossy(&printed.0.lock().unwrap()).into_owned();
        until(backend, "a line over TLS", || text().starts_with("Hello World\n")).await;
        within(backend, "stop client", client.stop()).await.unwrap();
        within(backend, "stop server", server.stop()).await.unwrap();
    });
}
