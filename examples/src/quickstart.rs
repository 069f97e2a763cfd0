//! `quickstart`: the services of the manual's quickstart. A TCP server, a client that stays
//! connected to it, a web server, the three together, and an axum app.
//!
//! | service                | what it does                                                  | backends  |
//! |------------------------|---------------------------------------------------------------|-----------|
//! | [`HelloWorldServer`]   | TCP on `0.0.0.0:7000`: `Hello World` every second, to each client | all four |
//! | [`HelloWorldClient`]   | connects to `127.0.0.1:7000`, prints each line it receives    | all four  |
//! | [`HelloWorldWebServer`]| HTTP on `0.0.0.0:8000`: `<strong>Hello World</strong>`        | async (3) |
//! | [`HelloWorld`]         | the three above together                                       | async (3) |
//! | [`AppServer`]          | an axum app on `0.0.0.0:8000`: `Hello World!`                  | async (3) |
//!
//! The TCP services are written once, with `ginkgo::net`, and run on whichever backend runs
//! the tree. The web servers use `ginkgo::http::HttpServer` (hyper), which runs on the three
//! async backends (tokio, smol, async-std); on the threads backend their start fails with an
//! error saying so.
//!
//! The addresses are settings ([`SERVER_ADDRESS`], [`CLIENT_ADDRESS`], [`WEB_ADDRESS`]) whose
//! defaults are the manual's; `new()` reads them from the process's configuration (the one the
//! runner loaded), and `with_address` (or `with_addresses`) takes others, such as
//! `127.0.0.1:0` in tests. Each is `host:port` or `unix:/path/to.sock`.
//!
//! TLS is settings too: with [`TLS_CERT`] and [`TLS_KEY`] set (PEM files), `HelloWorldServer`,
//! `HelloWorldWebServer` and `AppServer` serve TLS (HTTPS for the web servers); with
//! [`CLIENT_TLS_CA`] set, `HelloWorldClient` connects with TLS, trusting that CA's
//! certificates. A reload reads the files again.

use std::convert::Infallible;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use ginkgo::http::HttpServer;
use ginkgo::net::{Connection, StreamClient, StreamServer};
use ginkgo::{Backoff, Config, Context, Service, ServiceHandle, TaskResult, setting};

setting!(pub static SERVER_ADDRESS: String {
    name: "quickstart.server_address",
    default: "0.0.0.0:7000".to_string(),
    help: "Where HelloWorldServer listens: host:port, or unix:/path",
    restart: true,
});

setting!(pub static CLIENT_ADDRESS: String {
    name: "quickstart.client_address",
    default: "127.0.0.1:7000".to_string(),
    help: "Where HelloWorldClient connects: host:port, or unix:/path",
});

setting!(pub static WEB_ADDRESS: String {
    name: "quickstart.web_address",
    default: "0.0.0.0:8000".to_string(),
    help: "Where HelloWorldWebServer and AppServer listen: host:port, or unix:/path",
    restart: true,
});

setting!(pub static CLIENT_BACKOFF: Backoff {
    name: "quickstart.client_backoff",
    default: Backoff::default(),
    help: "How HelloWorldClient waits between connection attempts: a table of\ninitial_delay and max_delay (seconds), factor and jitter",
    restart: true,
});

setting!(pub static TLS_CERT: Option<std::path::PathBuf> {
    name: "quickstart.tls_cert",
    default: None,
    help: "The certificate chain (PEM) HelloWorldServer, HelloWorldWebServer and AppServer\nserve TLS with, along with quickstart.tls_key; unset: no TLS",
});

setting!(pub static TLS_KEY: Option<std::path::PathBuf> {
    name: "quickstart.tls_key",
    default: None,
    help: "The private key (PEM) of quickstart.tls_cert",
});

setting!(pub static CLIENT_TLS_CA: Option<std::path::PathBuf> {
    name: "quickstart.client_tls_ca",
    default: None,
    help: "The CA certificates (PEM) HelloWorldClient trusts, connecting with TLS; unset: no TLS",
});

/// The current value of an address setting.
fn configured(address: &ginkgo::Setting<String>) -> String {
    address.get(Config::current())
}

/// Where the lines a [`HelloWorldClient`] receives go.
type Output = Arc<Mutex<dyn Write + Send>>;

/// A TCP server sending `Hello World` to each client once a second: a [`StreamServer`] child
/// and its handler.
///
/// ```no_run
/// use ginkgo::Backend;
/// use ginkgo_examples::quickstart::HelloWorldServer;
///
/// // Then `nc localhost 7000`.
/// Backend::default().serve_forever(HelloWorldServer::new())?;
/// # Ok::<(), ginkgo::Error>(())
/// ```
pub struct HelloWorldServer {
    server: ServiceHandle<StreamServer>,
}

impl HelloWorldServer {
    /// The server on [`SERVER_ADDRESS`].
    pub fn new() -> ServiceHandle<Self> {
        Self::with_address(configured(&SERVER_ADDRESS))
    }

    /// The server on `address`.
    pub fn with_address(address: impl ToString) -> ServiceHandle<Self> {
        ServiceHandle::build(|this| HelloWorldServer {
            server: this.add_service(StreamServer::new(address, hello).with_tls_settings(&TLS_CERT, &TLS_KEY)),
        })
    }

    /// The TCP server it is made of.
    pub fn stream_server(&self) -> &ServiceHandle<StreamServer> {
        &self.server
    }

    /// The address it listens on, while it listens on TCP.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.service().local_addr()
    }

    /// Where a client reaches it, while it listens: `127.0.0.1:PORT` (the loopback address
    /// when it listens on all of them), or `unix:/path/to.sock`.
    fn listening_on(&self) -> Option<String> {
        let server = self.server.service();
        let unix = || server.local_path().map(|path| format!("unix:{}", path.display()));
        server.local_addr().map(|address| reachable(address).to_string()).or_else(unix)
    }
}

impl Service for HelloWorldServer {}

/// Greets the client once a second until it leaves or the server stops.
async fn hello(mut connection: Connection, ctx: Context) -> TaskResult {
    loop {
        connection.write_all(b"Hello World\n").await?;
        ctx.sleep(Duration::from_secs(1)).await?;
    }
}

/// A TCP client that stays connected to a [`HelloWorldServer`] and prints each line it
/// receives: a [`StreamClient`] child and its handler. It reconnects whenever the connection
/// is lost.
///
/// ```no_run
/// use ginkgo::Backend;
/// use ginkgo_examples::quickstart::HelloWorldClient;
///
/// Backend::default().serve_forever(HelloWorldClient::new())?;
/// # Ok::<(), ginkgo::Error>(())
/// ```
pub struct HelloWorldClient {
    client: ServiceHandle<StreamClient>,
}

impl HelloWorldClient {
    /// The client of [`CLIENT_ADDRESS`], printing to standard output.
    pub fn new() -> ServiceHandle<Self> {
        Self::with_address(configured(&CLIENT_ADDRESS))
    }

    /// The client of `address`, printing to standard output.
    pub fn with_address(address: impl ToString) -> ServiceHandle<Self> {
        Self::with_output(address, std::io::stdout())
    }

    /// The client of `address`, writing each line to `output`.
    pub fn with_output(address: impl ToString, output: impl Write + Send + 'static) -> ServiceHandle<Self> {
        let address = address.to_string();
        Self::following(move || Some(address.clone()), Arc::new(Mutex::new(output)))
    }

    /// The client of whatever address `address` gives at each attempt.
    fn following(address: impl Fn() -> Option<String> + Send + Sync + 'static, output: Output) -> ServiceHandle<Self> {
        let client = StreamClient::with_address_from(address, move |connection, ctx| {
            print_lines(connection, ctx, output.clone())
        })
        .with_backoff(CLIENT_BACKOFF.get(Config::current()))
        .with_tls_ca_setting(&CLIENT_TLS_CA);
        ServiceHandle::build(|this| HelloWorldClient { client: this.add_service(client) })
    }

    /// The TCP client it is made of.
    pub fn stream_client(&self) -> &ServiceHandle<StreamClient> {
        &self.client
    }

    /// True while it is connected.
    pub fn is_connected(&self) -> bool {
        self.client.service().is_connected()
    }
}

impl Service for HelloWorldClient {}

/// Writes each line received to `output`, until the connection ends or the client stops.
async fn print_lines(connection: Connection, ctx: Context, output: Output) -> TaskResult {
    let mut lines = BufReader::new(connection).lines();
    while let Some(line) = ctx.until_stopping(lines.next()).await? {
        let line = line?;
        let mut output = output.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        writeln!(output, "{}", line.trim())?;
        output.flush()?;
    }
    Ok(())
}

/// A web server answering every request with `<strong>Hello World</strong>` as HTML: an
/// [`HttpServer`] child and a plain tower service. Runs on tokio, smol and async-std.
///
/// ```no_run
/// use ginkgo::Backend;
/// use ginkgo_examples::quickstart::HelloWorldWebServer;
///
/// // Then `curl http://localhost:8000` (or, with `quickstart.web_address` set to
/// // `unix:/tmp/app.sock`, `curl --unix-socket /tmp/app.sock http://localhost/`).
/// Backend::default().serve_forever(HelloWorldWebServer::new())?;
/// # Ok::<(), ginkgo::Error>(())
/// ```
pub struct HelloWorldWebServer {
    server: ServiceHandle<HttpServer>,
}

impl HelloWorldWebServer {
    /// The web server on [`WEB_ADDRESS`].
    pub fn new() -> ServiceHandle<Self> {
        Self::with_address(configured(&WEB_ADDRESS))
    }

    /// The web server on `address`.
    pub fn with_address(address: impl ToString) -> ServiceHandle<Self> {
        let page = tower::service_fn(|_request| async {
            let mut response = http::Response::new("<strong>Hello World</strong>".to_string());
            let html = http::HeaderValue::from_static("text/html");
            response.headers_mut().insert(http::header::CONTENT_TYPE, html);
            Ok::<_, Infallible>(response)
        });
        let server = HttpServer::new(address, page).with_tls_settings(&TLS_CERT, &TLS_KEY);
        ServiceHandle::build(|this| HelloWorldWebServer { server: this.add_service(server) })
    }

    /// The HTTP server it is made of.
    pub fn http_server(&self) -> &ServiceHandle<HttpServer> {
        &self.server
    }

    /// The address it listens on, while it listens on TCP.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.service().local_addr()
    }
}

impl Service for HelloWorldWebServer {}

/// A [`HelloWorldServer`], a [`HelloWorldClient`] connected to it, and a
/// [`HelloWorldWebServer`], started in that order and stopped in reverse. Runs on tokio, smol
/// and async-std (the web server's backends).
///
/// The client follows the server: it connects to the address the server is listening on
/// (`127.0.0.1` when the server listens on all addresses), or to its Unix socket.
///
/// ```no_run
/// use ginkgo::Backend;
/// use ginkgo_examples::quickstart::HelloWorld;
///
/// Backend::default().serve_forever(HelloWorld::new())?;
/// # Ok::<(), ginkgo::Error>(())
/// ```
pub struct HelloWorld {
    server: ServiceHandle<HelloWorldServer>,
    client: ServiceHandle<HelloWorldClient>,
    web: ServiceHandle<HelloWorldWebServer>,
}

impl HelloWorld {
    /// The three on [`SERVER_ADDRESS`] and [`WEB_ADDRESS`], the client printing to standard
    /// output.
    pub fn new() -> ServiceHandle<Self> {
        Self::with_addresses(configured(&SERVER_ADDRESS), configured(&WEB_ADDRESS))
    }

    /// The TCP server on `stream`, the web server on `web`, the client printing to standard
    /// output.
    pub fn with_addresses(stream: impl ToString, web: impl ToString) -> ServiceHandle<Self> {
        Self::with_output(stream, web, std::io::stdout())
    }

    /// The TCP server on `stream`, the web server on `web`, the client writing to `output`.
    pub fn with_output(
        stream: impl ToString,
        web: impl ToString,
        output: impl Write + Send + 'static,
    ) -> ServiceHandle<Self> {
        ServiceHandle::build(|this| {
            let server = this.add_service(HelloWorldServer::with_address(stream));
            let listening = server.clone();
            let address = move || listening.service().listening_on();
            let client = this.add_service(HelloWorldClient::following(address, Arc::new(Mutex::new(output))));
            let web = this.add_service(HelloWorldWebServer::with_address(web));
            HelloWorld { server, client, web }
        })
    }

    /// The TCP server.
    pub fn server(&self) -> &ServiceHandle<HelloWorldServer> {
        &self.server
    }

    /// The TCP client.
    pub fn client(&self) -> &ServiceHandle<HelloWorldClient> {
        &self.client
    }

    /// The web server.
    pub fn web_server(&self) -> &ServiceHandle<HelloWorldWebServer> {
        &self.web
    }
}

impl Service for HelloWorld {}

/// The address to connect to for a server listening on `address`: the loopback address when
/// it listens on all of them.
fn reachable(address: SocketAddr) -> SocketAddr {
    let ip = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, address.port())
}

/// The axum app of [`AppServer`]: `Hello World!` at `/`.
pub fn app() -> axum::Router {
    axum::Router::new().route("/", axum::routing::get(|| async { "Hello World!" }))
}

/// A web framework's app as a service: the axum [`app`] on an [`HttpServer`] child. Runs on
/// tokio, smol and async-std.
///
/// ```no_run
/// use ginkgo::Backend;
/// use ginkgo_examples::quickstart::AppServer;
///
/// Backend::default().serve_forever(AppServer::new())?;
/// # Ok::<(), ginkgo::Error>(())
/// ```
pub struct AppServer {
    server: ServiceHandle<HttpServer>,
}

impl AppServer {
    /// The app on [`WEB_ADDRESS`].
    pub fn new() -> ServiceHandle<Self> {
        Self::with_address(configured(&WEB_ADDRESS))
    }

    /// The app on `address`.
    pub fn with_address(address: impl ToString) -> ServiceHandle<Self> {
        let server = HttpServer::new(address, app()).with_tls_settings(&TLS_CERT, &TLS_KEY);
        ServiceHandle::build(|this| AppServer { server: this.add_service(server) })
    }

    /// The HTTP server it is made of.
    pub fn http_server(&self) -> &ServiceHandle<HttpServer> {
        &self.server
    }

    /// The address it listens on, while it listens on TCP.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.service().local_addr()
    }
}

impl Service for AppServer {}
