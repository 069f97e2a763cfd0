//! The control socket: where `ginkgoctl` asks a running daemon (foreground or not) for things
//! and hears the answer.
//!
//! A Unix socket beside the pidfile (`app.pid` → `app.sock`; the `control_socket` setting moves
//! it), mode 0600, owned by the user the service runs as; only root and that user get in (their
//! credentials are checked on every connection). It appears when the process starts (replacing
//! a stale one nobody listens on) and goes away when it stops.
//!
//! The protocol is line-delimited JSON. A request is one object with a `request` field naming
//! it, plus that request's own fields:
//!
//! ```text
//! {"request": "reload"}
//! ```
//!
//! Every reply is one object with `ok`, the daemon's `pid`, the `request` it answers (when it
//! had a name), and either the request's results or an `error`:
//!
//! ```text
//! {"ok": true, "request": "reload", "pid": 4242, "warnings": ["setting `user` changed from …: takes effect on restart"]}
//! {"ok": false, "request": "reload", "pid": 4242, "error": "setting `loglevel`: `loud` is not a level (debug, info, warn, error)"}
//! {"ok": false, "request": "dance", "pid": 4242, "error": "unknown request `dance`; this daemon answers: reload"}
//! ```
//!
//! A connection may send several requests, answered in order. Limits: a request line of 64 KiB,
//! 5 s to send it, 100 requests a connection, 8 connections at once; past a limit the client
//! gets an error reply and the connection is closed.

mod client;
mod protocol;
mod server;
mod settings;
mod socket;

pub(crate) use client::ask;
pub(crate) use protocol::Answers;
pub(crate) use server::ControlServer;
pub(crate) use socket::{SocketFile, beside, too_long};
