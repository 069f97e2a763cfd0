//! `ginkgo::net::{StreamServer, StreamClient}` over TLS, on every backend: the same handlers
//! and life cycle as over TCP, certificates from files or settings, verified by clients, read
//! again on reload, a deadline on handshakes, Unix sockets, the cap on connections.
//!
//! The tests talk to the servers with rustls' blocking client from the test's own thread, and
//! to each other with Ginkgo's client. Certificates are made by the test (ginkgo-core's test
//! PKI); the log capture, the named roots and the greeting server are the limits tests'.

mod limits_support;
// Shared with ginkgo-core's TLS tests, some of whose helpers these tests do not use.
#[allow(dead_code)]
#[path = "../ginkgo-core/tests/tls/pki.rs"]
mod pki;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use ginkgo::config::ConfigError;
use ginkgo::net::{StreamClient, StreamServer};
use ginkgo::testing::{DEADLINE, each_backend, until, within};
use ginkgo::tls::{ClientTls, TlsFiles};
use ginkgo::{Backend, Config, ServiceHandle, State, setting};
use limits_support::{Handlers, Named, Started, capture_log, greeter, greeter_at, line_client, logged, start};
use pki::{Ca, Leaf, write};
use rustls::client::Resumption;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConnection, StreamOwned};

setting!(static CERT: Option<PathBuf> {
    name: "tls_test.cert",
    default: None,
    help: "The test server's certificate chain",
});

setting!(static KEY: Option<PathBuf> {
    name: "tls_test.key",
    default: None,
    help: "The test server's private key",
});

setting!(static CA: Option<PathBuf> {
    name: "tls_test.ca",
    default: None,
    help: "What the test client trusts",
});

/// A test's certificates: a CA, a server certificate it signed for `localhost` and 127.0.0.1,
/// written as `cert.pem`, `key.pem` and `ca.pem` in a folder of their own.
struct Pki {
    folder: tempfile::TempDir,
    ca: Ca,
    leaf: Leaf,
    files: TlsFiles,
}

impl Pki {
    fn new() -> Pki {
        Pki::of_ca("Test CA")
    }

    /// The same, with a CA called `ca_name`.
    fn of_ca(ca_name: &str) -> Pki {
        let folder = tempfile::tempdir().unwrap();
        let ca = Ca::new(ca_name);
        let leaf = ca.sign(pki::server(&["localhost", "127.0.0.1"]));
        let files = TlsFiles::new(
            write(folder.path(), "cert.pem", &leaf.cert_pem),
            write(folder.path(), "key.pem", &leaf.key_pem),
        );
        write(folder.path(), "ca.pem", &ca.pem);
        Pki { folder, ca, leaf, files }
    }

    /// Another certificate for the same names, signed by the same CA.
    fn another(&self) -> Leaf {
        self.ca.sign(pki::server(&["localhost", "127.0.0.1"]))
    }

    /// Puts `leaf` in the server's files.
    fn replace_with(&self, leaf: &Leaf) {
        write(self.folder.path(), "cert.pem", &leaf.cert_pem);
        write(self.folder.path(), "key.pem", &leaf.key_pem);
    }

    /// A client's trust in this CA.
    fn trust(&self) -> ClientTls {
        ClientTls::trusting_ca_file(self.folder.path().join("ca.pem")).unwrap()
    }
}

/// A TLS connection of rustls' blocking client, its handshake done.
type Tls<S> = BufReader<StreamOwned<ClientConnection, S>>;

/// Shakes hands over `stream` as a client trusting `trust`, verifying the server by `name`; a
/// full handshake each time (no session resumed), so that the server presents its certificate.
fn shake_hands<S: Read + Write>(mut stream: S, trust: &ClientTls, name: &str) -> std::io::Result<Tls<S>> {
    let mut config = (*trust.client_config()).clone();
    config.resumption = Resumption::disabled();
    let name = ServerName::try_from(name.to_string()).unwrap();
    let mut connection = ClientConnection::new(Arc::new(config), name).unwrap();
    while connection.is_handshaking() {
        connection.complete_io(&mut stream)?;
    }
    Ok(BufReader::new(StreamOwned::new(connection, stream)))
}

/// A TLS connection to `address` on 127.0.0.1, verified by that address.
fn connect(address: SocketAddr, trust: &ClientTls) -> Tls<TcpStream> {
    let tcp = TcpStream::connect(address).unwrap();
    tcp.set_read_timeout(Some(DEADLINE)).unwrap();
    shake_hands(tcp, trust, "127.0.0.1").expect("the handshake")
}

/// The first bytes the server at `address` answers a client's hello with: a TLS record header
/// (content type, version, length).
fn answer_to_a_hello(address: SocketAddr, trust: &ClientTls) -> [u8; 5] {
    let mut tcp = TcpStream::connect(address).unwrap();
    tcp.set_read_timeout(Some(DEADLINE)).unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut hello = ClientConnection::new(trust.client_config(), name).unwrap();
    while hello.wants_write() {
        hello.write_tls(&mut tcp).unwrap();
    }
    let mut header = [0; 5];
    tcp.read_exact(&mut header).unwrap();
    header
}

/// The certificate the server presented.
fn presented<S: Read + Write>(tls: &Tls<S>) -> CertificateDer<'static> {
    tls.get_ref().conn.peer_certificates().unwrap()[0].clone()
}

fn read_line<S: Read + Write>(tls: &mut Tls<S>) -> String {
    let mut line = String::new();
    tls.read_line(&mut line).expect("a line");
    line
}

/// Sends `line` and returns the server's answer.
fn ask<S: Read + Write>(tls: &mut Tls<S>, line: &str) -> String {
    tls.get_mut().write_all(line.as_bytes()).unwrap();
    read_line(tls)
}

/// The greeting server of the limits tests, over TLS with `pki`'s certificate.
fn tls_greeter(handlers: &Handlers, pki: &Pki) -> StreamServer {
    greeter(handlers).with_tls(pki.files.clone()).with_stop_timeout(Duration::from_millis(200))
}

/// Starts `client` on `backend` under a root called `root`, ready at once (it may never
/// connect); its handle, and its path.
async fn start_client(
    backend: Backend,
    root: &str,
    client: StreamClient,
) -> (ServiceHandle<Named>, ServiceHandle<StreamClient>, String) {
    let root: &'static str = root.to_string().leak();
    let mut child = None;
    let app = backend.service(ServiceHandle::build(|app| {
        child = Some(app.add_service(client.ready_when_connected(false)));
        Named(root)
    }));
    within(backend, "client start", app.start()).await.unwrap();
    (app, child.unwrap(), format!("{root}/StreamClient"))
}

#[test]
fn a_tls_server_and_client_talk_with_the_handlers_of_plain_tcp() {
    each_backend(|backend| async move {
        let pki = Pki::new();
        capture_log();
        let handlers = Handlers::default();
        let Started { app, server, address, path } =
            start(backend, format!("TlsTalk{backend}"), tls_greeter(&handlers, &pki)).await;

        // On the wire: the server answers a client's hello with a TLS handshake record (22),
        // of TLS 1.x (3, x), not with its greeting.
        let header = answer_to_a_hello(address, &pki.trust());
        assert_eq!(header[..2], [22, 3], "{header:?}");
        let hello_closed = || server.gauge("handshakes_failed").get() == 1 && server.gauge("connections").get() == 0;
        until(backend, "the hello's connection closed, its handshake unfinished", hello_closed).await;

        // rustls' client, verifying the server by its IP address.
        let mut tls = connect(address, &pki.trust());
        assert_eq!(presented(&tls), pki.leaf.der);
        assert_eq!(read_line(&mut tls), "Hello World\n");
        assert_eq!(ask(&mut tls, "hi\n"), "echo: hi\n");

        // Ginkgo's client, verifying it by the host name of the address.
        let port = address.port();
        let (client, mut lines) = line_client(move || Some(format!("localhost:{port}")));
        let (client_app, client, client_path) =
            start_client(backend, &format!("TlsTalkClient{backend}"), client.with_tls(pki.trust())).await;
        assert_eq!(within(backend, "the client's greeting", lines.next()).await.unwrap(), "Hello World");
        assert!(client.service().is_connected());
        until(backend, "two connections", || server.gauge("connections").get() == 2).await;
        assert_eq!(handlers.most_at_once(), 2);

        within(backend, "client stop", client_app.stop()).await.unwrap();
        drop(tls);
        until(backend, "connections closed", || server.gauge("connections").get() == 0).await;
        within(backend, "stop", app.stop()).await.unwrap();
        assert_eq!(server.gauge("handshakes_failed").get(), 1, "the hello's only");
        assert!(!logged(&path, &format!("INFO {path}: listening on {address}")).is_empty());
        assert!(!logged(&client_path, &format!("INFO {client_path}: connected to localhost:{port}")).is_empty());
    });
}

#[test]
fn a_client_refuses_a_server_of_another_ca_or_of_another_name() {
    each_backend(|backend| async move {
        let pki = Pki::new();
        capture_log();
        let handlers = Handlers::default();
        let Started { app, server, address, .. } =
            start(backend, format!("TlsRefused{backend}"), tls_greeter(&handlers, &pki)).await;
        let target = format!("localhost:{}", address.port());

        // A CA of another name: one of the same name would be taken for the issuer, its
        // signature found bad.
        let stranger = Pki::of_ca("Stranger CA");
        let named = |name: &str| pki.trust().with_server_name(name).unwrap();
        let cases =
            [("OtherCa", stranger.trust(), "UnknownIssuer"), ("OtherName", named("db.example"), "not valid for name")];
        for (case, trust, why) in cases {
            let target = target.clone();
            let (client, _lines) = line_client(move || Some(target.clone()));
            let (client_app, client, path) =
                start_client(backend, &format!("TlsRefused{case}{backend}"), client.with_tls(trust)).await;
            let refused =
                format!("WARN {path}: cannot connect to localhost:{}: invalid peer certificate: ", address.port());
            until(backend, "the refusal logged", || logged(&path, &refused).iter().any(|line| line.contains(why)))
                .await;
            assert!(!client.service().is_connected());
            within(backend, "client stop", client_app.stop()).await.unwrap();
        }

        // The server saw the handshakes fail, served no handler, and serves a client that trusts it.
        until(backend, "failed handshakes counted", || server.gauge("handshakes_failed").get() >= 2).await;
        assert_eq!(handlers.most_at_once(), 0);
        let mut tls = connect(address, &pki.trust());
        assert_eq!(read_line(&mut tls), "Hello World\n");
        drop(tls);
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn a_reload_gives_new_connections_the_new_certificate_and_open_ones_keep_theirs() {
    each_backend(|backend| async move {
        let pki = Pki::new();
        capture_log();
        let handlers = Handlers::default();
        let Started { app, address, path, .. } =
            start(backend, format!("TlsReload{backend}"), tls_greeter(&handlers, &pki)).await;
        let mut before = connect(address, &pki.trust());
        assert_eq!(read_line(&mut before), "Hello World\n");

        let renewed = pki.another();
        pki.replace_with(&renewed);
        within(backend, "reload", app.reload()).await.unwrap();
        let cert = pki.files.cert().display();
        assert!(!logged(&path, &format!("INFO {path}: certificate reloaded from {cert}")).is_empty());

        let mut after = connect(address, &pki.trust());
        assert_eq!(presented(&after), renewed.der);
        assert_eq!(read_line(&mut after), "Hello World\n");
        assert_eq!(presented(&before), pki.leaf.der);
        assert_eq!(ask(&mut before, "still there?\n"), "echo: still there?\n");
        drop((before, after));
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn a_bad_certificate_on_reload_is_kept_out_and_the_old_one_serves() {
    each_backend(|backend| async move {
        let pki = Pki::new();
        let handlers = Handlers::default();
        let Started { app, server, address, path } =
            start(backend, format!("TlsBadReload{backend}"), tls_greeter(&handlers, &pki)).await;

        write(pki.folder.path(), "cert.pem", "");
        let err = within(backend, "reload", app.reload()).await.unwrap_err();
        assert_eq!(
            err.chain().to_string(),
            format!(
                "{path}: do_reload failed: kept the old certificate: certificate file {}: no certificate in it (no \
                 PEM block `BEGIN CERTIFICATE`)",
                pki.files.cert().display()
            )
        );
        assert_eq!(server.state(), State::Ready);
        let mut tls = connect(address, &pki.trust());
        assert_eq!(presented(&tls), pki.leaf.der);
        assert_eq!(read_line(&mut tls), "Hello World\n");
        drop(tls);
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn a_silent_client_is_cut_off_at_the_handshake_deadline_while_others_are_served() {
    each_backend(|backend| async move {
        let pki = Pki::new();
        capture_log();
        let handlers = Handlers::default();
        let server = tls_greeter(&handlers, &pki).with_handshake_timeout(Duration::from_millis(300));
        let Started { app, server, address, path } = start(backend, format!("TlsSilent{backend}"), server).await;

        let mut silent = TcpStream::connect(address).unwrap();
        silent.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut tls = connect(address, &pki.trust());
        assert_eq!(read_line(&mut tls), "Hello World\n");

        // The server closes the silent connection, having sent it nothing.
        let mut sent = Vec::new();
        let _ = silent.read_to_end(&mut sent);
        assert!(sent.is_empty(), "{sent:?}");
        until(backend, "the failure counted", || server.gauge("handshakes_failed").get() == 1).await;
        let cut = format!(
            "DEBUG {path}: connection from {}: handshake failed: no handshake within 300ms",
            silent.local_addr().unwrap()
        );
        assert_eq!(logged(&path, &cut).len(), 1, "{:#?}", logged(&path, "handshake"));
        assert_eq!(ask(&mut tls, "served?\n"), "echo: served?\n");
        until(backend, "one connection", || server.gauge("connections").get() == 1).await;
        drop(tls);
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn tls_runs_over_a_unix_socket_with_the_server_name_given() {
    each_backend(|backend| async move {
        let pki = Pki::new();
        capture_log();
        let socket = pki.folder.path().join("tls.sock");
        let address = format!("unix:{}", socket.display());
        let handlers = Handlers::default();
        let server =
            greeter_at(&address, &handlers).with_tls(pki.files.clone()).with_stop_timeout(Duration::from_millis(200));
        let root: &'static str = format!("TlsUnix{backend}").leak();
        let app = backend.service(ServiceHandle::build(|app| {
            app.add_service(server);
            Named(root)
        }));
        within(backend, "start", app.start()).await.unwrap();

        let unix = UnixStream::connect(&socket).unwrap();
        unix.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut tls = shake_hands(unix, &pki.trust(), "localhost").unwrap();
        assert_eq!(presented(&tls), pki.leaf.der);
        assert_eq!(read_line(&mut tls), "Hello World\n");
        assert_eq!(ask(&mut tls, "over a socket file\n"), "echo: over a socket file\n");

        // Ginkgo's client needs the name to verify the server by: a Unix socket has no host.
        let (client, mut lines) = line_client({
            let address = address.clone();
            move || Some(address.clone())
        });
        let named = pki.trust().with_server_name("localhost").unwrap();
        let (client_app, _client, _) =
            start_client(backend, &format!("TlsUnixClient{backend}"), client.with_tls(named)).await;
        assert_eq!(within(backend, "the client's greeting", lines.next()).await.unwrap(), "Hello World");
        within(backend, "client stop", client_app.stop()).await.unwrap();

        let (client, _lines) = line_client({
            let address = address.clone();
            move || Some(address.clone())
        });
        let (client_app, _client, path) =
            start_client(backend, &format!("TlsUnixNameless{backend}"), client.with_tls(pki.trust())).await;
        let nameless = format!(
            "WARN {path}: cannot connect to {address}: {address}: no host name to verify the server by; give one \
             (with_server_name)"
        );
        until(backend, "the missing name logged", || !logged(&path, &nameless).is_empty()).await;
        within(backend, "client stop", client_app.stop()).await.unwrap();
        drop(tls);
        within(backend, "stop", app.stop()).await.unwrap();
        assert!(!socket.exists(), "the socket's file is removed at the stop");
    });
}

#[test]
fn the_cap_on_connections_and_the_connections_gauge_hold_over_tls() {
    each_backend(|backend| async move {
        let pki = Pki::new();
        let handlers = Handlers::default();
        let server = tls_greeter(&handlers, &pki).with_max_connections(2);
        let Started { app, server, address, .. } = start(backend, format!("TlsCap{backend}"), server).await;
        let mut first = connect(address, &pki.trust());
        let mut second = connect(address, &pki.trust());
        assert_eq!(read_line(&mut first), "Hello World\n");
        assert_eq!(read_line(&mut second), "Hello World\n");
        assert_eq!(server.gauge("connections").get(), 2);

        // A third client waits in the backlog, its handshake unanswered, until a slot is free.
        let (connected, tcp_done) = std::sync::mpsc::channel();
        let (greeted, greeting) = std::sync::mpsc::channel();
        let trust = pki.trust();
        let third = std::thread::spawn(move || {
            let tcp = TcpStream::connect(address).unwrap();
            tcp.set_read_timeout(Some(DEADLINE)).unwrap();
            connected.send(()).unwrap();
            let mut tls = shake_hands(tcp, &trust, "127.0.0.1").unwrap();
            greeted.send(read_line(&mut tls)).unwrap();
            tls
        });
        tcp_done.recv_timeout(DEADLINE).unwrap();
        assert!(greeting.try_recv().is_err(), "served beyond the cap");
        assert_eq!(server.gauge("connections").get(), 2);

        drop(first);
        assert_eq!(greeting.recv_timeout(DEADLINE).unwrap(), "Hello World\n");
        let third = third.join().unwrap();
        until(backend, "two connections", || server.gauge("connections").get() == 2).await;
        assert_eq!(handlers.most_at_once(), 2);
        drop((second, third));
        until(backend, "none", || server.gauge("connections").get() == 0).await;
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn a_certificate_that_cannot_be_used_fails_the_start_as_a_configuration_error_naming_the_file() {
    each_backend(|backend| async move {
        let pki = Pki::new();
        let missing = pki.folder.path().join("missing.pem");
        let files = TlsFiles::new(&missing, pki.files.key());
        let server =
            backend.service(StreamServer::new("127.0.0.1:0", |_connection, _ctx| async { Ok(()) }).with_tls(files));
        let err = within(backend, "start", server.start()).await.unwrap_err();
        let failed = format!("StreamServer: do_start failed: certificate file {}: no such file", missing.display());
        assert_eq!(err.chain().to_string(), failed);
        assert!(ConfigError::found_in(&err));
        assert_eq!(server.state(), State::Failed);
        assert_eq!(server.service().local_addr(), None, "nothing listens");

        // A client's CA file the same way.
        let config =
            Config::builder().env(false).set("tls_test.ca", pki.files.key().display().to_string()).load().unwrap();
        let (client, _lines) = line_client(|| Some("localhost:7000".to_string()));
        let client =
            ServiceHandle::new(client.with_tls_ca_setting(&CA)).with_config(config).with_manager(backend.manager());
        let err = within(backend, "client start", client.start()).await.unwrap_err();
        let failed = format!(
            "StreamClient: do_start failed: CA file {}: no certificate in it (no PEM block `BEGIN CERTIFICATE`)",
            pki.files.key().display()
        );
        assert_eq!(err.chain().to_string(), failed);
        assert!(ConfigError::found_in(&err));
    });
}

#[test]
fn settings_name_the_files_read_at_start_and_at_each_reload_and_unset_they_leave_plain_tcp() {
    each_backend(|backend| async move {
        let pki = Pki::new();
        let conf = pki.folder.path().join("app.toml");
        std::fs::write(&conf, "").unwrap();
        let config = Config::builder().env(false).file(&conf).load().unwrap();
        let server = |handlers: &Handlers| {
            let server = greeter(handlers).with_tls_settings(&CERT, &KEY).with_stop_timeout(Duration::from_millis(200));
            ServiceHandle::new(server).with_config(config.clone()).with_manager(backend.manager())
        };

        // Unset: plain TCP.
        let plain = server(&Handlers::default());
        within(backend, "start", plain.start()).await.unwrap();
        let mut tcp = BufReader::new(TcpStream::connect(plain.service().local_addr().unwrap()).unwrap());
        tcp.get_ref().set_read_timeout(Some(DEADLINE)).unwrap();
        let mut line = String::new();
        tcp.read_line(&mut line).unwrap();
        assert_eq!(line, "Hello World\n");
        drop(tcp);
        within(backend, "stop", plain.stop()).await.unwrap();

        // Set (relative to the config file's folder): TLS.
        std::fs::write(&conf, "[tls_test]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n").unwrap();
        config.reload().unwrap();
        let secure = server(&Handlers::default());
        within(backend, "start", secure.start()).await.unwrap();
        let address = secure.service().local_addr().unwrap();
        let mut before = connect(address, &pki.trust());
        assert_eq!(presented(&before), pki.leaf.der);

        // Other files, named on reload.
        let renewed = pki.another();
        write(pki.folder.path(), "renewed-cert.pem", &renewed.cert_pem);
        write(pki.folder.path(), "renewed-key.pem", &renewed.key_pem);
        std::fs::write(&conf, "[tls_test]\ncert = \"renewed-cert.pem\"\nkey = \"renewed-key.pem\"\n").unwrap();
        within(backend, "reload", secure.reload_config()).await.unwrap();
        let mut after = connect(address, &pki.trust());
        assert_eq!(presented(&after), renewed.der);
        assert_eq!(read_line(&mut after), "Hello World\n");
        assert_eq!(read_line(&mut before), "Hello World\n");
        drop((before, after));
        within(backend, "stop", secure.stop()).await.unwrap();
    });
}
