//! `ginkgo_core::tls`: certificates made here, loaded from files, and rustls clients and servers
//! handshaking with the configurations made from them, in memory or over loopback TCP.

mod handshake;
mod pki;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ginkgo_core::tls::{Alpn, ClientTls, ServerTls, TlsError, TlsErrorKind, TlsFiles};
use ginkgo_core::{Config, setting};
use handshake::connect;
use pki::{Ca, Leaf, write};
use rustls::{CertificateError, ClientConnection, ServerConnection, StreamOwned};

/// A folder for one test's files.
fn folder() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// `leaf` written as `cert.pem` and `key.pem` in `dir`.
fn files_of(dir: &Path, leaf: &Leaf) -> TlsFiles {
    TlsFiles::new(write(dir, "cert.pem", &leaf.cert_pem), write(dir, "key.pem", &leaf.key_pem))
}

/// The error `result` holds, checked to be one line of the kind expected.
fn refused<T>(result: Result<T, TlsError>, kind: TlsErrorKind) -> String {
    let Err(err) = result else { panic!("expected an error of kind {kind:?}") };
    assert_eq!(err.kind(), kind, "{err}");
    let line = ginkgo_core::Chain(&err).to_string();
    assert!(!line.contains('\n'), "not one line: {line}");
    line
}

fn invalid_certificate(err: rustls::Error) -> CertificateError {
    match err {
        rustls::Error::InvalidCertificate(why) => why,
        other => panic!("expected the client to refuse the certificate, got {other:?}"),
    }
}

#[test]
fn a_client_trusting_the_ca_file_accepts_the_server_and_bytes_cross_both_ways() {
    let dir = folder();
    let ca = Ca::new("Test CA");
    let leaf = ca.sign(pki::server(&["localhost"]));
    let server = ServerTls::load(&files_of(dir.path(), &leaf)).unwrap();
    let client = ClientTls::trusting_ca_file(write(dir.path(), "ca.pem", &ca.pem)).unwrap();

    let mut pair = connect(&client, "localhost:7000", server.server_config(Alpn::None)).unwrap();
    assert_eq!(pair.server_certificate(), leaf.der);
    assert_eq!(pair.exchange(b"ping", b"pong"), (b"ping".to_vec(), b"pong".to_vec()));
}

#[test]
fn a_self_signed_certificate_is_its_own_ca_file() {
    let dir = folder();
    let leaf = pki::self_signed(pki::server(&["localhost", "127.0.0.1"]));
    let files = files_of(dir.path(), &leaf);
    let server = ServerTls::load(&files).unwrap();
    let client = ClientTls::trusting_ca_file(files.cert()).unwrap();

    for address in ["localhost:7000", "127.0.0.1:7000"] {
        let pair = connect(&client, address, server.server_config(Alpn::None)).unwrap();
        assert_eq!(pair.server_certificate(), leaf.der, "{address}");
    }
}

#[test]
fn the_server_sends_its_whole_chain() {
    let dir = folder();
    let root = Ca::new("Root");
    let leaf = root.sign(pki::server(&["localhost"]));
    let chain = format!("{}{}", leaf.cert_pem, root.pem);
    let files = TlsFiles::new(write(dir.path(), "chain.pem", chain), write(dir.path(), "key.pem", &leaf.key_pem));
    let server = ServerTls::load(&files).unwrap();
    assert_eq!(server.certificate_chain().len(), 2);

    let client = ClientTls::trusting_ca_file(write(dir.path(), "ca.pem", &root.pem)).unwrap();
    let pair = connect(&client, "localhost:443", server.server_config(Alpn::None)).unwrap();
    assert_eq!(pair.server_chain(), server.certificate_chain());
}

#[test]
fn a_client_refuses_a_server_signed_by_another_ca() {
    let dir = folder();
    let trusted = Ca::new("Trusted CA");
    let other = Ca::new("Other CA");
    let leaf = other.sign(pki::server(&["localhost"]));
    let server = ServerTls::load(&files_of(dir.path(), &leaf)).unwrap();
    let client = ClientTls::trusting_ca_file(write(dir.path(), "ca.pem", &trusted.pem)).unwrap();

    let err = connect(&client, "localhost:7000", server.server_config(Alpn::None)).err().unwrap();
    assert_eq!(invalid_certificate(err), CertificateError::UnknownIssuer);
}

#[test]
fn a_client_checks_the_server_name_from_the_address_or_the_one_given() {
    let dir = folder();
    let ca = Ca::new("Test CA");
    let leaf = ca.sign(pki::server(&["db.internal", "10.0.0.7"]));
    let config = ServerTls::load(&files_of(dir.path(), &leaf)).unwrap().server_config(Alpn::None);
    let client = ClientTls::trusting_ca_file(write(dir.path(), "ca.pem", &ca.pem)).unwrap();

    assert!(connect(&client, "db.internal:5432", config.clone()).is_ok());
    assert!(connect(&client, "10.0.0.7:5432", config.clone()).is_ok());
    for address in ["localhost:5432", "db.other:5432", "10.0.0.8:5432"] {
        let err = connect(&client, address, config.clone()).err().unwrap();
        assert!(
            matches!(invalid_certificate(err), CertificateError::NotValidForNameContext { .. }),
            "{address} was accepted"
        );
    }

    let named = client.clone().with_server_name("db.internal").unwrap();
    assert!(connect(&named, "127.0.0.1:5432", config.clone()).is_ok());
    assert!(connect(&named, "unix:/run/db.sock", config).is_ok());

    let line = refused(client.server_name("unix:/run/db.sock"), TlsErrorKind::BadServerName);
    assert_eq!(line, "unix:/run/db.sock: no host name to verify the server by; give one (with_server_name)");
    let line = refused(client.with_server_name("not a name"), TlsErrorKind::BadServerName);
    assert_eq!(line, "`not a name` is neither a DNS name nor an IP address to verify a server by");
}

#[test]
fn alpn_offers_h2_then_http1_or_nothing() {
    let dir = folder();
    let leaf = pki::self_signed(pki::server(&["localhost"]));
    let files = files_of(dir.path(), &leaf);
    let server = ServerTls::load(&files).unwrap();
    let client = ClientTls::trusting_ca_file(files.cert()).unwrap();
    let agreed = |offer: &[&[u8]], alpn| {
        let mut config = (*client.client_config()).clone();
        config.alpn_protocols = offer.iter().map(|protocol| protocol.to_vec()).collect();
        let name = client.server_name("localhost:443").unwrap();
        let connection = ClientConnection::new(handshake::without_resumption(&config), name).unwrap();
        handshake::join(connection, server.server_config(alpn)).map(|pair| pair.protocols())
    };
    let h2 = || Some(b"h2".to_vec());
    let http1 = || Some(b"http/1.1".to_vec());

    assert_eq!(agreed(&[b"h2", b"http/1.1"], Alpn::Http).unwrap(), (h2(), h2()));
    assert_eq!(agreed(&[b"http/1.1"], Alpn::Http).unwrap(), (http1(), http1()));
    assert_eq!(agreed(&[b"h2", b"http/1.1"], Alpn::Http1).unwrap(), (http1(), http1()));
    assert_eq!(agreed(&[b"h2", b"http/1.1"], Alpn::None).unwrap(), (None, None));
    assert_eq!(agreed(&[], Alpn::Http).unwrap(), (None, None));
    assert_eq!(agreed(&[b"h2"], Alpn::Http1).err().unwrap(), rustls::Error::NoApplicationProtocol);
}

#[test]
fn a_reload_gives_new_handshakes_the_new_certificate_and_open_connections_keep_theirs() {
    let dir = folder();
    let ca = Ca::new("Test CA");
    let (first, second) = (ca.sign(pki::server(&["localhost"])), ca.sign(pki::server(&["localhost"])));
    let files = files_of(dir.path(), &first);
    let server = ServerTls::load(&files).unwrap();
    let config = server.server_config(Alpn::None);
    let client = ClientTls::trusting_ca_file(write(dir.path(), "ca.pem", &ca.pem)).unwrap();
    let mut before = connect(&client, "localhost:7000", config.clone()).unwrap();

    files_of(dir.path(), &second);
    server.reload(&files).unwrap();

    let mut after = connect(&client, "localhost:7000", config.clone()).unwrap();
    assert_eq!(after.server_certificate(), second.der);
    assert_eq!(after.exchange(b"new", b"ok"), (b"new".to_vec(), b"ok".to_vec()));
    assert_eq!(before.server_certificate(), first.der);
    assert_eq!(before.exchange(b"still there?", b"yes"), (b"still there?".to_vec(), b"yes".to_vec()));

    // A configuration made after the reload, and a clone's, present the same certificate.
    let clone = server.clone();
    let again = connect(&client, "localhost:7000", clone.server_config(Alpn::Http)).unwrap();
    assert_eq!(again.server_certificate(), second.der);
}

#[test]
fn a_reload_from_other_files_takes_them() {
    let dir = folder();
    let ca = Ca::new("Test CA");
    let first = ca.sign(pki::server(&["localhost"]));
    let second = ca.sign(pki::server(&["localhost"]));
    let server = ServerTls::load(&files_of(dir.path(), &first)).unwrap();
    let moved = TlsFiles::new(
        write(dir.path(), "new-cert.pem", &second.cert_pem),
        write(dir.path(), "new-key.pem", &second.key_pem),
    );

    server.reload(&moved).unwrap();
    assert_eq!(server.files(), moved);
    let client = ClientTls::trusting_ca_file(write(dir.path(), "ca.pem", &ca.pem)).unwrap();
    let pair = connect(&client, "localhost:7000", server.server_config(Alpn::None)).unwrap();
    assert_eq!(pair.server_certificate(), second.der);
}

#[test]
fn a_reload_from_a_bad_certificate_keeps_the_old_one_and_names_the_file() {
    let dir = folder();
    let ca = Ca::new("Test CA");
    let good = ca.sign(pki::server(&["localhost"]));
    let files = files_of(dir.path(), &good);
    let server = ServerTls::load(&files).unwrap();
    let client = ClientTls::trusting_ca_file(write(dir.path(), "ca.pem", &ca.pem)).unwrap();
    let expired = ca.sign(pki::valid(pki::server(&["localhost"]), 2000, 2001));
    let stranger = Ca::new("Other CA").sign(pki::server(&["localhost"]));

    let cert = files.cert().display().to_string();
    let key = files.key().display().to_string();
    let cases: [(&str, &str, TlsErrorKind, String); 3] = [
        (
            &expired.cert_pem,
            &expired.key_pem,
            TlsErrorKind::Expired,
            format!("certificate file {cert}: the certificate expired on 2001-01-01 00:00:00 UTC"),
        ),
        (
            &good.cert_pem,
            &stranger.key_pem,
            TlsErrorKind::KeyMismatch,
            format!("private key file {key}: the private key is not the one of the certificate in {cert}"),
        ),
        (
            "",
            &good.key_pem,
            TlsErrorKind::NoCertificate,
            format!("certificate file {cert}: no certificate in it (no PEM block `BEGIN CERTIFICATE`)"),
        ),
    ];
    for (cert_pem, key_pem, kind, message) in cases {
        write(dir.path(), "cert.pem", cert_pem);
        write(dir.path(), "key.pem", key_pem);
        assert_eq!(refused(server.reload(&files), kind), message);
        assert_eq!(server.files(), files);
        let pair = connect(&client, "localhost:7000", server.server_config(Alpn::None)).unwrap();
        assert_eq!(pair.server_certificate(), good.der, "after {message}");
    }
}

#[test]
fn missing_and_unreadable_files_are_named() {
    let dir = folder();
    let leaf = pki::self_signed(pki::server(&["localhost"]));
    let files = files_of(dir.path(), &leaf);
    let nowhere = dir.path().join("missing.pem");
    let shown = |path: &Path| path.display().to_string();

    let line = refused(ServerTls::load(&TlsFiles::new(&nowhere, files.key())), TlsErrorKind::NotFound);
    assert_eq!(line, format!("certificate file {}: no such file", shown(&nowhere)));
    let line = refused(ServerTls::load(&TlsFiles::new(files.cert(), &nowhere)), TlsErrorKind::NotFound);
    assert_eq!(line, format!("private key file {}: no such file", shown(&nowhere)));
    let line = refused(ClientTls::trusting_ca_file(&nowhere), TlsErrorKind::NotFound);
    assert_eq!(line, format!("CA file {}: no such file", shown(&nowhere)));

    let line = refused(ServerTls::load(&TlsFiles::new(dir.path(), files.key())), TlsErrorKind::Unreadable);
    assert_eq!(line, format!("certificate file {}: is a directory", shown(dir.path())));
    let line = refused(ClientTls::trusting_ca_file("/dev/zero"), TlsErrorKind::Unreadable);
    assert_eq!(line, "CA file /dev/zero: not a regular file");

    let large = write(dir.path(), "large.pem", vec![b'#'; ginkgo_core::tls::MAX_PEM_FILE_SIZE as usize + 1]);
    let line = refused(ServerTls::load(&TlsFiles::new(files.cert(), &large)), TlsErrorKind::Unreadable);
    assert_eq!(line, format!("private key file {}: larger than the limit of 1 MiB", shown(&large)));
}

#[test]
fn an_unreadable_file_gives_the_systems_reason() {
    // Root reads any file whatever its mode: a file under a path that goes through a regular
    // file fails with "not a directory" for everyone.
    let dir = folder();
    let leaf = pki::self_signed(pki::server(&["localhost"]));
    let files = files_of(dir.path(), &leaf);
    let through_a_file = files.cert().join("cert.pem");
    let line = refused(ServerTls::load(&TlsFiles::new(&through_a_file, files.key())), TlsErrorKind::Unreadable);
    assert_eq!(
        line,
        format!("certificate file {}: cannot be read: Not a directory (os error 20)", through_a_file.display())
    );
}

#[test]
fn a_file_without_a_certificate_or_a_key_is_named() {
    let dir = folder();
    let leaf = pki::self_signed(pki::server(&["localhost"]));
    let files = files_of(dir.path(), &leaf);
    let (cert, key) = (files.cert().display().to_string(), files.key().display().to_string());

    // The two files swapped.
    let line = refused(ServerTls::load(&TlsFiles::new(files.key(), files.key())), TlsErrorKind::NoCertificate);
    assert_eq!(line, format!("certificate file {key}: no certificate in it (no PEM block `BEGIN CERTIFICATE`)"));
    let line = refused(ServerTls::load(&TlsFiles::new(files.cert(), files.cert())), TlsErrorKind::NoPrivateKey);
    assert_eq!(
        line,
        format!(
            "private key file {cert}: no private key in it (no PEM block `BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE \
             KEY` or `BEGIN EC PRIVATE KEY`)"
        )
    );
    let line = refused(ClientTls::trusting_ca_file(files.key()), TlsErrorKind::NoCertificate);
    assert_eq!(line, format!("CA file {key}: no certificate in it (no PEM block `BEGIN CERTIFICATE`)"));

    // One file holding both works.
    let both = write(dir.path(), "both.pem", format!("{}{}", leaf.key_pem, leaf.cert_pem));
    assert!(ServerTls::load(&TlsFiles::new(&both, &both)).is_ok());

    // Cut short after its first line.
    let first_line = leaf.cert_pem.lines().next().unwrap();
    let cut = write(dir.path(), "cut.pem", format!("{first_line}\nMIIB\n"));
    let line = refused(ServerTls::load(&TlsFiles::new(&cut, files.key())), TlsErrorKind::BadPem);
    assert_eq!(line, format!("certificate file {}: a PEM block has no `END` line", cut.display()));
}

#[test]
fn a_certificate_that_cannot_be_parsed_is_named() {
    let dir = folder();
    let leaf = pki::self_signed(pki::server(&["localhost"]));
    let body = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let junk = format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n");
    let bad = write(dir.path(), "bad.pem", &junk);
    let key = write(dir.path(), "key.pem", &leaf.key_pem);

    let line = refused(ServerTls::load(&TlsFiles::new(&bad, &key)), TlsErrorKind::BadCertificate);
    let expected = format!("certificate file {}: the first certificate cannot be parsed: ", bad.display());
    assert!(line.starts_with(&expected), "{line}");

    let bundle = write(dir.path(), "bundle.pem", format!("{}{junk}", leaf.cert_pem));
    let line = refused(ClientTls::trusting_ca_file(&bundle), TlsErrorKind::BadCertificate);
    let expected =
        format!("CA file {}: certificate 2 in it cannot be trusted: it cannot be parsed: ", bundle.display());
    assert!(line.starts_with(&expected), "{line}");
}

#[test]
fn an_encrypted_or_unusable_private_key_is_refused() {
    let dir = folder();
    let leaf = pki::self_signed(pki::server(&["localhost"]));
    let cert = write(dir.path(), "cert.pem", &leaf.cert_pem);
    let body = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    let encrypted = write(
        dir.path(),
        "encrypted.pem",
        format!("-----BEGIN ENCRYPTED PRIVATE KEY-----\n{body}\n-----END ENCRYPTED PRIVATE KEY-----\n"),
    );
    let line = refused(ServerTls::load(&TlsFiles::new(&cert, &encrypted)), TlsErrorKind::UnsupportedKey);
    assert_eq!(
        line,
        format!(
            "private key file {}: the private key is encrypted; give it unencrypted (`openssl pkey -in KEY -out PLAIN`)",
            encrypted.display()
        )
    );

    let garbage =
        write(dir.path(), "garbage.pem", format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"));
    let line = refused(ServerTls::load(&TlsFiles::new(&cert, &garbage)), TlsErrorKind::UnsupportedKey);
    let expected = format!(
        "private key file {}: the private key cannot be used (rustls signs with RSA, ECDSA P-256 or P-384, and \
         Ed25519 keys): ",
        garbage.display()
    );
    assert!(line.starts_with(&expected), "{line}");
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let dir = folder();
    let leaf = pki::self_signed(pki::server(&["localhost"]));
    let other = pki::self_signed(pki::server(&["localhost"]));
    let files =
        TlsFiles::new(write(dir.path(), "cert.pem", &leaf.cert_pem), write(dir.path(), "key.pem", &other.key_pem));
    let line = refused(ServerTls::load(&files), TlsErrorKind::KeyMismatch);
    assert_eq!(
        line,
        format!(
            "private key file {}: the private key is not the one of the certificate in {}",
            files.key().display(),
            files.cert().display()
        )
    );
}

#[test]
fn a_certificate_clients_would_refuse_for_its_dates_or_purpose_is_refused() {
    let dir = folder();
    let cases = [
        (
            pki::valid(pki::server(&["localhost"]), 2000, 2001),
            TlsErrorKind::Expired,
            "the certificate expired on 2001-01-01 00:00:00 UTC",
        ),
        (
            pki::valid(pki::server(&["localhost"]), 2990, 2999),
            TlsErrorKind::NotYetValid,
            "the certificate is not valid before 2990-01-01 00:00:00 UTC",
        ),
        (
            pki::for_clients_only(pki::server(&["localhost"])),
            TlsErrorKind::BadCertificate,
            "the certificate is not for servers (its extended key usage lacks serverAuth)",
        ),
    ];
    for (params, kind, problem) in cases {
        let files = files_of(dir.path(), &pki::self_signed(params));
        let line = refused(ServerTls::load(&files), kind);
        assert_eq!(line, format!("certificate file {}: {problem}", files.cert().display()));
    }

    // Within its dates and for servers: loaded.
    let files = files_of(dir.path(), &pki::self_signed(pki::valid(pki::server(&["localhost"]), 2000, 2990)));
    assert!(ServerTls::load(&files).is_ok());
}

#[test]
fn a_blocking_stream_over_loopback_tcp_serves_and_verifies_the_ip_address() {
    const DEADLINE: Duration = Duration::from_secs(10);
    let dir = folder();
    let ca = Ca::new("Test CA");
    let leaf = ca.sign(pki::server(&["127.0.0.1"]));
    let config = ServerTls::load(&files_of(dir.path(), &leaf)).unwrap().server_config(Alpn::None);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();

    // An echo server for one connection.
    let server = std::thread::spawn(move || -> std::io::Result<Vec<u8>> {
        let (socket, _) = listener.accept()?;
        socket.set_read_timeout(Some(DEADLINE))?;
        let mut stream = StreamOwned::new(ServerConnection::new(config).unwrap(), socket);
        let mut received = [0; 5];
        stream.read_exact(&mut received)?;
        stream.write_all(&received)?;
        stream.conn.send_close_notify();
        stream.flush()?;
        Ok(received.to_vec())
    });

    let client = ClientTls::trusting_ca_file(write(dir.path(), "ca.pem", &ca.pem)).unwrap();
    let socket = TcpStream::connect(&address).unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    let connection = ClientConnection::new(client.client_config(), client.server_name(&address).unwrap()).unwrap();
    let mut stream = StreamOwned::new(connection, socket);
    stream.write_all(b"hello").unwrap();
    let mut echoed = Vec::new();
    stream.read_to_end(&mut echoed).unwrap();

    assert_eq!(echoed, b"hello");
    assert_eq!(server.join().unwrap().unwrap(), b"hello");
    assert_eq!(stream.conn.peer_certificates().unwrap(), [leaf.der]);
}

#[test]
fn the_system_roots_load_and_do_not_trust_a_private_ca() {
    let client = match ClientTls::trusting_system_roots() {
        Ok(client) => client,
        Err(err) if err.kind() == TlsErrorKind::NoSystemRoots => {
            println!("skipped: this machine has no trusted root certificates ({err})");
            return;
        }
        Err(err) => panic!("{err}"),
    };
    let dir = folder();
    let leaf = Ca::new("Private CA").sign(pki::server(&["localhost"]));
    let server = ServerTls::load(&files_of(dir.path(), &leaf)).unwrap();
    let err = connect(&client, "localhost:443", server.server_config(Alpn::None)).err().unwrap();
    assert_eq!(invalid_certificate(err), CertificateError::UnknownIssuer);
}

setting!(static TEST_CERT: Option<PathBuf> {
    name: "tls_test.tls_cert",
    default: None,
    help: "Test: the server's certificate chain",
});

setting!(static TEST_KEY: Option<PathBuf> {
    name: "tls_test.tls_key",
    default: None,
    help: "Test: the server's private key",
});

setting!(static TEST_CA: Option<PathBuf> {
    name: "tls_test.client_tls_ca",
    default: None,
    help: "Test: the client's CA file",
});

#[test]
fn settings_name_files_next_to_the_config_file() {
    let dir = folder();
    let leaf = pki::self_signed(pki::server(&["localhost"]));
    files_of(dir.path(), &leaf);
    let file = write(
        dir.path(),
        "app.toml",
        "[tls_test]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\nclient_tls_ca = \"cert.pem\"\n",
    );
    let config = Config::builder().env(false).file(&file).load().unwrap();

    let files = TlsFiles::from_settings(&config, &TEST_CERT, &TEST_KEY).unwrap().unwrap();
    assert_eq!(files, TlsFiles::new(dir.path().join("cert.pem"), dir.path().join("key.pem")));
    let server = ServerTls::load(&files).unwrap();
    let client = ClientTls::from_ca_setting(&config, &TEST_CA).unwrap().unwrap();
    assert!(connect(&client, "localhost:7000", server.server_config(Alpn::None)).is_ok());

    let config = Config::builder().env(false).set("tls_test.tls_key", "key.pem").load().unwrap();
    let line = refused(TlsFiles::from_settings(&config, &TEST_CERT, &TEST_KEY), TlsErrorKind::BadSettings);
    assert_eq!(line, "setting `tls_test.tls_cert` is not set, but `tls_test.tls_key` is: set both or neither");
    // An empty value is no value: no TLS.
    let config =
        Config::builder().env(false).set("tls_test.tls_cert", "").set("tls_test.tls_key", "''").load().unwrap();
    assert_eq!(TlsFiles::from_settings(&config, &TEST_CERT, &TEST_KEY).unwrap(), None);
}

/// The guide's command (the TLS section of docs/src/transports.md), run as it is written there.
#[test]
fn the_guides_openssl_command_makes_a_certificate_that_serves_and_is_trusted() {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/src/transports.md")).unwrap();
    let command = guide_command(&guide, "openssl req");
    if std::process::Command::new("openssl").arg("version").output().is_err() {
        println!("skipped: no openssl command on this machine");
        return;
    }
    let dir = folder();
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .current_dir(dir.path())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{command}");

    let files = TlsFiles::new(dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let server = ServerTls::load(&files).unwrap();
    let client = ClientTls::trusting_ca_file(files.cert()).unwrap();
    for address in ["localhost:8000", "127.0.0.1:8000"] {
        assert!(connect(&client, address, server.server_config(Alpn::Http)).is_ok(), "{address}");
    }
}

/// The shell command in `guide` that starts with `start`, its continued lines joined.
fn guide_command(guide: &str, start: &str) -> String {
    let mut lines = guide.lines().map(|line| line.trim_start_matches("$ ")).skip_while(|line| !line.starts_with(start));
    let mut command = String::new();
    for line in lines.by_ref() {
        match line.strip_suffix('\\') {
            Some(continued) => command.push_str(continued),
            None => {
                command.push_str(line);
                break;
            }
        }
    }
    assert!(!command.is_empty(), "no command starting with `{start}` in the guide");
    command
}
