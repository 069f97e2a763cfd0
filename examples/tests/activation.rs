//! Socket activation, black-box: the runner fixture started as systemd starts a socket-activated
//! service, with listening sockets the test made itself at descriptors 3.. (`LISTEN_FDS`,
//! `LISTEN_PID`, `LISTEN_FDNAMES`). The daemon runs on the backend `GINKGO_ASYNC` names (tokio by
//! default); CI runs this file on every backend.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::OwnedFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::Command;

use command_fds::{CommandFdExt, FdMapping};
use support::*;

/// The backend the daemons run on.
fn backend() -> String {
    std::env::var("GINKGO_ASYNC").unwrap_or_else(|_| "tokio".into())
}

/// The runner fixture running `config`, with `sockets` (name, descriptor) at 3.., started as
/// systemd starts a service: `LISTEN_PID` is the daemon's own PID, set by the shell it replaces.
fn activated(home: &Home, config: &Path, sockets: Vec<(&str, OwnedFd)>) -> Running {
    let names: Vec<&str> = sockets.iter().map(|(name, _)| *name).collect();
    let mappings =
        sockets.into_iter().zip(3..).map(|((_, parent_fd), child_fd)| FdMapping { parent_fd, child_fd }).collect();
    let mut command = home.command(Command::new("sh"));
    command
        .arg("-c")
        .arg(r#"LISTEN_PID=$$ exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_runner-fixture"))
        .arg(config)
        .env("LISTEN_FDS", names.len().to_string())
        .env("LISTEN_FDNAMES", names.join(":"))
        .fd_mappings(mappings)
        .unwrap();
    Running::start(command)
}

fn echo_config(home: &Home, echo: &str, web: &str) -> std::path::PathBuf {
    home.write(
        "echo.toml",
        &format!(
            "service = \"fixture.Echo\"\nstop_timeout = 5\n[fixture]\necho_address = {echo:?}\nweb_address = {web:?}\n"
        ),
    )
}

fn exchange(mut stream: impl Read + Write, bytes: &[u8]) -> Vec<u8> {
    stream.write_all(bytes).unwrap();
    let mut back = vec![0; bytes.len()];
    stream.read_exact(&mut back).unwrap();
    back
}

fn stop(mut daemon: Running) {
    daemon.signal(SIGTERM);
    assert_eq!(daemon.exit_code(), 0, "stderr:\n{}", daemon.stderr.all().join("\n"));
}

#[test]
fn a_tcp_server_answers_on_the_socket_it_was_handed_by_its_address() {
    let home = Home::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    // The test keeps its own descriptor open: a daemon that bound the port itself would fail.
    let config = echo_config(&home, &address.to_string(), "");
    let daemon = activated(&home, &config, vec![("unknown", listener.try_clone().unwrap().into())]);
    daemon.stderr.wait_contains(&format!("Echo/StreamServer: takes the inherited socket fd 3, listening on {address}"));
    daemon.stderr.wait_contains("is ready");
    let echoed = exchange(TcpStream::connect(address).unwrap(), b"ping over an inherited socket\n");
    assert_eq!(echoed, b"ping over an inherited socket\n");
    stop(daemon);
    drop(listener);
}

#[test]
fn a_unix_server_answers_on_the_socket_it_was_handed_and_leaves_its_file() {
    let home = Home::new();
    let path = home.file("echo.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let config = echo_config(&home, &format!("unix:{}", path.display()), "");
    let daemon = activated(&home, &config, vec![("echo", listener.try_clone().unwrap().into())]);
    daemon
        .stderr
        .wait_contains(&format!("takes the inherited socket fd 3 (`echo`), listening on unix:{}", path.display()));
    daemon.stderr.wait_contains("is ready");
    assert_eq!(exchange(UnixStream::connect(&path).unwrap(), b"unix ping"), b"unix ping");
    stop(daemon);
    assert!(path.exists(), "the socket's file is its maker's (the .socket unit's): left in place");
}

#[test]
fn a_server_takes_the_socket_named_after_it_whatever_its_address() {
    let home = Home::new();
    let echo = TcpListener::bind("127.0.0.1:0").unwrap();
    let web = TcpListener::bind("127.0.0.1:0").unwrap();
    let spare = TcpListener::bind("127.0.0.1:0").unwrap();
    let (echo_at, web_at, spare_at) =
        (echo.local_addr().unwrap(), web.local_addr().unwrap(), spare.local_addr().unwrap());
    let http = backend() != "threads";
    if !http {
        println!("skipped the HTTP server: HttpServer does not run on the threads backend");
    }
    // Configured elsewhere (port 1 cannot be bound): the names alone lead to the sockets.
    let config = echo_config(&home, "127.0.0.1:1", if http { "127.0.0.1:1" } else { "" });
    let mut sockets = vec![("Echo/StreamServer", echo.try_clone().unwrap().into())];
    if http {
        sockets.push(("HttpServer", web.try_clone().unwrap().into()));
    }
    sockets.push(("spare", spare.try_clone().unwrap().into()));
    let spare_fd = 2 + sockets.len();
    let daemon = activated(&home, &config, sockets);
    daemon.stderr.wait_contains("is ready");
    let lines = daemon.stderr.all().join("\n");
    assert!(lines.contains(&format!("takes the inherited socket fd 3 (`Echo/StreamServer`), listening on {echo_at}")));
    assert_eq!(exchange(TcpStream::connect(echo_at).unwrap(), b"by name"), b"by name");
    if http {
        assert!(lines.contains(&format!(
            "Echo/HttpServer: takes the inherited socket fd 4 (`HttpServer`), listening on {web_at}"
        )));
        let mut stream = TcpStream::connect(web_at).unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
        assert!(reply.ends_with(&format!("pid {}\n", daemon.pid())), "{reply}");
    }
    assert!(
        lines.contains(&format!("inherited socket fd {spare_fd} (`spare`) on {spare_at} was taken by no server")),
        "{lines}"
    );
    stop(daemon);
}

#[test]
fn a_socket_of_the_wrong_kind_fails_the_start_naming_it() {
    let home = Home::new();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let config = echo_config(&home, "127.0.0.1:0", "");
    let mut daemon = activated(&home, &config, vec![("Echo/StreamServer", udp.try_clone().unwrap().into())]);
    assert_eq!(daemon.exit_code(), 1);
    let lines = daemon.stderr.all().join("\n");
    assert!(lines.contains("inherited socket fd 3 is neither a TCP nor a Unix stream socket"), "{lines}");
}

#[test]
fn sockets_for_another_process_are_left_alone() {
    let home = Home::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let config = echo_config(&home, "127.0.0.1:0", "");
    let mut command = home.command(fixture());
    command
        .arg(&config)
        .env("LISTEN_PID", "1")
        .env("LISTEN_FDS", "1")
        .fd_mappings(vec![FdMapping { parent_fd: listener.try_clone().unwrap().into(), child_fd: 3 }])
        .unwrap();
    let daemon = Running::start(command);
    daemon.stderr.wait_contains("is ready");
    let lines = daemon.stderr.all().join("\n");
    assert!(!lines.contains("inherited"), "{lines}");
    stop(daemon);
}
