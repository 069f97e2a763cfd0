//! `ginkgo::net::{StreamServer, StreamClient}` over real sockets on 127.0.0.1, on every backend
//! (and so every backend's native server and client), plus the native types used directly.
//!
//! The tests talk to the services with blocking `std::net` sockets from the test's own thread:
//! every backend runs the services' tasks on threads of its own, so that never stalls them. The
//! log capture and the named roots are the limits tests' (`limits_support`).

mod limits_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::channel::{mpsc, oneshot};
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use ginkgo::net::{Connection, StreamClient, StreamServer};
use ginkgo::testing::{DEADLINE, each_backend, until, within};
use ginkgo::{Backend, Backoff, BoxError, Context, ErrorKind, Readiness, Service, ServiceHandle, State, async_trait};
use limits_support::{Named, capture_log, line_client, logged};
use socket2::{Domain, Socket, Type};

fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).expect("read timeout");
    stream
}

fn read_line(reader: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("read a line");
    line
}

/// True once the other end has closed the connection (end of file, or a reset).
fn closed(stream: &mut TcpStream) -> bool {
    let mut byte = [0; 1];
    matches!(stream.read(&mut byte), Ok(0) | Err(_))
}

/// Greets, then answers each line with `echo: <line>`; panics on `panic`, fails on `fail`.
fn echo_server(address: &str) -> StreamServer {
    StreamServer::new(address, |connection: Connection, ctx: Context| async move {
        let (reader, mut writer) = connection.split();
        writer.write_all(b"Hello World\n").await?;
        let mut lines = futures::io::BufReader::new(reader).lines();
        while let Some(line) = ctx.until_stopping(lines.next()).await? {
            match line?.as_str() {
                "panic" => panic!("asked to panic"),
                "fail" => return Err("asked to fail".into()),
                line => writer.write_all(format!("echo: {line}\n").as_bytes()).await?,
            }
        }
        Ok(())
    })
}

#[test]
fn a_server_serves_every_connection_and_counts_them() {
    each_backend(|backend| async move {
        let server = backend.service(echo_server("127.0.0.1:0"));
        assert_eq!(server.service().local_addr(), None);
        within(backend, "start", server.start()).await.unwrap();
        let address = server.service().local_addr().expect("the bound address");
        assert_eq!(address.ip().to_string(), "127.0.0.1");
        assert_ne!(address.port(), 0);
        assert_eq!(server.service().address(), "127.0.0.1:0");

        let mut clients: Vec<_> = (0..2).map(|_| BufReader::new(connect(address))).collect();
        for (i, client) in clients.iter_mut().enumerate() {
            assert_eq!(read_line(client), "Hello World\n");
            writeln!(client.get_mut(), "hi {i}").unwrap();
            assert_eq!(read_line(client), format!("echo: hi {i}\n"));
        }
        assert_eq!(server.gauge("connections").get(), 2);
        assert_eq!(server.snapshot().gauges, [("connections".to_string(), 2)]);
        drop(clients);
        until(backend, "connections closed", || server.gauge("connections").get() == 0).await;

        within(backend, "stop", server.stop()).await.unwrap();
        assert_eq!(server.service().local_addr(), None);
        assert!(TcpStream::connect(address).is_err(), "nothing listens after the stop");
    });
}

/// Records its start and stop.
struct Probe(Arc<Mutex<Vec<&'static str>>>);

#[async_trait]
impl Service for Probe {
    async fn do_start(&self, _ctx: &Context) -> Result<Readiness, BoxError> {
        self.0.lock().unwrap().push("probe started");
        Ok(Readiness::Ready)
    }
    async fn do_stop(&self, _ctx: &Context) -> Result<(), BoxError> {
        self.0.lock().unwrap().push("probe stopped");
        Ok(())
    }
}

struct App;
impl Service for App {}

#[test]
fn a_port_in_use_fails_the_start_naming_the_address_and_rolls_back() {
    each_backend(|backend| async move {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap().to_string();
        let log = Arc::new(Mutex::new(Vec::new()));
        let app = backend.service(ServiceHandle::build(|app| {
            app.add_service(Probe(log.clone()));
            app.add_service(echo_server(&address));
            App
        }));
        let err = within(backend, "start", app.start()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StartFailed);
        assert_eq!(err.path(), "App/StreamServer");
        let chain = err.chain().to_string();
        assert!(
            chain.starts_with(&format!("App/StreamServer: do_start failed: cannot listen on {address}: ")),
            "{chain}"
        );
        assert_eq!(app.state(), State::Failed);
        assert_eq!(*log.lock().unwrap(), ["probe started", "probe stopped"]);
        // The port is still the other listener's.
        drop(taken);
    });
}

#[test]
fn a_bad_address_fails_the_start_without_a_panic() {
    each_backend(|backend| async move {
        let server = backend.service(echo_server("not an address"));
        let err = within(backend, "start", server.start()).await.unwrap_err();
        assert!(err.chain().to_string().contains("cannot listen on not an address: "), "{}", err.chain());
    });
}

#[test]
fn a_handler_that_panics_or_fails_closes_only_its_connection() {
    each_backend(|backend| async move {
        capture_log();
        let root = format!("Faulty{backend}").leak();
        let mut server = None;
        let app = backend.service(ServiceHandle::build(|app| {
            server = Some(app.add_service(echo_server("127.0.0.1:0")));
            Named(root)
        }));
        let server = server.unwrap();
        within(backend, "start", app.start()).await.unwrap();
        let address = server.service().local_addr().unwrap();
        let mut steady = BufReader::new(connect(address));
        assert_eq!(read_line(&mut steady), "Hello World\n");
        for bad in ["panic", "fail"] {
            let mut client = BufReader::new(connect(address));
            assert_eq!(read_line(&mut client), "Hello World\n");
            writeln!(client.get_mut(), "{bad}").unwrap();
            assert!(closed(client.get_mut()), "the {bad} connection is closed");
        }
        // The server, and its other connections, go on.
        assert_eq!(server.state(), State::Ready);
        writeln!(steady.get_mut(), "still there?").unwrap();
        assert_eq!(read_line(&mut steady), "echo: still there?\n");
        let mut next = BufReader::new(connect(address));
        assert_eq!(read_line(&mut next), "Hello World\n");
        drop((steady, next));
        until(backend, "connections closed", || server.gauge("connections").get() == 0).await;
        within(backend, "stop", app.stop()).await.unwrap();
        assert_eq!(server.state(), State::Stopped);
        let path = format!("{root}/StreamServer");
        let lines = logged(&path, "");
        let said = |text: &str| lines.iter().any(|line| line.contains(text));
        assert!(said(&format!("INFO {path}: listening on {address}")), "{lines:#?}");
        assert!(said("handler panicked: asked to panic") && said("handler failed: asked to fail"), "{lines:#?}");
        assert!(lines.iter().any(|l| l.starts_with(&format!("ERROR {path}: connection from 127.0.0.1:"))));
        assert!(said(&format!("INFO {path}: stopped listening")), "{lines:#?}");
    });
}

#[test]
fn stop_closes_the_connections_and_ends_every_handler() {
    each_backend(|backend| async move {
        // One handler watches the stop; the other ignores it and is ended at stop_timeout.
        let server = StreamServer::new("127.0.0.1:0", |mut connection: Connection, ctx: Context| async move {
            connection.write_all(b"Hello World\n").await?;
            let mut what = [0; 1];
            connection.read_exact(&mut what).await?;
            if what[0] == b'g' {
                ctx.stopping().await;
                connection.write_all(b"bye\n").await?;
            } else {
                // Nothing more comes: blocked until cancelled (or, on threads, shut down).
                connection.read_exact(&mut what).await?;
            }
            Ok(())
        })
        .with_stop_timeout(Duration::from_millis(200));
        capture_log();
        let root = format!("Stopping{backend}").leak();
        let mut handle = None;
        let app = backend.service(ServiceHandle::build(|app| {
            handle = Some(app.add_service(server));
            Named(root)
        }));
        let server = handle.unwrap();
        within(backend, "start", app.start()).await.unwrap();
        let address = server.service().local_addr().unwrap();
        let mut clients = Vec::new();
        for kind in ["g", "s"] {
            let mut client = BufReader::new(connect(address));
            assert_eq!(read_line(&mut client), "Hello World\n");
            client.get_mut().write_all(kind.as_bytes()).unwrap();
            clients.push(client);
        }
        until(backend, "both handlers running", || server.live_tasks() >= 2).await;
        within(backend, "stop", app.stop()).await.unwrap();
        assert_eq!(server.live_tasks(), 0);
        assert_eq!(server.gauge("connections").get(), 0);
        // Ended within stop_timeout, every task: none is reported stuck.
        let lines = logged(&format!("{root}/StreamServer"), "");
        assert!(!lines.iter().any(|line| line.contains("did not end")), "{lines:#?}");
        assert_eq!(read_line(&mut clients[0]), "bye\n");
        for client in &mut clients {
            assert!(closed(client.get_mut()));
        }
        assert!(TcpStream::connect(address).is_err(), "nothing listens after the stop");
    });
}

/// A loopback port held by the test: bound, so that no other socket can take it (another test's
/// connection, or a client connecting to itself), yet refusing connections until
/// [`listen`](Port::listen). A port merely closed and bound again later can be taken in between.
struct Port {
    _held: Socket,
    address: SocketAddr,
}

impl Port {
    fn new() -> Port {
        let held = shared_socket();
        held.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into()).unwrap();
        let address = held.local_addr().unwrap().as_socket().unwrap();
        Port { _held: held, address }
    }

    /// A listener on the port; once it is dropped, the port refuses connections again.
    fn listen(&self) -> TcpListener {
        let socket = shared_socket();
        socket.bind(&self.address.into()).unwrap();
        socket.listen(128).unwrap();
        socket.into()
    }
}

/// A TCP socket that may share its port with the other sockets of this process.
fn shared_socket() -> Socket {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_reuse_address(true).unwrap();
    socket.set_reuse_port(true).unwrap();
    socket
}

/// Accepts one connection on a thread of its own, so that the test can wait for it with a
/// deadline.
fn accept(listener: &TcpListener) -> oneshot::Receiver<TcpStream> {
    let listener = listener.try_clone().unwrap();
    let (send, accepted) = oneshot::channel();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            let _ = send.send(stream);
        }
    });
    accepted
}

#[test]
fn a_client_reconnects_after_the_server_goes_away_and_comes_back() {
    each_backend(|backend| async move {
        let port = Port::new();
        let (address, listener) = (port.address, port.listen());
        let (client, mut lines) = line_client(move || Some(address.to_string()));
        let client = backend.service(client);
        within(backend, "start", client.start()).await.unwrap();
        assert!(client.service().is_connected());
        let mut server_side = within(backend, "accept", accept(&listener)).await.unwrap();
        server_side.write_all(b"one\n").unwrap();
        assert_eq!(within(backend, "line one", lines.next()).await.unwrap(), "one");
        assert_eq!(client.gauge("connections").get(), 1);

        // The server goes away: the connection ends, and new attempts are refused.
        drop(server_side);
        drop(listener);
        until(backend, "disconnected", || !client.service().is_connected()).await;
        assert_eq!(client.state(), State::Ready);

        // It comes back on the same address; the client finds it.
        let listener = port.listen();
        let mut server_side = within(backend, "accept again", accept(&listener)).await.unwrap();
        server_side.write_all(b"two\n").unwrap();
        assert_eq!(within(backend, "line two", lines.next()).await.unwrap(), "two");
        assert!(client.service().is_connected());

        within(backend, "stop", client.stop()).await.unwrap();
        assert!(!client.service().is_connected());
        assert_eq!(client.gauge("connections").get(), 0);
        assert!(closed(&mut server_side));
    });
}

#[test]
fn a_client_is_ready_once_connected_unless_told_otherwise() {
    each_backend(|backend| async move {
        // A port nobody listens on, until the test does.
        let port = Port::new();
        let address = port.address;
        let (client, _lines) = line_client(move || Some(address.to_string()));
        let client = backend.service(client);
        within(backend, "start_nowait", client.start_nowait()).await.unwrap();
        assert_eq!(client.state(), State::Starting);
        assert!(!client.service().is_connected());
        let listener = port.listen();
        let accepted = accept(&listener);
        within(backend, "ready", client.wait_ready(DEADLINE)).await.unwrap();
        let mut server_side = within(backend, "accept", accepted).await.unwrap();
        within(backend, "stop", client.stop()).await.unwrap();
        assert!(closed(&mut server_side));

        // Ready at once, connected later.
        let (eager, _lines) = line_client(move || Some(address.to_string()));
        let eager = backend.service(eager.ready_when_connected(false));
        drop(listener);
        within(backend, "start", eager.start()).await.unwrap();
        assert_eq!(eager.state(), State::Ready);
        assert!(!eager.service().is_connected());
        let listener = port.listen();
        let _server_side = within(backend, "accept", accept(&listener)).await.unwrap();
        until(backend, "connected", || eager.service().is_connected()).await;
        within(backend, "stop", eager.stop()).await.unwrap();
    });
}

#[test]
fn a_client_and_a_server_talk_through_the_tree() {
    each_backend(|backend| async move {
        let app = backend.service(ServiceHandle::build(|app| {
            let server = app.add_service(echo_server("127.0.0.1:0"));
            let (client, lines) = line_client(move || server.service().local_addr().map(|a| a.to_string()));
            app.add_service(client);
            LinesApp(Mutex::new(Some(lines)))
        }));
        within(backend, "start", app.start()).await.unwrap();
        let mut lines = app.service().0.lock().unwrap().take().unwrap();
        assert_eq!(within(backend, "greeting", lines.next()).await.unwrap(), "Hello World");
        within(backend, "stop", app.stop()).await.unwrap();
        let gauges: Vec<_> = app.snapshot().walk().iter().flat_map(|s| s.gauges.clone()).collect();
        assert_eq!(gauges, [("connections".to_string(), 0), ("connections".to_string(), 0)]);
    });
}

#[test]
fn a_client_without_an_address_yet_says_so_and_connects_once_it_has_one() {
    each_backend(|backend| async move {
        capture_log();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let known = Arc::new(Mutex::new(None::<String>));
        let (client, mut lines) = line_client({
            let known = known.clone();
            move || known.lock().unwrap().clone()
        });
        let root = format!("Addressless{backend}").leak();
        let app = backend.service(ServiceHandle::build(|app| {
            app.add_service(client.ready_when_connected(false));
            Named(root)
        }));
        within(backend, "start", app.start()).await.unwrap();
        let path = format!("{root}/StreamClient");
        until(backend, "the missing address logged", || {
            logged(&path, "").iter().any(|line| line.contains("no address to connect to yet"))
        })
        .await;
        *known.lock().unwrap() = Some(listener.local_addr().unwrap().to_string());
        let mut server_side = within(backend, "accept", accept(&listener)).await.unwrap();
        server_side.write_all(b"found\n").unwrap();
        assert_eq!(within(backend, "line", lines.next()).await.unwrap(), "found");
        within(backend, "stop", app.stop()).await.unwrap();
        let lines = logged(&path, "");
        assert!(!lines.iter().any(|line| line.contains("cannot connect to")), "{lines:#?}");
    });
}

#[test]
fn a_client_that_never_connects_fails_its_start_after_start_timeout() {
    each_backend(|backend| async move {
        let port = Port::new();
        let address = port.address;
        let (client, _lines) = line_client(move || Some(address.to_string()));
        let client = backend.service(client.with_start_timeout(Duration::from_millis(100)));
        let err = within(backend, "start", client.start()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StartTimeout);
        assert_eq!(err.to_string(), "StreamClient: not ready within start_timeout (100ms)");
        assert_eq!(client.state(), State::Failed);
        // The rollback ended the connecting.
        assert_eq!(client.live_tasks(), 0);
    });
}

#[test]
fn a_client_handler_that_panics_is_logged_and_the_client_connects_again() {
    each_backend(|backend| async move {
        capture_log();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let attempts = Arc::new(Mutex::new(0));
        let counted = attempts.clone();
        let client = StreamClient::new(address, move |mut connection: Connection, ctx: Context| {
            let counted = counted.clone();
            async move {
                *counted.lock().unwrap() += 1;
                connection.write_all(b"hi\n").await?;
                if *counted.lock().unwrap() == 1 {
                    panic!("first connection panics");
                }
                ctx.stopping().await;
                Ok(())
            }
        })
        .with_backoff(Backoff { initial_delay: Duration::from_millis(5), ..Backoff::default() });
        let root = format!("Reconnecting{backend}").leak();
        let app = backend.service(ServiceHandle::build(|app| {
            app.add_service(client);
            Named(root)
        }));
        within(backend, "start", app.start()).await.unwrap();
        for _ in 0..2 {
            let mut server_side = BufReader::new(within(backend, "accept", accept(&listener)).await.unwrap());
            assert_eq!(read_line(&mut server_side), "hi\n");
        }
        assert_eq!(*attempts.lock().unwrap(), 2);
        assert_eq!(app.state(), State::Ready);
        within(backend, "stop", app.stop()).await.unwrap();
        let lines = logged(&format!("{root}/StreamClient"), "");
        assert!(
            lines.iter().any(|l| l.starts_with(&format!(
                "ERROR {root}/StreamClient: connection to {address}: handler panicked: first connection panics"
            ))),
            "{lines:#?}"
        );
    });
}

struct LinesApp(Mutex<Option<mpsc::UnboundedReceiver<String>>>);
impl Service for LinesApp {}

#[cfg(feature = "async-std")]
#[test]
fn the_native_servers_hand_out_their_runtimes_streams() {
    // async-std's server and client, under async-std (tokio, smol and threads have doctests).
    let backend = Backend::AsyncStd;
    backend.block_on(async {
        let server = ginkgo_asyncstd::StreamServer::new("127.0.0.1:0", |mut connection, _ctx| async move {
            let peer = connection.peer_addr().clone();
            let ginkgo_asyncstd::Stream::Tcp(stream) = connection.get_mut() else { panic!("a TCP stream") };
            stream.write_all(format!("you are {peer}\n").as_bytes()).await?;
            Ok(())
        });
        let server = backend.service(server);
        within(backend, "start", server.start()).await.unwrap();
        let mut client = BufReader::new(connect(server.service().local_addr().unwrap()));
        let me = client.get_ref().local_addr().unwrap();
        assert_eq!(read_line(&mut client), format!("you are {me}\n"));
        within(backend, "stop", server.stop()).await.unwrap();
    });
}

#[cfg(feature = "tokio")]
#[test]
fn the_tokio_services_refuse_other_backends() {
    each_backend(|backend| async move {
        if backend.name() == "tokio" {
            return;
        }
        let server = backend.service(ginkgo_tokio::StreamServer::new("127.0.0.1:0", |_, _| async { Ok(()) }));
        let err = within(backend, "start", server.start()).await.unwrap_err();
        assert_eq!(
            err.chain().to_string(),
            format!(
                "StreamServer: do_start failed: \
                 ginkgo_tokio::StreamServer runs only on the tokio backend, not on `{backend}`"
            )
        );
    });
}
