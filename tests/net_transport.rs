//! A transport of one's own under the generic `StreamServer`: one that wraps tokio's sockets and
//! talks before a connection is ready (here a password line; TLS's handshake is the real case).
//! The handshake runs in the connection's own task: a client that never finishes it does not
//! hold up the others, and one that fails it loses only its own connection.
#![cfg(feature = "tokio")]

use std::future::Future;
use std::io;
use std::time::Duration;

use futures::future::BoxFuture;
use ginkgo::net::{Address, LocalAddr, PeerAddr, SocketMode, Transport};
use ginkgo::testing::{until, within};
use ginkgo::{Backend, BoxError, Context, ServiceHandle};
use ginkgo_core::net::backend::Handshake;
use ginkgo_core::net::{Connection, StreamServer};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// tokio's sockets, each connection ready once its client has sent the password: a transport
/// with a configuration of its own, as TLS's (its certificate) will be.
struct Guarded {
    password: &'static str,
}

impl Transport for Guarded {
    type Listener = ginkgo_tokio::Listener;
    type Accepted = ginkgo_tokio::Stream;
    type Stream = BufReader<ginkgo_tokio::Stream>;
    type Handshaking = BoxFuture<'static, io::Result<Self::Stream>>;

    fn check_backend(&self, ctx: &Context, service: &'static str) -> Result<(), BoxError> {
        ginkgo_tokio::Tokio.check_backend(ctx, service)
    }

    fn bind(
        &self,
        ctx: &Context,
        address: &Address,
        unix_mode: SocketMode,
    ) -> impl Future<Output = io::Result<(Self::Listener, LocalAddr)>> + Send {
        ginkgo_tokio::Tokio.bind(ctx, address, unix_mode)
    }

    fn accept<'a>(
        &'a self,
        listener: &'a Self::Listener,
    ) -> impl Future<Output = io::Result<(Self::Accepted, PeerAddr)>> + Send + 'a {
        ginkgo_tokio::Tokio.accept(listener)
    }

    fn handshake(&self, accepted: Self::Accepted, _timeout: Duration) -> Handshake<Self::Stream, Self::Handshaking> {
        let expected = format!("{}\n", self.password);
        Handshake::Pending(Box::pin(async move {
            let mut stream = BufReader::new(accepted);
            let mut password = String::new();
            stream.read_line(&mut password).await?;
            if password != expected {
                return Err(io::Error::new(io::ErrorKind::PermissionDenied, "wrong password"));
            }
            Ok(stream)
        }))
    }

    async fn connect(
        &self,
        ctx: &Context,
        address: &Address,
        timeout: Duration,
    ) -> io::Result<(Self::Stream, PeerAddr)> {
        let (mut stream, peer) = ginkgo_tokio::Tokio.connect(ctx, address, timeout).await?;
        stream.write_all(format!("{}\n", self.password).as_bytes()).await?;
        Ok((BufReader::new(stream), peer))
    }
}

const SESAME: Guarded = Guarded { password: "open sesame" };

/// Answers each line with `echo: <line>`.
fn echo_server() -> StreamServer<Guarded> {
    StreamServer::with_transport(
        SESAME,
        "127.0.0.1:0",
        |mut connection: Connection<BufReader<ginkgo_tokio::Stream>>, ctx: Context| async move {
            let mut line = String::new();
            while ctx.until_stopping(connection.read_line(&mut line)).await?? > 0 {
                connection.get_mut().write_all(format!("echo: {line}").as_bytes()).await?;
                line.clear();
            }
            Ok(())
        },
    )
}

async fn ask(stream: &mut BufReader<TcpStream>, line: &str) -> String {
    stream.get_mut().write_all(line.as_bytes()).await.unwrap();
    let mut answer = String::new();
    within(Backend::Tokio, "an answer", stream.read_line(&mut answer)).await.unwrap();
    answer
}

#[test]
fn a_handshake_runs_in_the_connections_own_task() {
    Backend::Tokio.block_on(async {
        let server = Backend::Tokio.service(echo_server());
        within(Backend::Tokio, "start", server.start()).await.unwrap();
        let address = server.service().local_addr().unwrap();

        // A client that never says the password holds its own connection, and nothing else.
        let silent = TcpStream::connect(address).await.unwrap();
        let mut client = BufReader::new(TcpStream::connect(address).await.unwrap());
        client.get_mut().write_all(b"open sesame\n").await.unwrap();
        assert_eq!(ask(&mut client, "hi\n").await, "echo: hi\n");
        until(Backend::Tokio, "both counted", || server.gauge("connections").get() == 2).await;

        // A wrong password closes that connection only.
        let mut intruder = TcpStream::connect(address).await.unwrap();
        intruder.write_all(b"let me in\n").await.unwrap();
        let mut rest = Vec::new();
        within(Backend::Tokio, "the intruder cut", intruder.read_to_end(&mut rest)).await.unwrap();
        assert!(rest.is_empty());
        assert_eq!(ask(&mut client, "still there?\n").await, "echo: still there?\n");

        drop(silent);
        within(Backend::Tokio, "stop", server.stop()).await.unwrap();
    });
}

#[test]
fn a_client_over_the_same_transport_shakes_hands_when_it_connects() {
    Backend::Tokio.block_on(async {
        let server = Backend::Tokio.service(echo_server());
        within(Backend::Tokio, "start", server.start()).await.unwrap();
        let address = server.service().local_addr().unwrap();
        let (send, answered) = futures::channel::oneshot::channel();
        let send = std::sync::Mutex::new(Some(send));
        let address = address.to_string();
        let client = ginkgo_core::net::StreamClient::with_transport(
            SESAME,
            move || Some(address.clone()),
            move |mut connection, _ctx| {
                let send = send.lock().unwrap().take();
                async move {
                    connection.get_mut().write_all(b"knock knock\n").await?;
                    let mut answer = String::new();
                    connection.read_line(&mut answer).await?;
                    if let Some(send) = send {
                        let _ = send.send(answer);
                    }
                    Ok(())
                }
            },
        );
        let client = ServiceHandle::new(client).with_manager(Backend::Tokio.manager());
        within(Backend::Tokio, "client start", client.start()).await.unwrap();
        assert_eq!(within(Backend::Tokio, "the answer", answered).await.unwrap(), "echo: knock knock\n");
        within(Backend::Tokio, "client stop", client.stop()).await.unwrap();
        within(Backend::Tokio, "stop", server.stop()).await.unwrap();
    });
}
