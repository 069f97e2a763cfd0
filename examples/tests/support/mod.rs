//! Running the real binaries in tests: processes with captured output, waits with deadlines.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Far above what a passing run needs: only turns a hang into a failure.
pub const DEADLINE: Duration = Duration::from_secs(20);

pub fn ginkgo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ginkgo"))
}

pub fn ginkgoctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ginkgoctl"))
}

/// The example daemon of its own: `greeter`, and `greeterctl` that controls it.
pub fn greeter() -> Command {
    Command::new(env!("CARGO_BIN_EXE_greeter"))
}

pub fn greeterctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_greeterctl"))
}

/// The runner fixture (tests/fixture), a `ginkgo` with services made to fail.
pub fn fixture() -> Command {
    Command::new(env!("CARGO_BIN_EXE_runner-fixture"))
}

/// A scratch HOME (for default pidfile and logfile) and folder for config files.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        Home { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.file(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `command` with HOME set here and no GINKGO_ or NOTIFY_SOCKET leaking in.
    pub fn command(&self, mut command: Command) -> Command {
        command.env("HOME", self.path()).env_remove("NOTIFY_SOCKET").env_remove("GINKGO_DAEMON");
        command
    }

    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(self.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        names.sort();
        names
    }

    pub fn pid(&self, name: &str) -> Option<u32> {
        std::fs::read_to_string(self.file(name)).ok()?.trim().parse().ok()
    }
}

/// The outcome of a command that ran to its end.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }
}

/// Runs `command` to its end (within the deadline), capturing both streams.
pub fn finish(mut command: Command) -> Finished {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = wait(&mut child, DEADLINE).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("command did not finish within {DEADLINE:?}: {command:?}");
    });
    Finished { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

/// Waits for `child` to exit, at most `limit`.
pub fn wait(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Lines read from a stream as they come, which a test can wait on.
#[derive(Clone, Default)]
pub struct Lines(Arc<(Mutex<Vec<String>>, Condvar)>);

impl Lines {
    fn collect(stream: impl Read + Send + 'static) -> Lines {
        let lines = Lines::default();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let (all, changed) = &*sink.0;
                all.lock().unwrap().push(line);
                changed.notify_all();
            }
        });
        lines
    }

    /// The lines of `stream`, read from now on.
    pub fn read(stream: impl Read + Send + 'static) -> Lines {
        Lines::collect(stream)
    }

    pub fn all(&self) -> Vec<String> {
        self.0.0.lock().unwrap().clone()
    }

    /// Waits for a line (after the first `skip`) that satisfies `matches`; returns its index.
    pub fn wait_from(&self, skip: usize, what: &str, matches: impl Fn(&str) -> bool) -> usize {
        let deadline = Instant::now() + DEADLINE;
        let (all, changed) = &*self.0;
        let mut lines = all.lock().unwrap();
        loop {
            if let Some(i) = lines.iter().skip(skip).position(|l| matches(l)) {
                return skip + i;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!("no line {what} within {DEADLINE:?}; got:\n{}", lines.join("\n"));
            }
            lines = changed.wait_timeout(lines, left).unwrap().0;
        }
    }

    pub fn wait_for(&self, what: &str, matches: impl Fn(&str) -> bool) -> usize {
        self.wait_from(0, what, matches)
    }

    pub fn wait_contains(&self, text: &str) -> usize {
        self.wait_for(&format!("containing {text:?}"), |l| l.contains(text))
    }
}

/// A running process whose output is being collected.
pub struct Running {
    pub child: Child,
    pub stdout: Lines,
    pub stderr: Lines,
}

impl Running {
    pub fn start(mut command: Command) -> Running {
        let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let stdout = Lines::collect(child.stdout.take().unwrap());
        let stderr = Lines::collect(child.stderr.take().unwrap());
        Running { child, stdout, stderr }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, signal: i32) {
        send(self.pid(), signal);
    }

    /// Waits for the exit, within the deadline, and returns the exit code.
    pub fn exit_code(&mut self) -> i32 {
        let status = wait(&mut self.child, DEADLINE).unwrap_or_else(|| {
            let _ = self.child.kill();
            panic!("process did not exit within {DEADLINE:?}; stderr:\n{}", self.stderr.all().join("\n"));
        });
        status.code().unwrap_or(-1)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;

/// Sends `signal` to `pid` with the system's `kill` command.
pub fn send(pid: u32, signal: i32) {
    let status = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().unwrap();
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// True while `pid` exists and has not exited (a zombie counts as gone).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(stat.rsplit_once(')').and_then(|(_, r)| r.split_whitespace().next()), Some("Z" | "X")),
        Err(_) => false,
    }
}

/// Waits until `pid` is gone.
pub fn wait_gone(pid: u32) {
    let deadline = Instant::now() + DEADLINE;
    while alive(pid) {
        assert!(Instant::now() < deadline, "process {pid} still alive after {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until `path` holds `text`.
pub fn wait_file_contains(path: &Path, text: &str) -> String {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let content = std::fs::read_to_string(path).unwrap_or_default();
        if content.contains(text) {
            return content;
        }
        assert!(Instant::now() < deadline, "{} never contained {text:?}; it has:\n{content}", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The config of service.HelloWorld, with `extra` lines added.
pub fn service_conf(home: &Home, extra: &str) -> PathBuf {
    home.write(
        "service.conf.toml",
        &format!(
            "service = \"service.HelloWorld\"\nmessage = \"Services all the way down.\"\nrate_per_minute = 600\n{extra}"
        ),
    )
}

/// Sends `signal` to `pid` `count` times in a row, from one `kill` command.
pub fn send_many(pid: u32, signal: i32, count: usize) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .args(std::iter::repeat_n(pid.to_string(), count))
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid} (×{count}) failed");
}

/// One of the signal masks in `/proc/PID/status` (`SigBlk`, `SigCgt`, `ShdPnd`, …); bit
/// `signal - 1` is `signal`. `None` once the process is gone.
pub fn signal_mask(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(&format!("{field}:")))?;
    u64::from_str_radix(line.split_whitespace().nth(1)?, 16).ok()
}

/// True if `signal` is set in `mask`.
pub fn has_signal(mask: u64, signal: i32) -> bool {
    mask & (1 << (signal - 1)) != 0
}

/// Waits until no `signal` sent to `pid` is still waiting to be delivered.
pub fn wait_delivered(pid: u32, signal: i32) {
    let deadline = Instant::now() + DEADLINE;
    while signal_mask(pid, "ShdPnd").is_some_and(|pending| has_signal(pending, signal)) {
        assert!(Instant::now() < deadline, "signal {signal} still pending for {pid} after {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Writes `text` to `path` in one step (aside, then renamed), so a reader never sees half of it.
pub fn replace_file(path: &Path, text: &str) {
    let aside = path.with_extension("partial");
    std::fs::write(&aside, text).unwrap();
    std::fs::rename(&aside, path).unwrap();
}

/// Sends one line to the Unix socket at `path` and returns the one line it answers (without
/// its newline).
pub fn ask(path: &Path, request: &[u8]) -> String {
    use std::io::Write;
    let mut stream = std::os::unix::net::UnixStream::connect(path).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream.write_all(request).unwrap();
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply).unwrap();
    reply.trim_end_matches('\n').to_string()
}

/// Kills the daemon its pidfile names when dropped, so that a test that fails half-way leaves
/// no daemon behind (a test that passes has stopped it already).
pub struct DaemonGuard(pub PathBuf);

impl Drop for DaemonGuard {
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(&self.0).ok().and_then(|text| text.trim().parse::<u32>().ok());
        let ours = |pid: u32| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmd| cmd.windows(6).any(|w| w == b"ginkgo"))
        };
        if let Some(pid) = pid.filter(|pid| alive(*pid) && ours(*pid)) {
            send(pid, SIGKILL);
        }
    }
}

/// One datagram from `socket`, waiting through interruptions: a read timeout makes `recv` fail
/// with EINTR whenever the process is signalled (a child's SIGCHLD, while another thread has
/// signals blocked to spawn a process), which is not the end of the wait.
pub fn recv_datagram(socket: &std::os::unix::net::UnixDatagram, buffer: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match socket.recv(buffer) {
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Checks that `done` is a command line refused as clap refuses one: exit 2, nothing on standard
/// output, and on standard error `error: {message}`, then (for most errors) the usage line and
/// always the pointer to `--help`.
pub fn assert_usage_error(done: &Finished, message: &str) {
    assert_eq!(done.code(), 2, "exit code; stderr: {}", done.stderr);
    assert_eq!(done.stdout, "", "nothing on standard output");
    let first = done.stderr.lines().next().unwrap_or_default();
    assert_eq!(first, format!("error: {message}"), "stderr: {}", done.stderr);
    assert!(done.stderr.ends_with("\n\nFor more information, try '--help'.\n"), "stderr: {}", done.stderr);
}
