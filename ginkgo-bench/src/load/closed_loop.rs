//! A closed-loop load: a fixed number of connections, each with one exchange in flight at a
//! time, for a fixed time.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::rustls::pki_types::ServerName;

use super::{Latencies, echo, http};

/// How long the load may overrun its time before it is taken for a hang.
const GRACE: Duration = Duration::from_secs(20);

/// What one exchange is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// 64 bytes sent, the same 64 bytes read back.
    Echo,
    /// `GET /` over HTTP/1.1 with keep-alive, the whole response read back.
    Http,
}

impl Protocol {
    async fn exchange(self, stream: &mut (impl AsyncRead + AsyncWrite + Unpin), buffer: &mut [u8]) -> io::Result<()> {
        match self {
            Protocol::Echo => echo::exchange(stream, buffer).await,
            Protocol::Http => http::exchange(stream, buffer).await,
        }
    }
}

/// The shape of a load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Connections open at once, each with one exchange in flight.
    pub connections: usize,
    /// How long the exchanges go on, once every connection is open.
    pub duration: Duration,
}

/// What a load measured.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Exchanges completed.
    pub exchanges: u64,
    /// From the first exchange to the end of the last one.
    pub elapsed: Duration,
    /// How long each exchange took, from writing the request to having read the whole answer.
    pub latencies: Latencies,
}

impl Outcome {
    /// Exchanges a second.
    pub fn rate(&self) -> f64 {
        self.exchanges as f64 / self.elapsed.as_secs_f64()
    }

    /// The 99th percentile of the latencies, in nanoseconds.
    pub fn p99_ns(&self) -> f64 {
        self.latencies.quantile(0.99).as_secs_f64() * 1e9
    }
}

/// Opens `spec.connections` connections to `address`, then has each run `protocol`'s exchange
/// again and again, one at a time, until `spec.duration` has passed; then closes them. Each
/// connection is a task of the current runtime, which should not be the server's.
///
/// # Panics
///
/// If a connection fails, an exchange goes wrong, or the load overruns its time by 20 s.
pub async fn closed_loop(address: SocketAddr, protocol: Protocol, spec: Spec) -> Outcome {
    let mut streams = Vec::with_capacity(spec.connections);
    for _ in 0..spec.connections {
        streams.push(connect(address).await);
    }
    exchange_until_done(streams, protocol, spec).await
}

/// [`closed_loop`] over TLS: each connection shakes hands with tokio-rustls as a client of
/// `tls`, verifying the server as `localhost`, before the time starts.
///
/// # Panics
///
/// As [`closed_loop`], and if a handshake fails.
pub async fn closed_loop_over_tls(
    address: SocketAddr,
    protocol: Protocol,
    spec: Spec,
    tls: Arc<ClientConfig>,
) -> Outcome {
    let connector = TlsConnector::from(tls);
    let mut streams = Vec::with_capacity(spec.connections);
    for _ in 0..spec.connections {
        let name = ServerName::try_from("localhost").expect("a server name");
        let tls = connector.connect(name, connect(address).await).await.expect("the load's TLS handshake");
        streams.push(tls);
    }
    exchange_until_done(streams, protocol, spec).await
}

/// A connection of the load to `address`, with TCP_NODELAY.
async fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(address).await.expect("the load connects to the server");
    stream.set_nodelay(true).expect("TCP_NODELAY on the load's connections");
    stream
}

/// Has each of `streams` run `protocol`'s exchange, one at a time, until `spec.duration` has
/// passed, as a task of the current runtime; then closes them.
async fn exchange_until_done<S>(streams: Vec<S>, protocol: Protocol, spec: Spec) -> Outcome
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let began = Instant::now();
    let deadline = began + spec.duration;
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                let mut latencies = Latencies::new();
                let mut buffer = vec![0; 4096];
                let mut now = Instant::now();
                while now < deadline {
                    protocol.exchange(&mut stream, &mut buffer).await.expect("an exchange with the server");
                    let done = Instant::now();
                    latencies.record(done - now);
                    now = done;
                }
                latencies
            })
        })
        .collect();
    let joined = tokio::time::timeout(spec.duration + GRACE, futures::future::join_all(tasks))
        .await
        .expect("the load ends within 20 s of its time");
    let elapsed = began.elapsed();
    let mut latencies = Latencies::new();
    for connection in joined {
        latencies.merge(&connection.expect("a connection of the load does not panic"));
    }
    Outcome { exchanges: latencies.count(), elapsed, latencies }
}
