//! `TlsTransport`: TLS over the sockets of any runtime that can shake hands for it; `WithTls`,
//! the transports whose TLS a server's or a client's builder sets.

use std::future::{Future, Ready, ready};
use std::io;
use std::time::{Duration, Instant};

use futures::future::Either;

use super::{TlsError, TlsHandshakes, TlsLayer};
use crate::config::ConfigError;
use crate::net::backend::Handshake;
use crate::net::{Address, LocalAddr, PeerAddr, SocketMode, Transport};
use crate::{BoxError, Context};

/// A transport that can speak TLS once given a [`TlsLayer`]: what the TLS builders of
/// `StreamServer` and `StreamClient` (`with_tls`, …) take. Its connections are of one type
/// with TLS or without, so setting TLS changes no handler.
pub trait WithTls: Transport + Clone {
    /// Speaks TLS as `layer` says, from the next start of the service on.
    fn set_tls(&mut self, layer: TlsLayer);
}

/// TLS over the sockets of `T`: it listens, accepts and connects as `T` does, then shakes hands
/// ([`TlsHandshakes`]), the server's handshake in the connection's own task. Its connections are
/// `T`'s TLS streams. It speaks TLS only: a service over it fails its start unless its
/// [`TlsLayer`] (set by the builders' `with_tls`, or [`new`](TlsTransport::new)) loads a
/// certificate (a server's) or trusted roots (a client's).
///
/// The backends name theirs: `ginkgo_tokio::TokioTls`, `ginkgo_asyncstd::AsyncIoTls`,
/// `ginkgo_threads::ThreadsTls`. (`ginkgo::net`'s transport speaks TLS or not, as the
/// configuration says, with one stream type for both.)
#[derive(Clone, Debug, Default)]
pub struct TlsTransport<T> {
    inner: T,
    layer: Option<TlsLayer>,
}

impl<T> TlsTransport<T> {
    /// TLS as `layer` says over `inner`.
    pub fn new(inner: T, layer: TlsLayer) -> Self {
        TlsTransport { inner, layer: Some(layer) }
    }

    /// The transport TLS runs over.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The layer, or the error of a transport given none.
    fn layer(&self) -> Result<&TlsLayer, TlsError> {
        self.layer.as_ref().ok_or_else(|| {
            TlsError::new(
                super::TlsErrorKind::NotConfigured,
                "no TLS configuration: give the service a certificate or trusted certificates (with_tls)",
            )
        })
    }
}

impl<T: TlsHandshakes + Clone> WithTls for TlsTransport<T> {
    fn set_tls(&mut self, layer: TlsLayer) {
        self.layer = Some(layer);
    }
}

impl<T: TlsHandshakes> Transport for TlsTransport<T> {
    type Listener = T::Listener;
    type Accepted = T::Accepted;
    type Stream = T::TlsStream;
    type Handshaking = Either<T::Accepting, Ready<io::Result<T::TlsStream>>>;

    fn check_backend(&self, ctx: &Context, service: &'static str) -> Result<(), BoxError> {
        self.inner.check_backend(ctx, service)
    }

    fn prepare(&self, ctx: &Context) -> Result<(), BoxError> {
        self.inner.prepare(ctx)?;
        let layer = self.layer().map_err(ConfigError::unusable)?;
        match layer.load(ctx) {
            Ok(true) => Ok(()),
            Ok(false) => Err(ConfigError::unusable(layer.not_configured()).into()),
            Err(err) => Err(ConfigError::unusable(err).into()),
        }
    }

    fn reload(&self, ctx: &Context) -> Result<(), BoxError> {
        self.inner.reload(ctx)?;
        Ok(self.layer()?.reload(ctx)?)
    }

    fn bind(
        &self,
        ctx: &Context,
        address: &Address,
        unix_mode: SocketMode,
    ) -> impl Future<Output = io::Result<(Self::Listener, LocalAddr)>> + Send {
        self.inner.bind(ctx, address, unix_mode)
    }

    fn accept<'a>(
        &'a self,
        listener: &'a Self::Listener,
    ) -> impl Future<Output = io::Result<(Self::Accepted, PeerAddr)>> + Send + 'a {
        self.inner.accept(listener)
    }

    fn handshake(&self, accepted: T::Accepted, timeout: Duration) -> Handshake<T::TlsStream, Self::Handshaking> {
        Handshake::Pending(match self.layer.as_ref().and_then(TlsLayer::server_config) {
            Some(config) => Either::Left(self.inner.accept_tls(accepted, config, timeout)),
            // Not a server that has started: nothing to present.
            None => Either::Right(ready(Err(io::Error::other("no certificate to present")))),
        })
    }

    async fn connect(
        &self,
        ctx: &Context,
        address: &Address,
        timeout: Duration,
    ) -> io::Result<(T::TlsStream, PeerAddr)> {
        let began = Instant::now();
        let layer = self.layer().map_err(io::Error::other)?;
        let configured =
            layer.client_config(address).map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err))?;
        let (config, name) = configured.ok_or_else(|| io::Error::other(layer.not_configured()))?;
        let (stream, peer) = self.inner.connect(ctx, address, timeout).await?;
        let left = timeout.saturating_sub(began.elapsed());
        Ok((self.inner.connect_tls(stream, name, config, left).await?, peer))
    }
}
