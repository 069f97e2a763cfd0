//! `ZmqSocket`: a ZeroMQ socket as a [`ZmqService`](super::ZmqService)'s handler gets it.

use std::fmt;
use std::sync::Arc;

use futures::lock::Mutex;
use zeromq::{Socket, SocketRecv, SocketSend, SubSocket, ZmqError, ZmqMessage, ZmqResult};

/// The socket of a running [`ZmqService`](super::ZmqService): `S` is one of `zeromq`'s socket
/// types ([`RepSocket`](super::RepSocket), [`PubSocket`](super::PubSocket), …), and its
/// methods are those the type has: [`send`](ZmqSocket::send) for those that send,
/// [`recv`](ZmqSocket::recv) for those that receive, [`subscribe`](ZmqSocket::subscribe) for a
/// SUB socket.
///
/// Clones share the socket, so that several tasks may use it (one call at a time). Once the
/// service has closed it (at the stop, or to connect again), every call fails with
/// [`ZmqError::Other`] saying so.
pub struct ZmqSocket<S> {
    socket: Arc<Mutex<Option<S>>>,
}

impl<S> Clone for ZmqSocket<S> {
    fn clone(&self) -> Self {
        ZmqSocket { socket: self.socket.clone() }
    }
}

const CLOSED: ZmqError = ZmqError::Other("the ZeroMQ socket is closed");

impl<S: Socket> ZmqSocket<S> {
    pub(super) fn new(socket: S) -> Self {
        ZmqSocket { socket: Arc::new(Mutex::new(Some(socket))) }
    }

    /// Closes the socket, waiting until its bound endpoints are released; later calls fail.
    pub(super) async fn close(&self) {
        let socket = self.socket.lock().await.take();
        if let Some(socket) = socket {
            for err in socket.close().await {
                log::debug!("closing a ZeroMQ socket: {err}");
            }
        }
    }
}

impl<S: SocketSend + Send> ZmqSocket<S> {
    /// Sends `message` (a [`ZmqMessage`], or what converts into one: `&str`, `String`,
    /// `Vec<u8>`, `Bytes`) as the socket's pattern says: to the requester a REP socket answers,
    /// to every subscriber of a PUB socket, to the next peer of a PUSH or REQ socket.
    pub async fn send(&self, message: impl Into<ZmqMessage>) -> ZmqResult<()> {
        let mut socket = self.socket.lock().await;
        socket.as_mut().ok_or(CLOSED)?.send(message.into()).await
    }
}

impl<S: SocketRecv + Send> ZmqSocket<S> {
    /// Waits for the next message.
    pub async fn recv(&self) -> ZmqResult<ZmqMessage> {
        let mut socket = self.socket.lock().await;
        socket.as_mut().ok_or(CLOSED)?.recv().await
    }
}

impl ZmqSocket<SubSocket> {
    /// Subscribes to the messages that start with `prefix` (`""`: all of them). A SUB socket
    /// receives nothing until it subscribes.
    pub async fn subscribe(&self, prefix: &str) -> ZmqResult<()> {
        let mut socket = self.socket.lock().await;
        socket.as_mut().ok_or(CLOSED)?.subscribe(prefix).await
    }
}

impl<S> fmt::Debug for ZmqSocket<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZmqSocket").finish_non_exhaustive()
    }
}
