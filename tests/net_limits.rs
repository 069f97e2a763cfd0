//! The servers' limits over real sockets on 127.0.0.1: the cap on connections (every backend's
//! `StreamServer`, and `HttpServer`), HTTP's idle and header timeouts, HTTP/2's streams, and the
//! settings behind them. Running out of file descriptors is `tests/net_descriptors.rs`.

mod limits_support;

use std::io::Write;
use std::time::Instant;

use ginkgo::testing::{each_backend, until, within};
use ginkgo::{Config, ServiceHandle};
use limits_support::{
    Handlers, Named, Started, at_most_one_line_per_interval, capture_log, connect, greeter, logged, nothing_yet,
    read_line, start,
};

#[test]
fn a_server_at_its_cap_serves_the_next_client_only_once_one_closes() {
    capture_log();
    each_backend(|backend| async move {
        let began = Instant::now();
        let handlers = Handlers::default();
        let started = start(backend, format!("Capped{backend}"), greeter(&handlers).with_max_connections(2)).await;
        let Started { app, server, address, path } = started;

        let mut first = connect(address);
        let mut second = connect(address);
        assert_eq!(read_line(&mut first), "Hello World\n");
        assert_eq!(read_line(&mut second), "Hello World\n");
        // The accept loop has seen the cap and waits for room: the next client stays in the
        // backlog.
        until(backend, "the cap logged", || !logged(&path, "at its cap").is_empty()).await;
        let mut third = connect(address);
        assert!(nothing_yet(&third), "the third client is not served while two are open");
        assert_eq!(server.gauge("connections").get(), 2);

        // The two served go on being served.
        writeln!(second.get_mut(), "still here").unwrap();
        assert_eq!(read_line(&mut second), "echo: still here\n");

        drop(first);
        assert_eq!(read_line(&mut third), "Hello World\n", "served once one closed");
        let mut fourth = connect(address);
        drop(second);
        assert_eq!(read_line(&mut fourth), "Hello World\n");
        assert_eq!(handlers.most_at_once(), 2, "never more than the cap at once");
        assert_eq!(server.gauge("connections").get(), 2);

        let lines = logged(&path, "at its cap");
        assert!(lines.len() <= at_most_one_line_per_interval(began), "{lines:#?}");
        assert!(
            lines[0].starts_with(&format!(
                "WARN {path}: at its cap of 2 open connections; new clients wait until one closes"
            )),
            "{lines:#?}"
        );
        drop((third, fourth));
        until(backend, "connections closed", || server.gauge("connections").get() == 0).await;
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn the_cap_comes_from_net_max_connections_unless_the_builder_sets_one() {
    capture_log();
    each_backend(|backend| async move {
        let config = Config::builder().env(false).set("net.max_connections", "1").load().unwrap();
        for (builder_cap, cap) in [(None, 1), (Some(2), 2)] {
            let handlers = Handlers::default();
            let root = format!("Configured{backend}{cap}").leak();
            let mut server = None;
            let app = ServiceHandle::build(|app| {
                let greeter = match builder_cap {
                    Some(builder_cap) => greeter(&handlers).with_max_connections(builder_cap),
                    None => greeter(&handlers),
                };
                server = Some(app.add_service(greeter));
                Named(root)
            });
            let app = backend.service(app.with_config(config.clone()));
            let server = server.unwrap();
            within(backend, "start", app.start()).await.unwrap();
            let address = server.service().local_addr().unwrap();
            let mut clients: Vec<_> = (0..cap).map(|_| connect(address)).collect();
            for client in &mut clients {
                assert_eq!(read_line(client), "Hello World\n");
            }
            let path = format!("{root}/StreamServer");
            until(backend, "the cap logged", || !logged(&path, "at its cap").is_empty()).await;
            let lines = logged(&path, "at its cap");
            let open = if cap == 1 { "1 open connection;" } else { "2 open connections;" };
            assert!(lines[0].contains(&format!("at its cap of {open}")), "{lines:#?}");
            drop(clients);
            until(backend, "connections closed", || server.gauge("connections").get() == 0).await;
            within(backend, "stop", app.stop()).await.unwrap();
        }
    });
}

#[test]
fn bad_limits_in_the_configuration_are_refused_naming_the_setting() {
    let refused = |key: &str, value: &str| match Config::builder().env(false).set(key, value).load() {
        Ok(_) => panic!("{key} = {value} was accepted"),
        Err(err) => err.to_string(),
    };
    for value in ["0", "-1", "many"] {
        let err = refused("net.max_connections", value);
        assert!(err.contains("setting `net.max_connections` expects a number of connections of at least 1"), "{err}");
    }
    for key in ["http.idle_timeout", "http.header_read_timeout"] {
        for value in ["0", "-1", "1e20", "soon"] {
            let err = refused(key, value);
            assert!(err.contains(&format!("setting `{key}` expects a number of seconds above 0")), "{err}");
        }
    }
    let err = refused("http.max_concurrent_streams", "0");
    assert!(err.contains("setting `http.max_concurrent_streams`"), "{err}");

    let config = Config::builder().env(false).set("net.max_connections", "auto").load().unwrap();
    assert_eq!(
        ginkgo::net::ServerLimits::default().max_connections(&config),
        ginkgo::net::MaxConnections::Auto.resolve()
    );
}

#[cfg(feature = "http")]
mod http_support;

#[cfg(feature = "http")]
mod http {
    //! `HttpServer` on each async backend, over TCP and a Unix socket: idle and slow
    //! connections, HTTP/2 streams, and its cap.

    use std::pin::pin;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use axum::Router;
    use bytes::Bytes;
    use futures::future::{Either, select};
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    use ginkgo::http::HttpServer;
    use ginkgo::testing::{until, within};
    use ginkgo::{Backend, Config, ServiceHandle};
    use tokio_util::compat::FuturesAsyncReadCompatExt;

    use super::http_support::{
        Client, Endpoint, Gates, Socket, app, ask, closed, connect, each_async_backend_and_socket, request, response,
        spawn, still_open,
    };
    use super::limits_support::{Named, capture_log, logged};

    struct Running {
        app: ServiceHandle<Named>,
        server: ServiceHandle<HttpServer>,
        endpoint: Endpoint,
        path: String,
        gates: Arc<Gates>,
    }

    /// The server `server` makes of the app and the address of `socket`, under a parent named
    /// `root` and the socket's kind.
    async fn started(
        backend: Backend,
        root: String,
        socket: &Socket,
        server: impl FnOnce(&str, Router) -> HttpServer,
        config: Config,
    ) -> Running {
        capture_log();
        let root: &'static str = format!("{root}{}", socket.kind()).leak();
        let gates = Arc::new(Gates::default());
        let mut handle = None;
        let app = ServiceHandle::build(|parent| {
            handle = Some(parent.add_service(server(socket.address(), app(gates.clone()))));
            Named(root)
        });
        let app = backend.service(app.with_config(config));
        within(backend, "start", app.start()).await.unwrap();
        let server = handle.unwrap();
        let endpoint = Endpoint::of(server.service());
        Running { app, server, endpoint, path: format!("{root}/HttpServer"), gates }
    }

    fn no_config() -> Config {
        Config::builder().env(false).load().unwrap()
    }

    #[test]
    fn an_idle_keep_alive_connection_is_closed_and_a_busy_or_active_one_is_not() {
        each_async_backend_and_socket(|backend, socket| async move {
            let idle_timeout = Duration::from_millis(300);
            // From the settings, as an operator would set it.
            let config = Config::builder().env(false).set("http.idle_timeout", "0.3").load().unwrap();
            let server = |address: &str, app| HttpServer::new(address, app);
            let running = started(backend, format!("IdleHttp{backend}"), &socket, server, config).await;
            let address = &running.endpoint;

            // A request in progress for longer than the idle timeout, in silence.
            let mut busy = connect(backend, address).await;
            request(&mut busy, "/slow").await;
            within(backend, "handler entered", running.gates.entered.notified()).await;

            let mut silent = connect(backend, address).await;
            let mut idle = connect(backend, address).await;
            // The server's idle clock starts when it has sent its answer: after this.
            let asked = Instant::now();
            assert_eq!(ask(backend, &mut idle, "/").await, "hello");

            // Requests back to back on another connection, until the idle one is closed.
            let mut active = connect(backend, address).await;
            let mut requests = 0;
            {
                let mut idle_closed = pin!(closed(backend, &mut idle));
                loop {
                    let next = pin!(ask(backend, &mut active, "/"));
                    match select(next, idle_closed.as_mut()).await {
                        Either::Left((body, _)) => {
                            assert_eq!(body, "hello");
                            requests += 1;
                        }
                        Either::Right((nothing_more, _)) => {
                            assert!(nothing_more);
                            break;
                        }
                    }
                }
            }
            assert!(asked.elapsed() >= idle_timeout, "closed {:?} after the request", asked.elapsed());
            assert!(requests > 0);
            assert!(closed(backend, &mut silent).await, "a connection that never sent a request is closed too");
            assert_eq!(ask(backend, &mut active, "/").await, "hello", "the active connection is still served");

            running.gates.release.notify_one();
            assert_eq!(response(backend, &mut busy).await.1, "done", "the busy connection was not cut");
            until(backend, "two connections left", || running.server.gauge("connections").get() == 2).await;
            within(backend, "stop", running.app.stop()).await.unwrap();
        });
    }

    /// Writes `head` to `stream`, then the bytes of `drip` one every 10 ms, then nothing: a
    /// request that never ends. Returns how long until the server closed the connection.
    async fn trickle(backend: Backend, stream: Client, head: &[u8], drip: &[u8]) -> Duration {
        let began = Instant::now();
        let (mut from_server, mut to_server) = (stream.clone(), stream);
        let manager = backend.manager();
        let writing = async move {
            to_server.write_all(head).await?;
            for byte in drip {
                to_server.write_all(&[*byte]).await?;
                manager.sleep(Duration::from_millis(10)).await;
            }
            futures::future::pending::<()>().await;
            Ok::<(), std::io::Error>(())
        };
        let mut rest = Vec::new();
        let reading = from_server.read_to_end(&mut rest);
        match within(backend, "slow headers cut off", select(pin!(reading), pin!(writing))).await {
            // End of file, or a reset: closed either way.
            Either::Left(_) => {}
            Either::Right((wrote, reading)) => {
                assert!(wrote.is_err(), "the trickle ends only when the server is gone");
                let _ = within(backend, "close", reading).await;
            }
        }
        // hyper may answer what it has of the request as malformed before it closes.
        let said = String::from_utf8_lossy(&rest);
        assert!(said.is_empty() || said.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{said}");
        began.elapsed()
    }

    #[test]
    fn request_headers_sent_a_byte_at_a_time_are_cut_off() {
        each_async_backend_and_socket(|backend, socket| async move {
            let header_read_timeout = Duration::from_millis(300);
            let server = move |address: &str, app| {
                HttpServer::new(address, app)
                    .with_header_read_timeout(header_read_timeout)
                    .with_idle_timeout(Duration::from_secs(60))
            };
            let running = started(backend, format!("SlowHeaders{backend}"), &socket, server, no_config()).await;
            let address = &running.endpoint;
            let mut silent = connect(backend, address).await;

            let first = connect(backend, address).await;
            let endless = [b'a'; 2000];
            let took = trickle(backend, first, b"GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ", &endless).await;
            assert!(took >= header_read_timeout, "cut after {took:?}");

            // On a kept-alive connection, the next request's headers too.
            let mut kept = connect(backend, address).await;
            assert_eq!(ask(backend, &mut kept, "/").await, "hello");
            let took = trickle(backend, kept, b"GET / HTTP/1.1\r\nX-Slow: ", &endless).await;
            assert!(took >= header_read_timeout, "cut after {took:?}");

            // And an HTTP/2 preface, never finished.
            let preface = connect(backend, address).await;
            let took = trickle(backend, preface, b"", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r").await;
            assert!(took >= header_read_timeout, "cut after {took:?}");

            // A connection that sends nothing is idle, not slow: it is still open.
            assert!(still_open(&mut silent));
            within(backend, "stop", running.app.stop()).await.unwrap();
        });
    }

    #[test]
    fn an_idle_http2_connection_is_closed_and_its_streams_are_capped() {
        each_async_backend_and_socket(|backend, socket| async move {
            let idle_timeout = Duration::from_millis(300);
            let server = move |address: &str, app| {
                HttpServer::new(address, app).with_idle_timeout(idle_timeout).with_max_concurrent_streams(3)
            };
            let running = started(backend, format!("IdleHttp2{backend}"), &socket, server, no_config()).await;
            let stream = connect(backend, &running.endpoint).await.compat();
            let (mut client, mut connection) =
                within(backend, "handshake", h2::client::handshake(stream)).await.unwrap();
            let request = http::Request::get("http://test/").body(()).unwrap();
            // The server's idle clock starts when it has sent its answer: after this.
            let asked = Instant::now();
            let (answer, _) = client.send_request(request, true).unwrap();
            let answer = match within(backend, "response", select(&mut connection, answer)).await {
                Either::Right((answer, _)) => answer.unwrap(),
                Either::Left((ended, _)) => panic!("the connection ended first: {ended:?}"),
            };
            assert_eq!(answer.status(), 200);
            assert_eq!(connection.max_concurrent_send_streams(), 3, "the server's SETTINGS");
            let connection = spawn(backend, connection);
            let mut body = answer.into_body();
            let mut got = Vec::new();
            while let Some(data) = within(backend, "body", body.data()).await {
                got.extend_from_slice(&data.unwrap());
            }
            assert_eq!(Bytes::from(got), "hello");

            // Idle now (the client could still send requests): the server says goodbye and
            // closes.
            match within(backend, "the idle connection closed", connection).await {
                Ok(()) => {}
                // The server closed first, and what the client wrote after (its answer to the
                // GOAWAY, its shutdown) found the socket gone, as a Unix socket tells at once:
                // closed all the same.
                Err(err) if err.get_io().is_some_and(|err| peer_gone(err.kind())) => {}
                Err(err) => panic!("over {}: {err:?}", socket.kind()),
            }
            assert!(asked.elapsed() >= idle_timeout, "closed {:?} after the request", asked.elapsed());
            drop(client);
            until(backend, "no connection left", || running.server.gauge("connections").get() == 0).await;
            within(backend, "stop", running.app.stop()).await.unwrap();
        });
    }

    /// True for the errors of writing to a socket whose other end has closed.
    fn peer_gone(kind: std::io::ErrorKind) -> bool {
        use std::io::ErrorKind::{BrokenPipe, ConnectionReset, NotConnected};
        matches!(kind, BrokenPipe | ConnectionReset | NotConnected)
    }

    #[test]
    fn an_http_server_at_its_cap_answers_the_next_client_once_one_closes() {
        each_async_backend_and_socket(|backend, socket| async move {
            let server = |address: &str, app| HttpServer::new(address, app).with_max_connections(1);
            let running = started(backend, format!("CappedHttp{backend}"), &socket, server, no_config()).await;
            let mut first = connect(backend, &running.endpoint).await;
            assert_eq!(ask(backend, &mut first, "/").await, "hello");
            let cap_logged = || !logged(&running.path, "at its cap of 1 open connection;").is_empty();
            until(backend, "the cap logged", cap_logged).await;
            let mut second = connect(backend, &running.endpoint).await;
            request(&mut second, "/").await;
            assert!(still_open(&mut second), "no answer while the first is open");
            assert_eq!(ask(backend, &mut first, "/").await, "hello", "the first is still served");
            drop(first);
            assert_eq!(response(backend, &mut second).await.1, "hello");
            assert_eq!(running.server.gauge("connections").get(), 1);
            within(backend, "stop", running.app.stop()).await.unwrap();
        });
    }
}
