//! `TlsHandshakes`: how a runtime's sockets shake hands for TLS, the one thing a backend writes
//! for `TlsTransport`.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::ClientConfig;
use rustls::pki_types::ServerName;
use rustls::server::ServerConfig;

use crate::net::Transport;

/// The TLS handshakes over a runtime's sockets: a server's on a connection just accepted, a
/// client's on a connection just made, each giving the TLS stream over it. Each backend crate
/// implements it for its [`Transport`], with the TLS crate of its runtime (tokio-rustls,
/// futures-rustls, or rustls' blocking streams); [`TlsTransport`](super::TlsTransport) does
/// everything else.
///
/// A handshake that blocks (the threads backend's) must give up after `timeout`; one that is a
/// future may ignore it: its caller races it against a timer.
pub trait TlsHandshakes: Transport {
    /// A TLS connection over these sockets, a server's or a client's.
    type TlsStream: Send + 'static;
    /// The future of a server's handshake.
    type Accepting: Future<Output = io::Result<Self::TlsStream>> + Send + 'static;

    /// The server's handshake on `accepted`, with `config`.
    fn accept_tls(&self, accepted: Self::Accepted, config: Arc<ServerConfig>, timeout: Duration) -> Self::Accepting;

    /// The client's handshake on `stream`, with `config`, verifying the server by `name`.
    fn connect_tls(
        &self,
        stream: Self::Stream,
        name: ServerName<'static>,
        config: Arc<ClientConfig>,
        timeout: Duration,
    ) -> impl Future<Output = io::Result<Self::TlsStream>> + Send;
}
