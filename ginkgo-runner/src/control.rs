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
//! {"request": "status"}
//! {"request": "loglevel", "level": "debug"}
//! {"request": "loglevel", "level": "debug", "module": "my_app::db"}
//! {"request": "settings"}
//! {"request": "upgrade"}
//! ```
//!
//! Every reply is one object with `ok`, the daemon's `pid`, the `request` it answers (when it
//! had a name), and either the request's results or an `error`:
//!
//! ```text
//! {"ok": true, "request": "reload", "pid": 4242, "warnings": ["setting `user` changed from …: takes effect on restart"]}
//! {"ok": true, "request": "status", "pid": 4242, "uptime_seconds": 12.5, "health_address": "127.0.0.1:8081",
//!  "services": [{"path": "App", "name": "App", "depth": 0, "state": "ready", "seconds_in_state": 12,
//!                "tasks": 1, "gauges": {"connections": 3}}, …], "total": 5, "omitted": 0}
//! {"ok": true, "request": "loglevel", "pid": 4242, "filter": "debug",
//!  "lasts": "until the next reload, which applies the configured levels again"}
//! {"ok": true, "request": "settings", "pid": 4242, "settings": [{"name": "loglevel", "value": "debug",
//!  "origins": [{"key": "loglevel", "from": "/etc/app.toml:3", "source": "file", "file": "/etc/app.toml", "line": 3}]}, …]}
//! {"ok": true, "request": "upgrade", "pid": 4242, "new_pid": 4300}
//! {"ok": false, "request": "reload", "pid": 4242, "error": "setting `loglevel`: `loud` is not a level (debug, info, warn, error)"}
//! {"ok": false, "request": "dance", "pid": 4242, "error": "unknown request `dance`; this daemon answers: reload, status, loglevel, settings, upgrade"}
//! ```
//!
//! `status` lists at most 1000 services (depth first), `omitted` counting the rest (see
//! `tree::report`); `settings` gives a secret setting's value as `null` with `"secret": true`.
//! Root and the service's user may ask anything; nobody else gets in.
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
