//! A graceful upgrade under load, black-box: 100 echo clients, each always in a session (connect,
//! 20 exchanges of 1 KiB, close, again), so that new connections are opened throughout, and an
//! HTTP request loop, while `ginkgoctl upgrade` replaces the daemon. Not one connection may be
//! refused, not one request fail, not one byte differ. Prints how long the upgrade took, from
//! `upgrade` to the old process's exit (docs/benchmarks.md reports it). The daemon runs on the
//! backend `GINKGO_ASYNC` names (tokio by default); CI runs this file on every backend.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use support::*;

/// Echo clients at once.
const CLIENTS: usize = 100;
/// Exchanges per echo session.
const EXCHANGES: usize = 20;
/// Bytes per exchange.
const SIZE: usize = 1024;

fn http() -> bool {
    std::env::var("GINKGO_ASYNC").map_or(true, |backend| backend != "threads")
}

fn config(home: &Home) -> PathBuf {
    let web = if http() { "127.0.0.1:0" } else { "" };
    home.write(
        "echo.toml",
        &format!(
            "service = \"fixture.Echo\"\npidfile = \"echo.pid\"\nlogfile = \"echo.log\"\nstop_timeout = 10\n\
             [fixture]\nweb_address = {web:?}\n"
        ),
    )
}

fn listening(log: &str, server: &str) -> SocketAddr {
    let marker = format!("{server}: listening on ");
    let line = log.lines().rev().find(|line| line.contains(&marker)).unwrap();
    line.split(&marker).nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap()
}

/// What the load saw.
#[derive(Default)]
struct Tally {
    sessions: AtomicU64,
    exchanges: AtomicU64,
    requests: AtomicU64,
    failures: AtomicU64,
}

impl Tally {
    fn failed(&self, what: String) {
        if self.failures.fetch_add(1, Ordering::SeqCst) < 5 {
            eprintln!("{what}");
        }
    }
}

/// One echo session: connect, `EXCHANGES` exchanges of bytes that name the client and the round,
/// close.
fn session(address: SocketAddr, client: usize, round: u64, tally: &Tally) -> Result<(), String> {
    let mut stream = TcpStream::connect(address).map_err(|err| format!("client {client}: connect: {err}"))?;
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut back = vec![0; SIZE];
    for exchange in 0..EXCHANGES {
        let byte = (client * 31 + exchange + round as usize) as u8;
        let sent = vec![byte; SIZE];
        stream.write_all(&sent).map_err(|err| format!("client {client}: write: {err}"))?;
        stream.read_exact(&mut back).map_err(|err| format!("client {client}: read: {err}"))?;
        if back != sent {
            return Err(format!("client {client}: the bytes came back changed"));
        }
        tally.exchanges.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

fn echo_client(address: SocketAddr, client: usize, running: Arc<AtomicBool>, tally: Arc<Tally>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut round = 0;
        while running.load(Ordering::SeqCst) {
            match session(address, client, round, &tally) {
                Ok(()) => tally.sessions.fetch_add(1, Ordering::Relaxed),
                Err(what) => {
                    tally.failed(what);
                    0
                }
            };
            round += 1;
        }
    })
}

fn http_client(address: SocketAddr, running: Arc<AtomicBool>, tally: Arc<Tally>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        while running.load(Ordering::SeqCst) {
            let asked = TcpStream::connect(address).and_then(|mut stream| {
                stream.write_all(b"GET / HTTP/1.1\r\nHost: load\r\nConnection: close\r\n\r\n")?;
                let mut reply = String::new();
                stream.read_to_string(&mut reply)?;
                Ok(reply)
            });
            match asked {
                Ok(reply) if reply.starts_with("HTTP/1.1 200 OK") && reply.contains("pid ") => {
                    tally.requests.fetch_add(1, Ordering::Relaxed);
                }
                Ok(reply) => tally.failed(format!("http: {reply:?}")),
                Err(err) => tally.failed(format!("http: {err}")),
            }
        }
    })
}

/// Waits until the load has done `more` echo sessions beyond what it had done.
fn wait_sessions(tally: &Tally, more: u64) {
    let target = tally.sessions.load(Ordering::SeqCst) + more;
    let deadline = Instant::now() + DEADLINE;
    while tally.sessions.load(Ordering::SeqCst) < target {
        assert!(Instant::now() < deadline, "the load made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn an_upgrade_under_load_refuses_nothing_and_loses_nothing() {
    let home = Home::new();
    let conf = config(&home);
    let mut command = home.command(fixture());
    command.arg("-d").arg(&conf);
    let done = finish(command);
    assert_eq!(done.code(), 0, "{}{}", done.stdout, done.stderr);
    let _guard = DaemonGuard(home.file("echo.pid"));
    let old = home.pid("echo.pid").unwrap();
    let log = wait_file_contains(&home.file("echo.log"), "is ready");
    let echo = listening(&log, "Echo/StreamServer");

    let (running, tally) = (Arc::new(AtomicBool::new(true)), Arc::new(Tally::default()));
    let mut load: Vec<JoinHandle<()>> =
        (0..CLIENTS).map(|client| echo_client(echo, client, running.clone(), tally.clone())).collect();
    if http() {
        load.push(http_client(listening(&log, "Echo/HttpServer"), running.clone(), tally.clone()));
    } else {
        println!("no HTTP load: HttpServer does not run on the threads backend");
    }
    wait_sessions(&tally, CLIENTS as u64);

    let mut upgrade = home.command(ginkgoctl());
    upgrade.arg("-p").arg(home.file("echo.pid")).arg("upgrade");
    let began = Instant::now();
    let upgraded = finish(upgrade);
    let took = began.elapsed();
    assert_eq!(upgraded.code(), 0, "{}{}", upgraded.stdout, upgraded.stderr);
    assert!(!alive(old), "ginkgoctl upgrade returns once the old process has exited");
    let new = home.pid("echo.pid").unwrap();
    assert_ne!(new, old);
    // The new process alone, under the same load, for a while.
    wait_sessions(&tally, CLIENTS as u64);

    running.store(false, Ordering::SeqCst);
    for thread in load {
        thread.join().unwrap();
    }
    let (sessions, exchanges, requests, failures) = (
        tally.sessions.load(Ordering::SeqCst),
        tally.exchanges.load(Ordering::SeqCst),
        tally.requests.load(Ordering::SeqCst),
        tally.failures.load(Ordering::SeqCst),
    );
    println!(
        "upgrade from `ginkgoctl upgrade` to the old process's exit: {} ms; {sessions} echo sessions, \
         {exchanges} exchanges of {SIZE} bytes, {requests} HTTP requests, {failures} failures",
        took.as_millis()
    );
    assert_eq!(failures, 0, "refused connections, failed requests or changed bytes");
    assert!(sessions >= 2 * CLIENTS as u64);
    let stopped = finish({
        let mut stop = home.command(ginkgoctl());
        stop.arg("-p").arg(home.file("echo.pid")).arg("stop");
        stop
    });
    assert_eq!(stopped.code(), 0, "{}", stopped.stderr);
}
