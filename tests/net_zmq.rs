//! The ZeroMQ services of `ginkgo::zmq` on every backend: each pattern (REQ/REP, PUB/SUB,
//! PUSH/PULL) over TCP and IPC, bound and connected, the stop, a lost peer, and failures.
#![cfg(feature = "zmq")]

use std::time::Duration;

use futures::StreamExt;
use futures::channel::mpsc;
use ginkgo::testing::{each_backend, until, within};
use ginkgo::zmq::{
    PubSocket, PullSocket, PushSocket, RepSocket, ReqSocket, SubSocket, ZmqMessage, ZmqService, ZmqSocket,
};
use ginkgo::{Backoff, ServiceHandle, State};

/// A message's frames as text, joined with `|`.
fn text(message: &ZmqMessage) -> String {
    message.iter().map(|frame| String::from_utf8_lossy(frame).into_owned()).collect::<Vec<_>>().join("|")
}

/// A REP service answering each request with `echo: ` and the request.
fn echo(endpoint: &str) -> ZmqService<RepSocket> {
    ZmqService::bind(endpoint, |socket: ZmqSocket<RepSocket>, _ctx| async move {
        loop {
            let request = socket.recv().await?;
            socket.send(format!("echo: {}", text(&request))).await?;
        }
    })
}

/// A REQ service asking `count` questions in turn, and telling each answer to `answers`.
fn asker(endpoint: &str, count: usize, answers: mpsc::UnboundedSender<String>) -> ZmqService<ReqSocket> {
    ZmqService::connect(endpoint, move |socket: ZmqSocket<ReqSocket>, _ctx| {
        let answers = answers.clone();
        async move {
            for n in 0..count {
                socket.send(format!("question {n}")).await?;
                let _ = answers.unbounded_send(text(&socket.recv().await?));
            }
            Ok(())
        }
    })
    .with_backoff(quick())
}

/// Pauses of a millisecond between attempts.
fn quick() -> Backoff {
    Backoff { initial_delay: Duration::from_millis(1), max_delay: Duration::from_millis(1), ..Backoff::default() }
}

#[test]
fn req_rep_over_tcp_answers_each_request_on_every_backend() {
    each_backend(|backend| async move {
        let server = backend.service(echo("tcp://127.0.0.1:0"));
        within(backend, "start", server.start()).await.unwrap();
        let endpoint = server.service().endpoint().unwrap();
        assert!(endpoint.starts_with("tcp://127.0.0.1:") && !endpoint.ends_with(":0"), "{endpoint}");
        let (answers, mut answered) = mpsc::unbounded();
        let client = backend.service(asker(&endpoint, 3, answers));
        within(backend, "start", client.start()).await.unwrap();
        for n in 0..3 {
            assert_eq!(within(backend, "an answer", answered.next()).await.unwrap(), format!("echo: question {n}"));
        }
        within(backend, "stop", client.stop()).await.unwrap();
        within(backend, "stop", server.stop()).await.unwrap();
        assert_eq!(server.service().endpoint(), None);
        let port = endpoint.rsplit(':').next().unwrap();
        std::net::TcpListener::bind(format!("127.0.0.1:{port}")).expect("the stop frees the port");
    });
}

#[test]
fn pub_sub_delivers_the_subscribed_messages_on_every_backend() {
    each_backend(|backend| async move {
        let ticker =
            backend.service(ZmqService::bind("tcp://127.0.0.1:0", |socket: ZmqSocket<PubSocket>, ctx| async move {
                for n in 0u64.. {
                    socket.send(format!("tick {n}")).await?;
                    socket.send("other news").await?;
                    ctx.sleep(Duration::from_millis(5)).await?;
                }
                Ok(())
            }));
        within(backend, "start", ticker.start()).await.unwrap();
        let endpoint = ticker.service().endpoint().unwrap();
        let (heard, mut hearing) = mpsc::unbounded();
        let listener = backend.service(ZmqService::connect(&endpoint, move |socket: ZmqSocket<SubSocket>, _ctx| {
            let heard = heard.clone();
            async move {
                socket.subscribe("tick").await?;
                loop {
                    let _ = heard.unbounded_send(text(&socket.recv().await?));
                }
            }
        }));
        within(backend, "start", listener.start()).await.unwrap();
        for _ in 0..3 {
            let message = within(backend, "a tick", hearing.next()).await.unwrap();
            assert!(message.starts_with("tick "), "only the subscribed messages: {message}");
        }
        assert_eq!(listener.gauge("connected").get(), 1);
        within(backend, "stop", listener.stop()).await.unwrap();
        assert_eq!(listener.gauge("connected").get(), 0);
        within(backend, "stop", ticker.stop()).await.unwrap();
    });
}

#[test]
fn push_pull_over_ipc_delivers_every_message_in_order_on_every_backend() {
    let folder = tempfile::tempdir().unwrap();
    each_backend(|backend| {
        let endpoint = format!("ipc://{}/{backend}.sock", folder.path().display());
        async move {
            let (pulled, mut pulling) = mpsc::unbounded();
            let sink = backend.service(ZmqService::bind(&endpoint, move |socket: ZmqSocket<PullSocket>, _ctx| {
                let pulled = pulled.clone();
                async move {
                    loop {
                        let _ = pulled.unbounded_send(text(&socket.recv().await?));
                    }
                }
            }));
            within(backend, "start", sink.start()).await.unwrap();
            let source =
                backend.service(ZmqService::connect(&endpoint, |socket: ZmqSocket<PushSocket>, ctx| async move {
                    for n in 0..20 {
                        socket.send(format!("job {n}")).await?;
                    }
                    ctx.stopping().await;
                    Ok(())
                }));
            within(backend, "start", source.start()).await.unwrap();
            for n in 0..20 {
                assert_eq!(within(backend, "a job", pulling.next()).await.unwrap(), format!("job {n}"));
            }
            within(backend, "stop", source.stop()).await.unwrap();
            within(backend, "stop", sink.stop()).await.unwrap();
        }
    });
}

#[test]
fn a_connecting_socket_connects_again_when_its_peer_comes_back() {
    each_backend(|backend| async move {
        let first = backend.service(echo("tcp://127.0.0.1:0"));
        within(backend, "start", first.start()).await.unwrap();
        let endpoint = first.service().endpoint().unwrap();
        let (answers, mut answered) = mpsc::unbounded();
        let client = backend.service(asker(&endpoint, usize::MAX, answers));
        within(backend, "start", client.start()).await.unwrap();
        assert_eq!(within(backend, "an answer", answered.next()).await.unwrap(), "echo: question 0");
        within(backend, "stop", first.stop()).await.unwrap();
        let again = backend.service(echo(&endpoint));
        within(backend, "start again", again.start()).await.unwrap();
        // Answers from the first server may still be on their way; one from the new one comes.
        let mut answer = String::new();
        while answer != "echo: question 0" || client.gauge("connected").get() == 0 {
            answer = within(backend, "an answer from the new server", answered.next()).await.unwrap();
        }
        assert_eq!(client.state(), State::Ready, "a lost peer is no failure");
        within(backend, "stop", client.stop()).await.unwrap();
        within(backend, "stop", again.stop()).await.unwrap();
    });
}

#[test]
fn an_endpoint_that_cannot_be_bound_or_is_not_zeromqs_fails_the_start_naming_it() {
    each_backend(|backend| async move {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("tcp://{}", taken.local_addr().unwrap());
        let server = backend.service(echo(&endpoint));
        let err = within(backend, "start", server.start()).await.unwrap_err();
        assert_eq!(server.state(), State::Failed);
        let chain = err.chain().to_string();
        assert!(chain.contains(&format!("cannot bind a ZeroMQ REP socket to {endpoint}: ")), "{chain}");

        let bad = backend.service(echo("udp://127.0.0.1:5555"));
        let err = within(backend, "start", bad.start()).await.unwrap_err();
        assert!(err.chain().to_string().contains("cannot bind a ZeroMQ REP socket to udp://127.0.0.1:5555: "));

        let (answers, _answered) = mpsc::unbounded();
        let client = backend.service(asker("udp://127.0.0.1:5555", 1, answers));
        let err = within(backend, "start", client.start()).await.unwrap_err();
        assert!(err.chain().to_string().contains("cannot connect a ZeroMQ REQ socket to udp://127.0.0.1:5555: "));
    });
}

#[test]
fn a_handler_that_fails_otherwise_fails_its_service_up_the_tree() {
    each_backend(|backend| async move {
        let mut child = None;
        let app = backend.service(ServiceHandle::build(|app| {
            child = Some(app.add_service(ZmqService::bind(
                "tcp://127.0.0.1:0",
                |socket: ZmqSocket<RepSocket>, _ctx| async move {
                    let request = socket.recv().await?;
                    Err(format!("cannot handle {:?}", text(&request)).into())
                },
            )));
            Parent
        }));
        within(backend, "start", app.start()).await.unwrap();
        let server = child.unwrap();
        let endpoint = server.service().endpoint().unwrap();
        let (answers, _answered) = mpsc::unbounded();
        let client = backend.service(asker(&endpoint, 1, answers));
        within(backend, "start", client.start()).await.unwrap();
        until(backend, "the failure", || server.state() == State::Failed).await;
        let failure = server.failure().expect("a failure").chain().to_string();
        assert!(failure.contains("cannot handle \"question 0\""), "{failure}");
        within(backend, "stop", client.stop()).await.unwrap();
        let _ = within(backend, "stop", app.stop()).await;
    });
}

/// A parent service doing nothing of its own.
struct Parent;

impl ginkgo::Service for Parent {}
