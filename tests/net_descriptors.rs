//! Servers out of file descriptors: they keep serving the connections they have, log a few
//! lines rather than one per attempt, and accept again by themselves once descriptors are
//! free. Every backend's `StreamServer`, and `HttpServer` on each async backend.
//!
//! The test lowers this process's limit on open files and takes every descriptor left, so it
//! has a test binary of its own, with one test.

mod limits_support;

use std::fs::File;
use std::io::Write;
use std::time::Instant;

use ginkgo::Gauge;
use ginkgo::testing::{each_backend, until, within};
use limits_support::{
    Handlers, Started, at_most_one_line_per_interval, capture_log, connect, greeter, logged, nothing_yet, read_line,
    start,
};
use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// The limit on open files the test runs under: room for the runtimes and the test's sockets,
/// few enough to take them all quickly.
const OPEN_FILES: u64 = 256;

/// How many failed accepts the test waits for before it frees the descriptors.
const FAILURES: i64 = 5;

/// Every descriptor the process had left, held open.
struct Hoard(Vec<File>);

impl Hoard {
    /// Opens `/dev/null` until the process may open no more.
    fn take_all() -> Hoard {
        let mut hoard = Hoard(Vec::new());
        hoard.top_up();
        assert!(!hoard.0.is_empty(), "the process already had {OPEN_FILES} files open");
        hoard
    }

    /// Takes the descriptors freed since (another thread may have held one for a moment).
    fn top_up(&mut self) {
        loop {
            match File::open("/dev/null") {
                Ok(file) => self.0.push(file),
                Err(err) if err.raw_os_error() == Some(nix::libc::EMFILE) => break,
                Err(err) => panic!("opening /dev/null: {err}"),
            }
        }
    }

    /// Closes one, for the next client's socket.
    fn spare_one(&mut self) {
        self.0.pop();
    }
}

/// Checks the lines of the server at `path` after `failures` failed accepts.
fn check_failure_lines(path: &str, began: Instant) {
    let lines = logged(path, "cannot accept connections");
    assert!(!lines.is_empty() && lines.len() <= at_most_one_line_per_interval(began), "{lines:#?}");
    assert!(
        lines[0].starts_with(&format!("WARN {path}: cannot accept connections: Too many open files (os error 24) (1 failed attempt since the last report; 1 connections open, still served)")),
        "{lines:#?}"
    );
}

/// Checks the line saying the server at `path` accepts again, after as many failures as
/// `failures` counted.
fn check_recovery_line(path: &str, failures: &Gauge) {
    let lines = logged(path, "accepting connections again");
    let expected = format!("INFO {path}: accepting connections again, after {} failed attempts", failures.get());
    assert_eq!(lines, [expected]);
}

#[test]
fn servers_out_of_descriptors_keep_serving_and_accept_again_once_some_are_freed() {
    capture_log();
    let (_soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, OPEN_FILES.min(hard), hard).unwrap();

    each_backend(|backend| async move {
        let began = Instant::now();
        let handlers = Handlers::default();
        let Started { app, server, address, path } =
            start(backend, format!("Exhausted{backend}"), greeter(&handlers)).await;
        let mut served = connect(address);
        assert_eq!(read_line(&mut served), "Hello World\n");

        let mut hoard = Hoard::take_all();
        hoard.spare_one();
        let mut waiting = connect(address);
        hoard.top_up();
        let failures = server.gauge("accept_failures");
        until(backend, "failed accepts", || failures.get() >= FAILURES).await;

        writeln!(served.get_mut(), "still served?").unwrap();
        assert_eq!(read_line(&mut served), "echo: still served?\n");
        assert!(nothing_yet(&waiting), "no descriptor for the waiting client yet");
        check_failure_lines(&path, began);

        drop(hoard);
        assert_eq!(read_line(&mut waiting), "Hello World\n", "accepted once descriptors are free");
        check_recovery_line(&path, &failures);
        assert!(failures.get() >= FAILURES);

        drop((served, waiting));
        until(backend, "connections closed", || server.gauge("connections").get() == 0).await;
        within(backend, "stop", app.stop()).await.unwrap();
    });

    #[cfg(feature = "http")]
    http::an_http_server_out_of_descriptors_keeps_serving_and_accepts_again();
}

#[cfg(feature = "http")]
mod http_support;

#[cfg(feature = "http")]
mod http {
    use std::time::Instant;

    use futures::io::{AsyncReadExt, AsyncWriteExt};
    use ginkgo::Backend;
    use ginkgo::ServiceHandle;
    use ginkgo::http::HttpServer;
    use ginkgo::testing::{until, within};

    use super::http_support::{Client, Endpoint, connect, each_async_backend};
    use super::limits_support::Named;
    use super::{FAILURES, Hoard, check_failure_lines, check_recovery_line};

    async fn ask(backend: Backend, stream: &mut Client) -> String {
        stream.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
        answer(backend, stream).await
    }

    /// The next response, whose body is `hello`: its status line.
    async fn answer(backend: Backend, stream: &mut Client) -> String {
        let mut response = Vec::new();
        while !response.ends_with(b"\r\n\r\nhello") {
            let mut byte = [0; 1];
            within(backend, "a response", stream.read_exact(&mut byte)).await.expect("a response");
            response.push(byte[0]);
        }
        String::from_utf8(response).unwrap().lines().next().unwrap().to_string()
    }

    pub(super) fn an_http_server_out_of_descriptors_keeps_serving_and_accepts_again() {
        each_async_backend(|backend| async move {
            let began = Instant::now();
            let root: &'static str = format!("ExhaustedHttp{backend}").leak();
            let hello = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
            let mut server = None;
            let app = backend.service(ServiceHandle::build(|app| {
                server = Some(app.add_service(HttpServer::new("127.0.0.1:0", hello)));
                Named(root)
            }));
            let server = server.unwrap();
            within(backend, "start", app.start()).await.unwrap();
            let address = Endpoint::of(server.service());
            let path = format!("{root}/HttpServer");
            let mut served = connect(backend, &address).await;
            assert_eq!(ask(backend, &mut served).await, "HTTP/1.1 200 OK");

            let mut hoard = Hoard::take_all();
            hoard.spare_one();
            let mut waiting = connect(backend, &address).await;
            waiting.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
            hoard.top_up();
            let failures = server.gauge("accept_failures");
            until(backend, "failed accepts", || failures.get() >= FAILURES).await;

            assert_eq!(ask(backend, &mut served).await, "HTTP/1.1 200 OK", "still served");
            check_failure_lines(&path, began);

            drop(hoard);
            assert_eq!(answer(backend, &mut waiting).await, "HTTP/1.1 200 OK", "accepted once descriptors are free");
            check_recovery_line(&path, &failures);
            within(backend, "stop", app.stop()).await.unwrap();
        });
    }
}
