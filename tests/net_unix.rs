//! `ginkgo::net::{StreamServer, StreamClient}` over Unix domain sockets (`unix:/path`), on every
//! backend: serving and connecting, the socket file's mode, stale and live sockets and other
//! files at the path, the file's removal at the stop, and a client that reconnects.
//!
//! The tests talk to the services with blocking `std::os::unix::net` sockets from the test's
//! own thread; each makes its sockets in a folder of its own. The log capture and the named
//! roots are the limits tests' (`limits_support`).

mod limits_support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::StreamExt;
use futures::channel::mpsc;
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use ginkgo::net::{Connection, PeerAddr, StreamClient, StreamServer};
use ginkgo::testing::{DEADLINE, each_backend, until, within};
use ginkgo::{Backend, Config, Context, ErrorKind, ServiceHandle};
use limits_support::{Named, capture_log, line_client, logged};

/// A folder of its own for one test on one backend, and the socket path in it.
fn socket_in(folder: &tempfile::TempDir) -> (PathBuf, String) {
    let path = folder.path().join("app.sock");
    let address = format!("unix:{}", path.display());
    (path, address)
}

/// Greets each client with the peer it sees, then answers each line with `echo: <line>`.
fn echo_server(address: &str) -> StreamServer {
    StreamServer::new(address, |connection: Connection, ctx: Context| async move {
        let peer = connection.peer_addr().clone();
        let (reader, mut writer) = connection.split();
        writer.write_all(format!("you are {peer}\n").as_bytes()).await?;
        let mut lines = futures::io::BufReader::new(reader).lines();
        while let Some(line) = ctx.until_stopping(lines.next()).await? {
            writer.write_all(format!("echo: {}\n", line?).as_bytes()).await?;
        }
        Ok(())
    })
    .with_stop_timeout(Duration::from_millis(200))
}

fn connect(path: &Path) -> BufReader<UnixStream> {
    let stream = UnixStream::connect(path).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).expect("read timeout");
    BufReader::new(stream)
}

fn read_line(reader: &mut BufReader<UnixStream>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("read a line");
    line
}

/// How this process appears at the other end of a Unix socket at `path` (by its credentials,
/// where the system tells them: Linux).
fn me_on(path: &Path) -> String {
    if cfg!(any(target_os = "linux", target_os = "android")) {
        format!("pid {} (uid {}) on unix:{}", std::process::id(), current_uid(), path.display())
    } else {
        format!("unix:{}", path.display())
    }
}

/// This process's user id: the owner of a file it makes.
fn current_uid() -> u32 {
    let folder = tempfile::tempdir().unwrap();
    std::fs::metadata(folder.path()).unwrap().uid()
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Starts `server` on `backend` under a root called `root`; the handle of the server.
async fn start(
    backend: Backend,
    root: &'static str,
    server: StreamServer,
) -> (ServiceHandle<Named>, ServiceHandle<StreamServer>) {
    let mut child = None;
    let app = backend.service(ServiceHandle::build(|app| {
        child = Some(app.add_service(server));
        Named(root)
    }));
    within(backend, "start", app.start()).await.unwrap();
    (app, child.unwrap())
}

#[test]
fn a_server_and_a_client_talk_over_a_unix_socket_and_each_sees_the_other_process() {
    each_backend(|backend| async move {
        let folder = tempfile::tempdir().unwrap();
        let (path, address) = socket_in(&folder);
        capture_log();
        let root = format!("Unix{backend}").leak();
        let (app, server) = start(backend, root, echo_server(&address)).await;
        assert_eq!(server.service().local_path(), Some(path.clone()));
        assert_eq!(server.service().local_addr(), None, "no TCP address");
        assert_eq!(server.service().address(), address);

        // A plain client: the server names it by its process.
        let mut plain = connect(&path);
        assert_eq!(read_line(&mut plain), format!("you are {}\n", me_on(&path)));
        writeln!(plain.get_mut(), "hi").unwrap();
        assert_eq!(read_line(&mut plain), "echo: hi\n");
        assert_eq!(server.gauge("connections").get(), 1);

        // Ginkgo's client: it sees the server's process (this one) on the same path.
        let (send, mut seen) = mpsc::unbounded();
        let client = StreamClient::new(&address, move |mut connection: Connection, ctx: Context| {
            let send = send.clone();
            async move {
                let _ = send.unbounded_send(connection.peer_addr().clone());
                connection.write_all(b"from the client\n").await?;
                ctx.stopping().await;
                Ok(())
            }
        });
        let client = backend.service(client);
        within(backend, "client start", client.start()).await.unwrap();
        let PeerAddr::Unix(peer) = within(backend, "the client's peer", seen.next()).await.unwrap() else {
            panic!("a Unix peer")
        };
        assert_eq!(peer.path(), path);
        if cfg!(target_os = "linux") {
            assert_eq!(peer.process().map(|process| process.pid), Some(std::process::id()));
        }
        until(backend, "two connections", || server.gauge("connections").get() == 2).await;
        within(backend, "client stop", client.stop()).await.unwrap();

        drop(plain);
        until(backend, "connections closed", || server.gauge("connections").get() == 0).await;
        within(backend, "stop", app.stop()).await.unwrap();
        let lines = logged(&format!("{root}/StreamServer"), "");
        let said = |text: &str| lines.iter().any(|line| line.contains(text));
        assert!(said(&format!("INFO {root}/StreamServer: listening on {address}")), "{lines:#?}");
        assert!(said(&format!("DEBUG {root}/StreamServer: connection from {}", me_on(&path))), "{lines:#?}");
        assert!(said(&format!("INFO {root}/StreamServer: stopped listening")), "{lines:#?}");
    });
}

#[test]
fn the_socket_file_gets_the_mode_of_the_setting_unless_the_builder_sets_one() {
    each_backend(|backend| async move {
        let folder = tempfile::tempdir().unwrap();
        let (path, address) = socket_in(&folder);
        let configured = Config::builder().env(false).set("net.unix_socket_mode", "0600").load().unwrap();
        for (config, builder_mode, expected) in [
            (Config::builder().env(false).load().unwrap(), None, 0o660),
            (configured.clone(), None, 0o600),
            (configured, Some(0o640), 0o640),
        ] {
            let server = match builder_mode {
                Some(mode) => echo_server(&address).with_unix_socket_mode(mode),
                None => echo_server(&address),
            };
            let server = backend.service(ServiceHandle::new(server).with_config(config));
            within(backend, "start", server.start()).await.unwrap();
            assert_eq!(mode_of(&path), expected, "{expected:o}");
            let mut client = connect(&path);
            assert!(read_line(&mut client).starts_with("you are "));
            drop(client);
            within(backend, "stop", server.stop()).await.unwrap();
        }
        let err = Config::builder().env(false).set("net.unix_socket_mode", "0999").load().unwrap_err();
        assert!(err.to_string().contains("setting `net.unix_socket_mode` expects a file mode in octal"), "{err}");
    });
}

#[test]
fn a_stale_socket_is_replaced() {
    each_backend(|backend| async move {
        let folder = tempfile::tempdir().unwrap();
        let (path, address) = socket_in(&folder);
        drop(UnixListener::bind(&path).unwrap()); // its file stays, and nothing listens on it
        assert!(UnixStream::connect(&path).is_err());
        capture_log();
        let root = format!("Stale{backend}").leak();
        let (app, _server) = start(backend, root, echo_server(&address)).await;
        let mut client = connect(&path);
        assert_eq!(read_line(&mut client), format!("you are {}\n", me_on(&path)));
        assert_eq!(logged("removing the stale socket", &path.display().to_string()).len(), 1);
        drop(client);
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn a_second_server_on_a_live_socket_fails_its_start_and_the_first_goes_on() {
    each_backend(|backend| async move {
        let folder = tempfile::tempdir().unwrap();
        let (path, address) = socket_in(&folder);
        let root = format!("Live{backend}").leak();
        let (app, _first) = start(backend, root, echo_server(&address)).await;

        let second = backend.service(echo_server(&address));
        let err = within(backend, "second start", second.start()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StartFailed);
        assert_eq!(
            err.chain().to_string(),
            format!(
                "StreamServer: do_start failed: cannot listen on {address}: {} is in use by another server",
                path.display()
            )
        );

        // The first still serves, on its own file.
        let mut client = connect(&path);
        assert_eq!(read_line(&mut client), format!("you are {}\n", me_on(&path)));
        drop(client);
        within(backend, "stop", app.stop()).await.unwrap();
        assert!(!path.exists());
    });
}

#[test]
fn a_file_that_is_not_a_socket_fails_the_start_and_is_left_intact() {
    each_backend(|backend| async move {
        let folder = tempfile::tempdir().unwrap();
        let (path, address) = socket_in(&folder);
        std::fs::write(&path, "not a socket").unwrap();
        let server = backend.service(echo_server(&address));
        let err = within(backend, "start", server.start()).await.unwrap_err();
        assert_eq!(
            err.chain().to_string(),
            format!(
                "StreamServer: do_start failed: cannot listen on {address}: {} is not a socket; it is left as it is",
                path.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a socket");
    });
}

#[test]
fn the_stop_removes_the_socket_file_unless_something_else_took_its_place() {
    each_backend(|backend| async move {
        let folder = tempfile::tempdir().unwrap();
        let (path, address) = socket_in(&folder);
        let server = backend.service(echo_server(&address));
        within(backend, "start", server.start()).await.unwrap();
        assert!(path.exists());
        within(backend, "stop", server.stop()).await.unwrap();
        assert!(!path.exists(), "removed by the stop");
        assert_eq!(server.service().local_path(), None);

        within(backend, "start again", server.start()).await.unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "another's").unwrap();
        within(backend, "stop again", server.stop()).await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "another's", "not the server's file: left");
    });
}

#[test]
fn a_client_reconnects_over_unix_after_the_server_comes_back() {
    each_backend(|backend| async move {
        let folder = tempfile::tempdir().unwrap();
        let (path, address) = socket_in(&folder);
        let server = backend.service(echo_server(&address));
        within(backend, "start", server.start()).await.unwrap();

        let unix_address = address.clone();
        let (client, mut lines) = line_client(move || Some(unix_address.clone()));
        let client = backend.service(client);
        within(backend, "client start", client.start()).await.unwrap();
        let greeting = format!("you are {}", me_on(&path));
        assert_eq!(within(backend, "greeting", lines.next()).await.unwrap(), greeting);

        // The server goes away, and its socket with it: the client keeps trying.
        within(backend, "stop", server.stop()).await.unwrap();
        assert!(!path.exists());
        until(backend, "disconnected", || !client.service().is_connected()).await;

        // It comes back on the same path: the client finds it.
        within(backend, "start again", server.start()).await.unwrap();
        assert_eq!(within(backend, "greeting again", lines.next()).await.unwrap(), greeting);
        assert!(client.service().is_connected());
        within(backend, "client stop", client.stop()).await.unwrap();
        within(backend, "stop again", server.stop()).await.unwrap();
    });
}

#[test]
fn a_bad_unix_address_fails_the_start_naming_it() {
    each_backend(|backend| async move {
        let server = backend.service(echo_server("unix:"));
        let err = within(backend, "start", server.start()).await.unwrap_err();
        assert_eq!(
            err.chain().to_string(),
            "StreamServer: do_start failed: cannot listen on unix:: `unix:` is followed by no path"
        );
        let missing = backend.service(echo_server("unix:/nonexistent-ginkgo-folder/app.sock"));
        let err = within(backend, "start", missing.start()).await.unwrap_err();
        assert!(
            err.chain().to_string().contains("cannot listen on unix:/nonexistent-ginkgo-folder/app.sock: /nonexistent-ginkgo-folder/app.sock: No such file or directory"),
            "{}",
            err.chain()
        );
    });
}
