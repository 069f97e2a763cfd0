//! Graceful upgrades, black-box: the runner fixture's `fixture.Echo` run as a daemon, upgraded
//! by `ginkgoctl upgrade` and by SIGUSR2, while clients talk to it. The daemons run on the
//! backend `GINKGO_ASYNC` names (tokio by default); CI runs this file on every backend.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::*;

const SIGUSR2: i32 = 12;

/// A daemon of the fixture's, and what it listens on.
struct Daemon {
    home: Home,
    pid: u32,
    echo: SocketAddr,
    web: Option<SocketAddr>,
}

/// The backend the daemons run on; the HTTP server does not run on `threads`.
fn http() -> bool {
    std::env::var("GINKGO_ASYNC").map_or(true, |backend| backend != "threads")
}

fn config(home: &Home, extra: &str) -> PathBuf {
    let web = if http() { "127.0.0.1:0" } else { "" };
    home.write(
        "echo.toml",
        &format!(
            "service = \"fixture.Echo\"\npidfile = \"echo.pid\"\nlogfile = \"echo.log\"\nstop_timeout = 10\n\
             health_address = \"127.0.0.1:0\"\n\
             [fixture]\nweb_address = {web:?}\n{extra}"
        ),
    )
}

/// Where the log says `server` listens.
fn listening(log: &str, server: &str) -> SocketAddr {
    let marker = format!("{server}: listening on ");
    let line = log.lines().rev().find(|line| line.contains(&marker)).unwrap();
    let address = line.split(&marker).nth(1).unwrap().split_whitespace().next().unwrap();
    address.trim_end_matches('"').parse().unwrap()
}

impl Daemon {
    fn start() -> Daemon {
        let home = Home::new();
        let conf = config(&home, "");
        let mut command = home.command(fixture());
        command.arg("-d").arg(&conf);
        let done = finish(command);
        assert_eq!(done.code(), 0, "the daemon starts: {}{}", done.stdout, done.stderr);
        let pid = home.pid("echo.pid").unwrap();
        let log = wait_file_contains(&home.file("echo.log"), "is ready");
        let echo = listening(&log, "Echo/StreamServer");
        let web = http().then(|| listening(&log, "Echo/HttpServer"));
        Daemon { home, pid, echo, web }
    }

    fn ctl(&self, args: &[&str]) -> std::process::Command {
        let mut command = self.home.command(ginkgoctl());
        command.arg("-p").arg(self.home.file("echo.pid")).args(args);
        command
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.home.file("echo.log")).unwrap_or_default()
    }

    /// Waits until the pidfile names another process than `old`; that one.
    fn wait_new_pid(&self, old: u32) -> u32 {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(pid) = self.home.pid("echo.pid").filter(|pid| *pid != old) {
                return pid;
            }
            assert!(Instant::now() < deadline, "the pidfile still names {old}; log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The web server's answer: the PID of the process that served it.
    fn served_by(&self) -> Option<u32> {
        let web = self.web?;
        let mut stream = TcpStream::connect(web).unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
        reply.trim_end().rsplit("pid ").next().and_then(|pid| pid.parse().ok())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        for pid in [Some(self.pid), self.home.pid("echo.pid")].into_iter().flatten() {
            let ours = std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmd| cmd.windows(14).any(|w| w == b"runner-fixture"));
            if alive(pid) && ours {
                send(pid, SIGKILL);
            }
        }
    }
}

fn exchange(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).unwrap();
    let mut back = vec![0; bytes.len()];
    stream.read_exact(&mut back).unwrap();
    assert_eq!(back, bytes);
}

/// Ends an echo connection: the client closes its side, the server its own.
fn close(mut stream: TcpStream) {
    stream.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

#[test]
fn an_upgrade_hands_the_sockets_over_and_the_old_process_drains() {
    let daemon = Daemon::start();
    let old = daemon.pid;
    let mut open = TcpStream::connect(daemon.echo).unwrap();
    exchange(&mut open, b"before the upgrade\n");
    assert_eq!(daemon.served_by().unwrap_or(old), old);

    // `status` all along: the pidfile never stops naming a live, locked daemon.
    let upgrading = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (upgrading, command) = (upgrading.clone(), daemon.ctl(&["status"]));
        let program = command.get_program().to_owned();
        let args: Vec<_> = command.get_args().map(|arg| arg.to_owned()).collect();
        let home = daemon.home.path().to_owned();
        std::thread::spawn(move || {
            let mut codes = Vec::new();
            while upgrading.load(Ordering::SeqCst) {
                let mut status = std::process::Command::new(&program);
                status.args(&args).env("HOME", &home).env_remove("NOTIFY_SOCKET");
                codes.push(finish(status).code());
            }
            codes
        })
    };
    let mut upgrade = Running::start(daemon.ctl(&["upgrade"]));
    let new = daemon.wait_new_pid(old);
    assert_ne!(new, old);
    // The connection opened before the upgrade is still the old process's, and finishes.
    exchange(&mut open, b"during the drain\n");
    assert!(alive(old), "the old process drains its connection");
    // Either process may take a connection made now (the old one drains it).
    let mut fresh = TcpStream::connect(daemon.echo).unwrap();
    exchange(&mut fresh, b"during the hand-over\n");
    close(fresh);
    close(open);
    assert_eq!(upgrade.exit_code(), 0, "{}", upgrade.stderr.all().join("\n"));
    upgrading.store(false, Ordering::SeqCst);
    let codes = watcher.join().unwrap();
    assert!(
        !codes.is_empty() && codes.iter().all(|code| *code == 0),
        "status exit codes during the upgrade: {codes:?}"
    );
    let said = upgrade.stdout.all().join("\n");
    assert!(said.contains(&format!("Process {new} has taken over; process {old} drains its connections")), "{said}");
    assert!(said.ends_with(&format!("Process {old} exited; process {new} is running.")), "{said}");
    assert!(!alive(old));
    let mut after = TcpStream::connect(daemon.echo).unwrap();
    exchange(&mut after, b"after the old one exited\n");
    close(after);
    if let Some(pid) = daemon.served_by() {
        assert_eq!(pid, new);
    }
    let status = finish(daemon.ctl(&["status"]));
    assert!(status.stdout.starts_with(&format!("Process is running as {new}.")), "{}", status.stdout);
    assert!(daemon.log().contains(&format!("upgrade: PID {new} is ready and has taken over")));
    // The runner's health endpoint was handed over too, port 0 and all.
    let log = daemon.log();
    let health_at = log.split("health endpoint on http://").nth(1).unwrap().split(": ").next().unwrap();
    let mut probe = TcpStream::connect(health_at).unwrap();
    probe.write_all(b"GET /livez HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    probe.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(log.contains("health endpoint: takes the inherited socket"), "{log}");

    let stopped = finish(daemon.ctl(&["stop"]));
    assert_eq!(stopped.code(), 0, "{}", stopped.stderr);
    assert!(!daemon.home.file("echo.pid").exists());
    assert!(!daemon.home.file("echo.sock").exists(), "the new process removes the control socket it took over");
}

#[test]
fn a_failed_upgrade_leaves_the_old_process_serving() {
    let daemon = Daemon::start();
    // The new process reads the configuration again: this one fails its start.
    config(&daemon.home, "echo_fail = true\n");
    let done = finish(daemon.ctl(&["upgrade"]));
    assert_eq!(done.code(), 1, "{}{}", done.stdout, done.stderr);
    let error = done.stderr.trim_end().lines().last().unwrap_or_default().to_string();
    assert!(
        error.starts_with("ginkgoctl: error: upgrade failed: the new process (PID ")
            && error.contains("fixture.Echo is told to fail (fixture.echo_fail)"),
        "{error}"
    );
    assert_eq!(daemon.home.pid("echo.pid"), Some(daemon.pid));
    let mut stream = TcpStream::connect(daemon.echo).unwrap();
    exchange(&mut stream, b"still here\n");
    close(stream);
    if let Some(pid) = daemon.served_by() {
        assert_eq!(pid, daemon.pid);
    }
    assert!(daemon.log().contains("upgrade failed: the new process"));
    let status = finish(daemon.ctl(&["status"]));
    assert!(status.stdout.starts_with(&format!("Process is running as {}.", daemon.pid)), "{}", status.stdout);
    assert_eq!(finish(daemon.ctl(&["stop"])).code(), 0);
}

#[test]
fn an_upgrade_during_a_stop_is_refused() {
    let daemon = Daemon::start();
    // An open connection keeps the stop going (the echo server drains it).
    let mut open = TcpStream::connect(daemon.echo).unwrap();
    exchange(&mut open, b"hold on\n");
    send(daemon.pid, SIGTERM);
    wait_file_contains(&daemon.home.file("echo.log"), "Stopping.");
    let done = finish(daemon.ctl(&["upgrade"]));
    assert_eq!(done.code(), 1, "{}{}", done.stdout, done.stderr);
    assert_eq!(done.stderr.trim_end(), "ginkgoctl: error: upgrade failed: not upgraded: the daemon is stopping");
    close(open);
    wait_gone(daemon.pid);
    assert!(!daemon.home.file("echo.pid").exists());
}

#[test]
fn sigusr2_upgrades_too() {
    let daemon = Daemon::start();
    send(daemon.pid, SIGUSR2);
    let new = daemon.wait_new_pid(daemon.pid);
    wait_gone(daemon.pid);
    let log = daemon.log();
    assert!(log.contains("upgrade requested: starting the program again with the listening sockets"), "{log}");
    assert!(log.contains(&format!("upgrade: PID {new} is ready and has taken over")), "{log}");
    let mut stream = TcpStream::connect(daemon.echo).unwrap();
    exchange(&mut stream, b"served by the successor\n");
    close(stream);
    if let Some(pid) = daemon.served_by() {
        assert_eq!(pid, new);
    }
    assert_eq!(finish(daemon.ctl(&["stop"])).code(), 0);
}

#[test]
fn under_a_service_manager_the_old_process_moves_the_main_pid_and_falls_silent() {
    let home = Home::new();
    let socket_path = home.file("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    let conf = config(&home, "");
    let mut command = home.command(fixture());
    command.env("NOTIFY_SOCKET", &socket_path).arg(&conf);
    let mut old = Running::start(command);
    let receive = || {
        let mut buffer = [0u8; 4096];
        let n = recv_datagram(&socket, &mut buffer).expect("a notification before the deadline");
        String::from_utf8_lossy(&buffer[..n]).to_string()
    };
    while !receive().lines().any(|line| line == "READY=1") {}
    old.signal(SIGUSR2);
    let said = receive();
    let new = home.pid("echo.pid").unwrap();
    assert_ne!(new, old.pid());
    assert!(said.lines().any(|line| line == format!("MAINPID={new}")), "{said:?}");
    assert_eq!(old.exit_code(), 0);
    // Nothing more from either: the old process is no longer the main one (its STOPPING=1 would
    // be refused), and the unit was ready already.
    socket.set_nonblocking(true).unwrap();
    let mut buffer = [0u8; 4096];
    let after = socket.recv(&mut buffer).map(|n| String::from_utf8_lossy(&buffer[..n]).to_string());
    assert!(after.is_err(), "{after:?}");
    send(new, SIGTERM);
    wait_gone(new);
}

#[test]
fn one_upgrade_at_a_time() {
    let daemon = Daemon::start();
    // The new process's start waits for a file.
    let gate = daemon.home.file("gate");
    config(&daemon.home, &format!("echo_gate = {:?}\n", gate.display().to_string()));
    let mut first = Running::start(daemon.ctl(&["upgrade"]));
    wait_file_contains(&daemon.home.file("echo.log"), "upgrade: started");
    let second = finish(daemon.ctl(&["upgrade"]));
    assert_eq!(second.code(), 1, "{}{}", second.stdout, second.stderr);
    assert_eq!(second.stderr.trim_end(), "ginkgoctl: error: upgrade failed: an upgrade is already under way");
    std::fs::write(&gate, "").unwrap();
    assert_eq!(first.exit_code(), 0, "{}", first.stderr.all().join("\n"));
    let new = daemon.home.pid("echo.pid").unwrap();
    assert_ne!(new, daemon.pid);
    assert!(!alive(daemon.pid));
    assert_eq!(finish(daemon.ctl(&["stop"])).code(), 0);
}
