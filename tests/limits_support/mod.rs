//! What the tests of the servers' limits share, and the other network tests with them: a log
//! capture, a named root, a greeting server that counts its handlers, blocking clients, and a
//! `StreamClient` that passes on the lines it receives.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, ErrorKind, Read};
use std::net::{SocketAddr, TcpStream};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::channel::mpsc;
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use ginkgo::net::{Connection, StreamClient, StreamServer};
use ginkgo::testing::{DEADLINE, within};
use ginkgo::{Backend, Backoff, Context, Service, ServiceHandle};
use ginkgo_core::net::REPORT_INTERVAL;

/// Every log line of the test binary; tests tell theirs apart by the service paths, which they
/// make unique with a [`Named`] root.
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        LINES.lock().unwrap().push(format!("{} {}", record.level(), record.args()));
    }
    fn flush(&self) {}
}

/// Starts capturing the log (once per binary).
pub(crate) fn capture_log() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Debug);
    });
}

/// The log lines so far that contain `path` and `text`.
pub(crate) fn logged(path: &str, text: &str) -> Vec<String> {
    capture_log();
    LINES.lock().unwrap().iter().filter(|line| line.contains(path) && line.contains(text)).cloned().collect()
}

/// How many lines about one thing a test that began at `began` may see: one, and one more per
/// report interval gone by.
pub(crate) fn at_most_one_line_per_interval(began: Instant) -> usize {
    1 + (began.elapsed().as_secs() / REPORT_INTERVAL.as_secs()) as usize
}

/// A started server under a root of its own.
pub(crate) struct Started {
    pub(crate) app: ServiceHandle<Named>,
    pub(crate) server: ServiceHandle<StreamServer>,
    pub(crate) address: SocketAddr,
    /// The server's path, which starts its log lines.
    pub(crate) path: String,
}

/// Starts `server` on `backend`, as the child of a root called `root`.
pub(crate) async fn start(backend: Backend, root: String, server: StreamServer) -> Started {
    let root: &'static str = root.leak();
    let mut child = None;
    let app = backend.service(ServiceHandle::build(|app| {
        child = Some(app.add_service(server));
        Named(root)
    }));
    let server = child.unwrap();
    within(backend, "start", app.start()).await.unwrap();
    let address = server.service().local_addr().unwrap();
    Started { app, server, address, path: format!("{root}/StreamServer") }
}

/// A root with a name of its own, so that its tree's log lines can be told apart.
pub(crate) struct Named(pub &'static str);

impl Service for Named {
    fn name(&self) -> String {
        self.0.to_string()
    }
}

/// How many handlers run now, and the most that ever ran at once.
#[derive(Clone, Default)]
pub(crate) struct Handlers(Arc<(AtomicUsize, AtomicUsize)>);

impl Handlers {
    pub(crate) fn most_at_once(&self) -> usize {
        self.0.1.load(Ordering::SeqCst)
    }

    fn enter(&self) -> Running {
        let now = self.0.0.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.1.fetch_max(now, Ordering::SeqCst);
        Running(self.clone())
    }
}

/// One handler running, until dropped (also when its task is cancelled).
struct Running(Handlers);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.0.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A server on 127.0.0.1 that greets each client with `Hello World`, then answers each line
/// with `echo: <line>`, counting its handlers in `handlers`.
pub(crate) fn greeter(handlers: &Handlers) -> StreamServer {
    greeter_at("127.0.0.1:0", handlers)
}

/// The [`greeter`] on `address`.
pub(crate) fn greeter_at(address: &str, handlers: &Handlers) -> StreamServer {
    let handlers = handlers.clone();
    StreamServer::new(address, move |connection: Connection, ctx: Context| {
        let running = handlers.enter();
        async move {
            let _running = running;
            let (reader, mut writer) = connection.split();
            writer.write_all(b"Hello World\n").await?;
            let mut lines = futures::io::BufReader::new(reader).lines();
            while let Some(line) = ctx.until_stopping(lines.next()).await? {
                writer.write_all(format!("echo: {}\n", line?).as_bytes()).await?;
            }
            Ok(())
        }
    })
}

/// A blocking client of `address`, whose reads give up after the tests' deadline.
pub(crate) fn connect(address: SocketAddr) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).expect("read timeout");
    BufReader::new(stream)
}

/// The next line from the server.
pub(crate) fn read_line(client: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    client.read_line(&mut line).expect("read a line");
    line
}

/// True if the server has sent nothing yet (and not closed): a look at this instant, without
/// waiting.
pub(crate) fn nothing_yet(client: &BufReader<TcpStream>) -> bool {
    let stream = client.get_ref();
    stream.set_nonblocking(true).unwrap();
    let mut byte = [0; 1];
    let nothing = matches!((&*stream).read(&mut byte), Err(err) if err.kind() == ErrorKind::WouldBlock);
    stream.set_nonblocking(false).unwrap();
    nothing && client.buffer().is_empty()
}

/// A client of whatever `address` says that sends every line it receives to `lines`; it tries
/// again within 5 to 50 ms, and its handler gets 200 ms to finish at the stop.
pub(crate) fn line_client(
    address: impl Fn() -> Option<String> + Send + Sync + 'static,
) -> (StreamClient, mpsc::UnboundedReceiver<String>) {
    let (send, lines) = mpsc::unbounded();
    let client = StreamClient::with_address_from(address, move |connection: Connection, ctx: Context| {
        let send = send.clone();
        async move {
            let mut lines = futures::io::BufReader::new(connection).lines();
            while let Some(line) = ctx.until_stopping(lines.next()).await? {
                let _ = send.unbounded_send(line?);
            }
            Ok(())
        }
    })
    .with_backoff(Backoff {
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        ..Backoff::default()
    })
    .with_stop_timeout(Duration::from_millis(200));
    (client, lines)
}
