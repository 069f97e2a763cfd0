//! The datagram services of `ginkgo::net` on every backend: binding (port 0, failures naming the
//! address), answering, the bound on datagrams in flight, datagrams too long, handlers that fail
//! or panic, the stop, and the client.

mod limits_support;

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::FutureExt;
use futures::channel::oneshot;
use ginkgo::net::{Datagram, DatagramClient, DatagramServer, ListenError};
use ginkgo::testing::{DEADLINE, each_backend, until, within};
use ginkgo::{Backend, ServiceHandle, State};
use limits_support::{Named, capture_log, logged};

/// A blocking UDP socket on loopback, which gives up waiting after the deadline.
fn udp_socket() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    socket
}

/// Sends `datagram` to `server` and returns the answer and where it came from.
fn ask(socket: &UdpSocket, server: SocketAddr, datagram: &[u8]) -> (Vec<u8>, SocketAddr) {
    socket.send_to(datagram, server).unwrap();
    receive(socket)
}

fn receive(socket: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buffer = [0; 2048];
    let (len, from) = socket.recv_from(&mut buffer).unwrap();
    (buffer[..len].to_vec(), from)
}

/// An echo server: answers each datagram with `echo: ` and the datagram.
fn echo() -> DatagramServer {
    DatagramServer::new("127.0.0.1:0", |datagram: Datagram, _ctx| async move {
        datagram.reply(&[b"echo: ", datagram.data()].concat()).await?;
        Ok(())
    })
}

/// Starts `server` on `backend` under a root called `root`; the root, the server, its address.
async fn start(
    backend: Backend,
    root: &'static str,
    server: DatagramServer,
) -> (ServiceHandle<Named>, ServiceHandle<DatagramServer>, SocketAddr) {
    let mut child = None;
    let app = backend.service(ServiceHandle::build(|app| {
        child = Some(app.add_service(server));
        Named(root)
    }));
    let server = child.unwrap();
    within(backend, "start", app.start()).await.unwrap();
    let address = server.service().local_addr().unwrap();
    (app, server, address)
}

#[test]
fn a_server_on_port_0_answers_each_datagram_from_the_address_it_was_sent_to() {
    each_backend(|backend| async move {
        let (app, server, address) = start(backend, "UdpEcho", echo()).await;
        assert_ne!(address.port(), 0);
        let socket = udp_socket();
        assert_eq!(ask(&socket, address, b"one"), (b"echo: one".to_vec(), address));
        assert_eq!(ask(&socket, address, b""), (b"echo: ".to_vec(), address), "an empty datagram is one too");
        let other = udp_socket();
        assert_eq!(ask(&other, address, b"two"), (b"echo: two".to_vec(), address));
        until(backend, "no datagram in flight", || server.snapshot().gauges == vec![("datagrams".to_string(), 0)])
            .await;
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn an_address_in_use_or_not_udp_fails_the_start_naming_it() {
    each_backend(|backend| async move {
        let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap().to_string();
        let server = backend.service(DatagramServer::new(&address, |_: Datagram, _ctx| async { Ok(()) }));
        let err = within(backend, "start", server.start()).await.unwrap_err();
        assert_eq!(server.state(), State::Failed);
        let listen = std::error::Error::source(&err)
            .and_then(|source| source.downcast_ref::<ListenError>())
            .expect("the start's error is a ListenError");
        assert_eq!(listen.address(), address);
        assert_eq!(listen.io_error().kind(), ErrorKind::AddrInUse);
        assert!(err.chain().to_string().contains(&format!("cannot listen on {address}")), "{}", err.chain());

        let unix = backend.service(DatagramServer::new("unix:/tmp/x.sock", |_: Datagram, _ctx| async { Ok(()) }));
        let err = within(backend, "start", unix.start()).await.unwrap_err();
        assert!(
            err.chain().to_string().ends_with(
                "cannot listen on unix:/tmp/x.sock: datagram services take host:port; Unix datagram sockets are not supported"
            ),
            "{}",
            err.chain()
        );
    });
}

#[test]
fn the_stop_closes_the_socket_and_ends_the_handlers() {
    each_backend(|backend| async move {
        let (started, mut handler_started) = futures::channel::mpsc::unbounded();
        let ended = Arc::new(AtomicUsize::new(0));
        let seen_end = ended.clone();
        let waiting = DatagramServer::new("127.0.0.1:0", move |_datagram: Datagram, ctx| {
            let (started, ended) = (started.clone(), seen_end.clone());
            async move {
                let _ = started.unbounded_send(());
                ctx.stopping().await;
                ended.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
        let (app, server, address) = start(backend, "UdpStop", waiting).await;
        udp_socket().send_to(b"wait", address).unwrap();
        within(backend, "the handler", futures::StreamExt::next(&mut handler_started)).await.unwrap();
        assert_eq!(server.snapshot().gauges, vec![("datagrams".to_string(), 1)]);
        within(backend, "stop", app.stop()).await.unwrap();
        assert_eq!(server.state(), State::Stopped);
        assert_eq!(ended.load(Ordering::SeqCst), 1, "the handler was told to finish, and did");
        assert_eq!(server.live_tasks(), 0, "every worker ended");
        assert_eq!(server.service().local_addr(), None);
        // The port is free again: the socket is closed.
        UdpSocket::bind(address).expect("the port is free after the stop");
    });
}

#[test]
fn a_failing_or_panicking_handler_is_logged_and_the_server_goes_on() {
    capture_log();
    each_backend(|backend| async move {
        let moody = DatagramServer::new("127.0.0.1:0", |datagram: Datagram, _ctx| async move {
            match datagram.data() {
                b"fail" => Err("no such command".into()),
                b"panic" => panic!("bad datagram"),
                _ => datagram.reply(b"fine").await.map_err(Into::into),
            }
        });
        let root: &'static str = format!("UdpMoody{backend}").leak();
        let (app, _server, address) = start(backend, root, moody).await;
        let socket = udp_socket();
        socket.send_to(b"fail", address).unwrap();
        socket.send_to(b"panic", address).unwrap();
        assert_eq!(ask(&socket, address, b"hello").0, b"fine");
        let path = format!("{root}/DatagramServer");
        let from = socket.local_addr().unwrap();
        until(backend, "both lines", || {
            logged(&path, &format!("datagram from {from}: handler failed: no such command")).len() == 1
                && logged(&path, &format!("datagram from {from}: handler panicked: bad datagram")).len() == 1
        })
        .await;
        assert_eq!(app.state(), State::Ready, "nothing went up the tree");
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn no_more_datagrams_than_the_cap_are_handled_at_once_and_the_rest_wait() {
    each_backend(|backend| async move {
        let (now, most, handled) =
            (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (release, released) = oneshot::channel::<()>();
        let released = released.shared();
        let counting = {
            let (now, most, handled) = (now.clone(), most.clone(), handled.clone());
            DatagramServer::new("127.0.0.1:0", move |_datagram: Datagram, _ctx| {
                let (now, most, handled, released) = (now.clone(), most.clone(), handled.clone(), released.clone());
                async move {
                    most.fetch_max(now.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                    let _ = released.await;
                    now.fetch_sub(1, Ordering::SeqCst);
                    handled.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            })
            .with_max_in_flight(2)
        };
        let (app, server, address) = start(backend, "UdpCap", counting).await;
        let socket = udp_socket();
        for n in 0..5u8 {
            socket.send_to(&[n], address).unwrap();
        }
        until(backend, "two handlers", || now.load(Ordering::SeqCst) == 2).await;
        assert_eq!(server.snapshot().gauges, vec![("datagrams".to_string(), 2)]);
        release.send(()).unwrap();
        until(backend, "all five handled", || handled.load(Ordering::SeqCst) == 5).await;
        assert_eq!(most.load(Ordering::SeqCst), 2, "never more than the cap at once");
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn a_datagram_longer_than_the_limit_is_dropped_whole() {
    capture_log();
    each_backend(|backend| async move {
        let short = DatagramServer::new("127.0.0.1:0", |datagram: Datagram, _ctx| async move {
            datagram.reply(datagram.data()).await?;
            Ok(())
        })
        .with_max_datagram_size(8)
        .with_max_in_flight(1);
        let root: &'static str = format!("UdpShort{backend}").leak();
        let (app, _server, address) = start(backend, root, short).await;
        let socket = udp_socket();
        socket.send_to(b"123456789", address).unwrap();
        assert_eq!(ask(&socket, address, b"12345678").0, b"12345678", "the first answer is to the second datagram");
        let from = socket.local_addr().unwrap();
        let lines =
            logged(&format!("{root}/DatagramServer"), &format!("dropped a datagram from {from} longer than 8 bytes"));
        assert_eq!(lines.len(), 1, "{lines:?}");
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn a_client_sends_to_its_server_and_receives_only_from_it() {
    each_backend(|backend| async move {
        let (_app, _server, address) = start(backend, "UdpForClient", echo()).await;
        let client = backend.service(DatagramClient::new(address));
        within(backend, "start", client.start()).await.unwrap();
        assert_eq!(client.service().peer_addr(), Some(address));
        let local = client.service().local_addr().unwrap();
        // A stranger's datagram is not the server's: the connected socket never sees it.
        udp_socket().send_to(b"stranger", SocketAddr::new(address.ip(), local.port())).unwrap();
        client.service().send(b"hello").await.unwrap();
        let mut answer = [0; 64];
        let len = within(backend, "the answer", client.service().recv(&mut answer)).await.unwrap();
        assert_eq!(&answer[..len], b"echo: hello");
        within(backend, "stop", client.stop()).await.unwrap();
        assert_eq!(client.service().send(b"late").await.unwrap_err().kind(), ErrorKind::NotConnected);
        assert_eq!(client.service().local_addr(), None);
    });
}

#[test]
fn a_receive_waiting_when_the_client_stops_ends_with_an_error() {
    each_backend(|backend| async move {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let client = backend.service(DatagramClient::new(server.local_addr().unwrap()));
        within(backend, "start", client.start()).await.unwrap();
        // Another service's task waits to receive (on the threads backend, blocked in its thread).
        let reader = backend.service(Named("Reader"));
        within(backend, "start", reader.start()).await.unwrap();
        let (tell, told) = oneshot::channel();
        let waiting = client.clone();
        reader.spawn(move |_ctx| async move {
            let mut buffer = [0; 16];
            let _ = tell.send(waiting.service().recv(&mut buffer).await.map_err(|err| err.kind()));
            Ok(())
        });
        within(backend, "stop", client.stop()).await.unwrap();
        assert_eq!(within(backend, "the receive's end", told).await.unwrap(), Err(ErrorKind::NotConnected));
        within(backend, "stop", reader.stop()).await.unwrap();
    });
}

#[test]
fn a_client_of_an_address_that_does_not_resolve_fails_its_start_naming_it() {
    each_backend(|backend| async move {
        let client = backend.service(DatagramClient::new("no-such-host.invalid:8125"));
        let err = within(backend, "start", client.start()).await.unwrap_err();
        assert!(
            err.chain().to_string().contains("cannot connect a datagram socket to no-such-host.invalid:8125: "),
            "{}",
            err.chain()
        );
    });
}
