//! What a backend crate builds its network services with. Applications need none of it.
//!
//! * [`Transport`] and [`DatagramTransport`]: the traits a runtime's sockets implement, with
//!   [`Handshake`]; a stream or listener of either kind, [`Socket`]; [`tcp_peer`] (with [`refuse_self_connection`]) for
//!   TCP clients; [`WrongBackend`] for sockets that work under one backend only.
//! * Unix sockets: [`listen_unix`] makes a server's socket and its file ([`SocketFile`]), as
//!   every backend must (stale sockets replaced, the mode set before listening, the file
//!   removed at the end); [`unix_peer`] and [`peer_process`] tell who connected.
//! * [`listen_std`]: the listener of a server, inherited (socket activation, a graceful
//!   upgrade) or bound now, as a [`StdListener`] each backend makes its own.
//! * Servers: [`Listen`] binds in a task of the service and records the [`BoundAddress`];
//!   [`accept_until_stopping`] accepts within a cap of [`ConnectionSlots`];
//!   [`spawn_connection`] runs each connection as a task, counted as an [`OpenConnection`]
//!   and named by [`ConnectionFrom`] in the logs.
//! * HTTP servers: [`RequestActivity`] tells when a connection has been idle, or has been
//!   sending its headers, for too long ([`IdleLimits`], [`InFlight`]); [`panic_message`] for
//!   what hyper spawns; with feature `http`, `HttpTransport`, a transport whose streams hyper
//!   can serve, and `HyperIo`, the glue for streams of the `futures::io` traits.

pub use super::DatagramTransport;
pub use super::Transport;
#[cfg(unix)]
pub use super::activation::{StdListener, listen_std};
pub use super::bound_address::BoundAddress;
pub use super::connection_slots::ConnectionSlots;
pub use super::datagram::{client_bind_address, first_resolved};
#[cfg(feature = "http")]
pub use super::http::{HttpTransport, HyperIo};
pub use super::listen::{Listen, accept_until_stopping};
pub use super::request_activity::{IdleLimits, InFlight, RequestActivity};
pub use super::socket::Socket;
pub use super::supervise::{ConnectionFrom, OpenConnection, panic_message, spawn_connection};
pub use super::transport::{Handshake, WrongBackend, refuse_self_connection, tcp_peer};
#[cfg(unix)]
pub use super::unix_socket::{
    SocketFile, listen_unix, peer_process, recv_from_blocking, unix_peer, wake_blocked_receivers,
};
