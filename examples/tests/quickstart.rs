//! The quickstart's services over real sockets on 127.0.0.1: the TCP ones on every backend,
//! the web ones on tokio, smol and async-std (and refused, cleanly, on threads); and, through
//! the real `ginkgo` binary, the web ones on a Unix socket (asked by hand and by curl) and the
//! client following its server's Unix socket, on each of those.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use ginkgo::testing::{DEADLINE, each_backend, until, within};
use ginkgo::{Backend, ErrorKind, State};
use ginkgo_examples::quickstart::{AppServer, HelloWorld, HelloWorldClient, HelloWorldServer, HelloWorldWebServer};
use support::{Home, Running, SIGTERM, finish, ginkgo};

/// The backends the web servers run on.
const WEB_BACKENDS: [&str; 3] = ["tokio", "smol", "async-std"];

/// Runs `body` on each of [`WEB_BACKENDS`].
fn each_web_backend<F, Fut>(body: F)
where
    F: Fn(Backend) -> Fut,
    Fut: Future<Output = ()>,
{
    each_backend(|backend| {
        let run = WEB_BACKENDS.contains(&backend.name()).then(|| body(backend));
        async move {
            if let Some(run) = run {
                run.await;
            }
        }
    });
}

/// What a client printed.
#[derive(Clone, Default)]
struct Printed(Arc<Mutex<Vec<u8>>>);

impl Printed {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Printed {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn connect(address: SocketAddr) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    BufReader::new(stream)
}

fn read_line(reader: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("a line");
    line
}

/// A blocking HTTP/1.1 GET: the whole response, head and body.
fn get(address: SocketAddr) -> String {
    let mut stream = connect(address).into_inner();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn the_defaults_are_the_manuals() {
    assert_eq!(HelloWorldServer::new().service().stream_server().service().address(), "0.0.0.0:7000");
    assert_eq!(HelloWorldWebServer::new().service().http_server().service().address(), "0.0.0.0:8000");
    assert_eq!(AppServer::new().service().http_server().service().address(), "0.0.0.0:8000");
    let all = HelloWorld::new();
    let names: Vec<_> = all.children().iter().map(|c| c.name().to_string()).collect();
    assert_eq!(names, ["HelloWorldServer", "HelloWorldClient", "HelloWorldWebServer"]);
    assert_eq!(all.service().server().service().stream_server().path(), "HelloWorld/HelloWorldServer/StreamServer");
}

#[test]
fn hello_world_server_greets_every_client_on_every_backend() {
    each_backend(|backend| async move {
        let server = backend.service(HelloWorldServer::with_address("127.0.0.1:0"));
        within(backend, "start", server.start()).await.unwrap();
        let address = server.service().local_addr().unwrap();
        let mut clients = [connect(address), connect(address)];
        for client in &mut clients {
            assert_eq!(read_line(client), "Hello World\n");
        }
        let counted = server.service().stream_server().gauge("connections");
        assert_eq!(counted.get(), 2);
        within(backend, "stop", server.stop()).await.unwrap();
        assert_eq!(counted.get(), 0);
    });
}

#[test]
fn hello_world_client_prints_each_line_on_every_backend() {
    each_backend(|backend| async move {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let printed = Printed::default();
        let client = backend.service(HelloWorldClient::with_output(listener.local_addr().unwrap(), printed.clone()));
        within(backend, "start", client.start()).await.unwrap();
        assert!(client.service().is_connected());
        let (mut server_side, _) = listener.accept().unwrap();
        server_side.write_all(b"Hello World\nHello World\n").unwrap();
        until(backend, "two lines", || printed.text() == "Hello World\nHello World\n").await;
        within(backend, "stop", client.stop()).await.unwrap();
    });
}

#[test]
fn hello_world_client_and_server_talk_on_every_backend() {
    each_backend(|backend| async move {
        let server = backend.service(HelloWorldServer::with_address("127.0.0.1:0"));
        within(backend, "start server", server.start()).await.unwrap();
        let printed = Printed::default();
        let client =
            backend.service(HelloWorldClient::with_output(server.service().local_addr().unwrap(), printed.clone()));
        within(backend, "start client", client.start()).await.unwrap();
        until(backend, "a line", || printed.text().starts_with("Hello World\n")).await;
        within(backend, "stop client", client.stop()).await.unwrap();
        within(backend, "stop server", server.stop()).await.unwrap();
    });
}

#[test]
fn hello_world_web_server_answers_html_on_every_async_backend() {
    each_web_backend(|backend| async move {
        let web = backend.service(HelloWorldWebServer::with_address("127.0.0.1:0"));
        within(backend, "start", web.start()).await.unwrap();
        let response = get(web.service().local_addr().unwrap());
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.to_ascii_lowercase().contains("\r\ncontent-type: text/html\r\n"), "{response}");
        assert!(response.ends_with("\r\n\r\n<strong>Hello World</strong>"), "{response}");
        within(backend, "stop", web.stop()).await.unwrap();
    });
}

#[test]
fn app_server_answers_hello_world_on_every_async_backend() {
    each_web_backend(|backend| async move {
        let app = backend.service(AppServer::with_address("127.0.0.1:0"));
        within(backend, "start", app.start()).await.unwrap();
        let response = get(app.service().local_addr().unwrap());
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.ends_with("\r\n\r\nHello World!"), "{response}");
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn hello_world_runs_the_three_together_on_every_async_backend() {
    each_web_backend(|backend| async move {
        let printed = Printed::default();
        let all = backend.service(HelloWorld::with_output("127.0.0.1:0", "127.0.0.1:0", printed.clone()));
        within(backend, "start", all.start()).await.unwrap();
        // The client found the server on its port 0.
        until(backend, "the client's first line", || printed.text().starts_with("Hello World\n")).await;
        let stream = all.service().server().service().local_addr().unwrap();
        assert_eq!(read_line(&mut connect(stream)), "Hello World\n");
        let web = all.service().web_server().service().local_addr().unwrap();
        assert!(get(web).ends_with("<strong>Hello World</strong>"));
        within(backend, "stop", all.stop()).await.unwrap();
        assert!(all.snapshot().walk().iter().all(|s| s.state == State::Stopped));
    });
}

#[test]
fn hello_world_on_threads_fails_to_start_and_rolls_back() {
    each_backend(|backend| async move {
        if backend.name() != "threads" {
            return;
        }
        let all = backend.service(HelloWorld::with_output("127.0.0.1:0", "127.0.0.1:0", Printed::default()));
        let err = within(backend, "start", all.start()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StartFailed);
        assert_eq!(
            err.chain().to_string(),
            "HelloWorld/HelloWorldWebServer/HttpServer: do_start failed: \
             ginkgo::http::HttpServer runs only on the tokio, smol or async-std backend, not on `threads`"
        );
        let states: Vec<_> = all.children().iter().map(|c| c.state()).collect();
        assert_eq!(states, [State::Stopped, State::Stopped, State::Failed]);
    });
}

/// True if curl can be run; otherwise says which half of `test` is skipped.
fn curl_is_there(test: &str) -> bool {
    let there = Command::new("curl").arg("--version").output().is_ok_and(|out| out.status.success());
    if !there {
        eprintln!("{test}: the curl half skipped: curl is not installed");
    }
    there
}

/// `curl --unix-socket SOCKET http://localhost/`: its exit code and what it printed.
fn curl_unix(socket: &Path) -> (i32, String) {
    let mut curl = Command::new("curl");
    curl.args(["--silent", "--show-error", "--max-time", "20", "--unix-socket"]).arg(socket);
    curl.arg("http://localhost/");
    let done = finish(curl);
    (done.code(), done.stdout)
}

/// `GET /` over the Unix socket at `socket`, by hand: the whole response.
fn get_unix(socket: &Path) -> String {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// `ginkgo --set async=BACKEND --set KEY=unix:SOCKET… TARGET`, once its servers listen.
fn ginkgo_on_unix_sockets(home: &Home, backend: &str, sockets: &[(&str, &Path)], target: &str) -> Running {
    let mut command = home.command(ginkgo());
    command.arg("--set").arg(format!("async={backend}"));
    for (key, socket) in sockets {
        command.arg("--set").arg(format!("{key}=unix:{}", socket.display()));
    }
    command.arg(target);
    let run = Running::start(command);
    for (_, socket) in sockets {
        run.stderr.wait_contains(&format!(": listening on unix:{}", socket.display()));
    }
    let starting = format!("runner: starting {target} on {backend}");
    assert!(run.stderr.all().iter().any(|line| line.ends_with(&starting)), "{starting}");
    run
}

#[test]
fn the_web_servers_answer_on_a_unix_socket_through_ginkgo_on_every_async_backend() {
    let curl = curl_is_there("the_web_servers_answer_on_a_unix_socket_through_ginkgo_on_every_async_backend");
    let home = Home::new();
    let socket = home.file("app.sock");
    for backend in WEB_BACKENDS {
        for (target, body) in [
            ("quickstart.AppServer", "Hello World!"),
            ("quickstart.HelloWorldWebServer", "<strong>Hello World</strong>"),
        ] {
            let mut web = ginkgo_on_unix_sockets(&home, backend, &[("quickstart.web_address", &socket)], target);
            let response = get_unix(&socket);
            assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{target} on {backend}: {response}");
            assert!(response.ends_with(&format!("\r\n\r\n{body}")), "{target} on {backend}: {response}");
            if curl {
                assert_eq!(curl_unix(&socket), (0, body.to_string()), "curl: {target} on {backend}");
            }
            web.signal(SIGTERM);
            assert_eq!(web.exit_code(), 0, "{target} on {backend}");
            assert!(!socket.exists(), "{target} on {backend}: the socket's file is removed at the stop");
        }
    }
}

#[test]
fn hello_world_client_follows_its_server_on_a_unix_socket_through_ginkgo_on_every_async_backend() {
    let home = Home::new();
    let (server, web) = (home.file("hello.sock"), home.file("web.sock"));
    for backend in WEB_BACKENDS {
        let sockets = [("quickstart.server_address", server.as_path()), ("quickstart.web_address", web.as_path())];
        let mut all = ginkgo_on_unix_sockets(&home, backend, &sockets, "quickstart.HelloWorld");
        // The client prints what the server sends it over the server's socket.
        all.stdout.wait_for("Hello World, from the client", |line| line == "Hello World");
        let connected = format!("HelloWorld/HelloWorldClient/StreamClient: connected to unix:{}", server.display());
        assert!(all.stderr.all().iter().any(|line| line.ends_with(&connected)), "{connected}");
        assert!(get_unix(&web).ends_with("\r\n\r\n<strong>Hello World</strong>"), "on {backend}");
        all.signal(SIGTERM);
        assert_eq!(all.exit_code(), 0, "on {backend}");
        assert!(!server.exists() && !web.exists(), "on {backend}: the sockets' files are removed at the stop");
    }
}

#[test]
fn the_web_servers_on_threads_fail_to_start_through_ginkgo_naming_the_backends() {
    let home = Home::new();
    let socket = home.file("app.sock");
    let mut command = home.command(ginkgo());
    command.args(["--set", "async=threads"]);
    command.arg("--set").arg(format!("quickstart.web_address=unix:{}", socket.display()));
    command.arg("quickstart.AppServer");
    let done = finish(command);
    assert_eq!(done.code(), 1, "{}", done.stderr);
    let expected = "ginkgo: error: AppServer/HttpServer: do_start failed: \
                    ginkgo::http::HttpServer runs only on the tokio, smol or async-std backend, not on `threads`";
    assert!(done.stderr.lines().any(|line| line == expected), "{}", done.stderr);
    assert!(!socket.exists(), "nothing listened");
}
