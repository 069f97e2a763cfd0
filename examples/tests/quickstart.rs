//! The quickstart's services over real sockets on 127.0.0.1: the TCP ones on every backend,
//! the web ones on tokio (and refused, cleanly, elsewhere).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use ginkgo::testing::{DEADLINE, each_backend, until, within};
use ginkgo::{Backend, ErrorKind, State};
use ginkgo_examples::quickstart::{AppServer, HelloWorld, HelloWorldClient, HelloWorldServer, HelloWorldWebServer};

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
fn hello_world_web_server_answers_html() {
    let backend = Backend::Tokio;
    backend.block_on(async {
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
fn app_server_answers_hello_world() {
    let backend = Backend::Tokio;
    backend.block_on(async {
        let app = backend.service(AppServer::with_address("127.0.0.1:0"));
        within(backend, "start", app.start()).await.unwrap();
        let response = get(app.service().local_addr().unwrap());
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.ends_with("\r\n\r\nHello World!"), "{response}");
        within(backend, "stop", app.stop()).await.unwrap();
    });
}

#[test]
fn hello_world_runs_the_three_together_on_tokio() {
    let backend = Backend::Tokio;
    backend.block_on(async {
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
fn hello_world_elsewhere_than_tokio_fails_to_start_and_rolls_back() {
    each_backend(|backend| async move {
        if backend == Backend::Tokio {
            return;
        }
        let all = backend.service(HelloWorld::with_output("127.0.0.1:0", "127.0.0.1:0", Printed::default()));
        let err = within(backend, "start", all.start()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StartFailed);
        assert_eq!(
            err.chain().to_string(),
            format!(
                "HelloWorld/HelloWorldWebServer/HttpServer: do_start failed: \
                 ginkgo_tokio::HttpServer runs only on the tokio backend, not on `{backend}`"
            )
        );
        let states: Vec<_> = all.children().iter().map(|c| c.state()).collect();
        assert_eq!(states, [State::Stopped, State::Stopped, State::Failed]);
    });
}
