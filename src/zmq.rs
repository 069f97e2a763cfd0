//! ZeroMQ services (feature `zmq`): a socket of any of ZeroMQ's patterns (REQ/REP, PUB/SUB,
//! PUSH/PULL), bound or connected over TCP or IPC, owned by a service and handed to a handler,
//! with the [`zeromq`] crate (ZeroMQ's protocol written in Rust: no C library to install).
//!
//! * [`ZmqService`]: binds or connects a socket when it starts, runs `handler(socket, ctx)`,
//!   closes the socket when it stops; a connecting one connects again when it loses its peer.
//! * [`ZmqSocket`]: the socket as the handler gets it: [`send`](ZmqSocket::send),
//!   [`recv`](ZmqSocket::recv), [`subscribe`](ZmqSocket::subscribe), shareable among tasks.
//! * The sockets and messages are `zeromq`'s, re-exported here: [`RepSocket`], [`ReqSocket`],
//!   [`PubSocket`], [`SubSocket`], [`PushSocket`], [`PullSocket`], [`ZmqMessage`], [`ZmqError`].
//!
//! The guide's chapter "Using ZeroMQ" shows each pattern.

mod service;
mod socket;

pub use service::ZmqService;
pub use socket::ZmqSocket;
pub use zeromq::{PubSocket, PullSocket, PushSocket, RepSocket, ReqSocket, SubSocket, ZmqError, ZmqMessage};
