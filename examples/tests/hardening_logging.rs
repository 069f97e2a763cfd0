//! Logging under faults: a log that cannot be written (a closed pipe, a full disk, a file size
//! limit, a reader that stopped reading) never stops, freezes or kills the service, and the
//! command lines' own output never turns a gone reader into a panic.
//!
//! The servers are `fixture.Chatty` (examples/fixtures/runner.rs): it writes its address to a
//! file (the log may be unreadable), logs `fixture.flood` lines of about 1 KiB for each
//! connection before answering `served N`, and a `tick N` line every 50 ms.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use support::*;

/// A stream whose reader has gone before anything was written to it: every write fails with
/// EPIPE. (A socket rather than a pipe: std's `io::pipe` is newer than our minimum Rust; the
/// write fails the same way, as on a systemd journal's stream that was closed.)
fn reader_gone() -> Stdio {
    let (ours, theirs) = UnixStream::pair().unwrap();
    drop(ours);
    Stdio::from(OwnedFd::from(theirs))
}

/// Runs `command` with `stdout` and `stderr` to its end, within the deadline.
fn exit_code(mut command: Command, stdout: Stdio, stderr: Stdio) -> i32 {
    let mut child = command.stdin(Stdio::null()).stdout(stdout).stderr(stderr).spawn().unwrap();
    let status = wait(&mut child, DEADLINE).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("did not finish within {DEADLINE:?}: {command:?}");
    });
    status.code().unwrap_or_else(|| panic!("killed by a signal ({status}): {command:?}"))
}

/// `fixture.Chatty`, ticking every 50 ms and writing its address to a file in `home`, with
/// `sets` added.
fn chatty(home: &Home, sets: &[&str]) -> Command {
    let mut command = home.command(fixture());
    command.args(["--set", "fixture.tick=0.05", "--set"]);
    command.arg(format!("fixture.address_file={}", address_file(home).display()));
    for set in sets {
        command.args(["--set", set]);
    }
    command.arg("fixture.Chatty");
    command
}

fn address_file(home: &Home) -> PathBuf {
    home.file("address")
}

/// The address `fixture.Chatty` listens on, once it does.
fn address(home: &Home) -> String {
    let path = address_file(home);
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Ok(address) = std::fs::read_to_string(&path) {
            return address;
        }
        assert!(Instant::now() < deadline, "no address in {} within {DEADLINE:?}", path.display());
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Connects to the server and returns its whole answer.
fn ask(address: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap_or_else(|err| panic!("no answer from {address}: {err}"));
    answer
}

/// How many `write` calls the log writer threads of `pid` have made, failed ones included
/// (`/proc/PID/task/TID/io`): the way to know that lines were tried while the log was failing.
fn log_writes(pid: u32) -> u64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"));
    let tasks = tasks.unwrap_or_else(|err| panic!("process {pid} is gone: {err}"));
    tasks
        .filter_map(|task| {
            let task = task.ok()?.path();
            let name = std::fs::read_to_string(task.join("comm")).ok()?;
            if name.trim() != "ginkgo-log" {
                return None;
            }
            let io = std::fs::read_to_string(task.join("io")).ok()?;
            io.lines().find_map(|line| line.strip_prefix("syscw: ")).and_then(|n| n.trim().parse::<u64>().ok())
        })
        .sum()
}

/// Waits until the log writers of `pid` have made `count` more writes than `before`.
fn wait_log_writes(pid: u32, before: u64, count: u64) {
    let deadline = Instant::now() + DEADLINE;
    while log_writes(pid) < before + count {
        assert!(Instant::now() < deadline, "the log writer did not try {count} writes within {DEADLINE:?}");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Waits until the log file `log` says lines were lost for `reason`; the index of that line
/// and how many.
fn wait_lost_report(log: &Path, reason: &str) -> (usize, u64) {
    let text = wait_file_contains(log, &format!(" lost: {reason}"));
    let lines: Vec<String> = text.lines().map(String::from).collect();
    lost_lines(&lines, reason).unwrap()
}

/// `N` from the first line that says `N log lines lost: {reason}`, and that line's index.
fn lost_lines(lines: &[String], reason: &str) -> Option<(usize, u64)> {
    lines.iter().enumerate().find_map(|(at, line)| {
        let (_, rest) = line.split_once(" WARN runner: ")?;
        let (count, why) = rest.split_once(" log lines lost: ").or_else(|| rest.split_once(" log line lost: "))?;
        (why == reason).then(|| (at, count.parse().unwrap()))
    })
}

#[test]
fn the_command_lines_exit_normally_when_their_reader_has_gone() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let conf = conf.to_str().unwrap();
    let cases: [(&str, &[&str], i32); 9] = [
        ("ginkgo", &["--help"], 0),
        // No TARGET: a usage error, on standard error.
        ("ginkgo", &[], 2),
        ("ginkgo", &["-v"], 0),
        ("ginkgo", &["-h", conf], 0),
        ("ginkgoctl", &["--help"], 0),
        ("ginkgoctl", &["-v"], 0),
        ("ginkgoctl", &[conf, "status"], 3),
        ("ginkgoctl", &[conf, "stop"], 0),
        ("ginkgoctl", &[conf, "dance"], 2),
    ];
    for (program, args, expected) in cases {
        let mut command = home.command(if program == "ginkgo" { ginkgo() } else { ginkgoctl() });
        command.args(args);
        let described = format!("{command:?}");
        // Standard error gone too: even the error line of a failing command must not panic.
        assert_eq!(exit_code(command, reader_gone(), reader_gone()), expected, "{described}");
    }
}

#[test]
fn log_and_logtail_end_quietly_when_their_reader_leaves() {
    let home = Home::new();
    let log = home.file("app.log");
    // Far more than a pipe holds, so `log` is still writing when the reader leaves.
    let text: String = (0..20_000).map(|n| format!("2026-11-25 18:23:57,010    INFO service: line {n}\n")).collect();
    std::fs::write(&log, text).unwrap();
    let conf = service_conf(&home, &format!("logfile = {:?}\n", log.to_str().unwrap()));
    let conf = conf.to_str().unwrap();

    for action in ["log", "logtail"] {
        let mut command = home.command(ginkgoctl());
        command.args([conf, action]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        // `| head -1`: one line, then the reader is gone.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        assert!(first.contains("INFO service: line "), "{action}: {first}");
        // logtail has printed all it had and follows a quiet file: it must notice by itself.
        let status = wait(&mut child, DEADLINE).unwrap_or_else(|| {
            let _ = child.kill();
            panic!("{action} still running {DEADLINE:?} after its reader left");
        });
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert_eq!((status.code(), stderr.as_str()), (Some(0), ""), "{action}");
    }
}

#[test]
fn a_service_whose_stderr_closes_keeps_serving_and_exits_0_without_its_pidfile() {
    // `ginkgo app.toml 2>&1 | head -3`
    let home = Home::new();
    let mut command = chatty(&home, &[]);
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut run = Running { child: command.spawn().unwrap(), stdout: Lines::default(), stderr: Lines::default() };
    let mut stderr = BufReader::new(run.child.stderr.take().unwrap());
    for _ in 0..3 {
        stderr.read_line(&mut String::new()).unwrap();
    }
    drop(stderr);
    let address = address(&home);
    let pidfile = home.file(".fixture.Chatty.pid");
    assert!(pidfile.exists());
    // Each connection logs a line into the closed pipe before it answers.
    assert_eq!(ask(&address), "served 1\n");
    assert_eq!(ask(&address), "served 2\n");
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    assert!(!pidfile.exists(), "the pidfile is removed on exit");
}

#[test]
fn a_service_that_cannot_write_its_log_from_the_start_still_starts_serves_and_stops() {
    let home = Home::new();
    let mut command = chatty(&home, &[]);
    let full = std::fs::File::options().write(true).open("/dev/full").unwrap();
    command.stdin(Stdio::null()).stdout(Stdio::from(full.try_clone().unwrap())).stderr(Stdio::from(full));
    let mut run = Running { child: command.spawn().unwrap(), stdout: Lines::default(), stderr: Lines::default() };
    let address = address(&home);
    assert_eq!(ask(&address), "served 1\n");
    assert_eq!(ask(&address), "served 2\n");
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    assert!(!home.file(".fixture.Chatty.pid").exists(), "the pidfile is removed on exit");
}

#[test]
fn a_failing_service_exits_1_whatever_became_of_its_stderr() {
    let home = Home::new();
    let full = || Stdio::from(std::fs::File::options().write(true).open("/dev/full").unwrap());
    for (name, stderr) in [("/dev/full", full()), ("a closed pipe", reader_gone())] {
        let mut command = home.command(fixture());
        command.arg("fixture.FailStart");
        assert_eq!(exit_code(command, Stdio::null(), stderr), 1, "stderr at {name}");
    }
}

/// Starts `fixture.Chatty` with a standard error nobody reads (yet), and floods it with more
/// than a pipe and the log queue hold, so that lines are dropped.
fn flood_a_stuck_reader(home: &Home) -> (Running, impl Read + Send + 'static, String) {
    let mut command = chatty(home, &["fixture.flood=1500"]);
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut run = Running { child: command.spawn().unwrap(), stdout: Lines::default(), stderr: Lines::default() };
    let stderr = run.child.stderr.take().unwrap();
    let address = address(home);
    // 1.5 MiB of lines into a 64 KiB pipe: each answer proves the connection's task was not
    // held up by its logging.
    assert_eq!(ask(&address), "served 1\n");
    assert_eq!(ask(&address), "served 2\n");
    (run, stderr, address)
}

#[test]
fn a_log_reader_that_stops_reading_holds_nothing_up_and_hears_what_it_missed() {
    let home = Home::new();
    let (mut run, stderr, address) = flood_a_stuck_reader(&home);
    // The reader comes back.
    run.stderr = Lines::read(stderr);
    let reason = "the output did not keep up";
    run.stderr.wait_for("saying lines were lost", |line| line.contains(&format!(" lost: {reason}")));
    let (at, count) = lost_lines(&run.stderr.all(), reason).unwrap();
    assert!(count > 0);
    // Logging goes on after the report, and so does serving.
    run.stderr.wait_from(at + 1, "a tick after the report", |line| line.contains("INFO runner_fixture: tick "));
    assert_eq!(ask(&address), "served 3\n");
    run.stderr.wait_contains("INFO runner_fixture: connection 3: line 0 ");
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
}

#[test]
fn a_log_reader_that_never_reads_again_delays_the_exit_only_briefly() {
    let home = Home::new();
    let (mut run, stderr, _) = flood_a_stuck_reader(&home);
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    assert!(!home.file(".fixture.Chatty.pid").exists(), "the pidfile is removed on exit");
    drop(stderr);
}

/// `fixture.Chatty` logging to `logs/app.log` in `home` (made here), flooding 64 lines per
/// connection.
fn chatty_logging_to_a_file(home: &Home) -> Command {
    let logs = home.file("logs");
    std::fs::create_dir_all(&logs).unwrap();
    chatty(home, &["fixture.flood=64", &format!("logfile={}", logs.join("app.log").display())])
}

/// Starts `service` as a daemon (`-d`) through `launcher` (which gets the command line as its
/// last arguments); its pid, read from `pidfile` in `home`. None if the launcher failed (the
/// fault cannot be set up here).
fn start_daemon(home: &Home, launcher: &[impl AsRef<str>], service: Command, pidfile: &str) -> Option<u32> {
    let launcher: Vec<&str> = launcher.iter().map(AsRef::as_ref).collect();
    let mut command = Command::new(launcher[0]);
    command.args(&launcher[1..]).arg(service.get_program()).args(service.get_args()).arg("-d");
    for (key, value) in service.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    let started = finish(command);
    if started.code() != 0 {
        eprintln!("skipped: {launcher:?} failed: {}", started.stderr.trim());
        return None;
    }
    let pid = home.pid(pidfile).expect("a pidfile");
    assert!(started.stdout.ends_with(&format!("Process is running as {pid}.\n")), "{}", started.stdout);
    Some(pid)
}

/// Runs its command line in a mount namespace of its own where `folder` is a 1 MiB tmpfs,
/// filled up first if `full`. The test reaches the folder through /proc/PID/root.
fn on_a_small_disk(folder: &Path, full: bool) -> Vec<String> {
    let fill = if full { r#"head -c 2M /dev/zero > "$0/filler" 2>/dev/null;"# } else { "" };
    let script = format!(r#"mount -t tmpfs -o size=1m tmpfs "$0" && {{ {fill} exec "$@"; }}"#);
    ["unshare", "-m", "--propagation", "private", "sh", "-c", &script, folder.to_str().unwrap()]
        .map(String::from)
        .to_vec()
}

fn have_unshare() -> bool {
    let found = Command::new("unshare").arg("--version").output().is_ok();
    if !found {
        eprintln!("skipped: a full disk needs unshare (util-linux)");
    }
    found
}

/// `path` as the process `pid` sees it (in its own mount namespace).
fn seen_by(pid: u32, path: &Path) -> PathBuf {
    Path::new(&format!("/proc/{pid}/root")).join(path.strip_prefix("/").unwrap())
}

/// Stops the daemon `pid` (it must stop), also when the test failed.
struct Stop(u32);

impl Drop for Stop {
    fn drop(&mut self) {
        if alive(self.0) {
            send(self.0, SIGTERM);
            wait_gone(self.0);
        }
    }
}

/// `ginkgoctl -p PIDFILE status`, with `pidfile` in `home`.
fn ctl_status(home: &Home, pidfile: &str) -> Finished {
    let mut command = home.command(ginkgoctl());
    command.args(["-p", home.file(pidfile).to_str().unwrap(), "status"]);
    finish(command)
}

#[test]
fn a_daemon_whose_log_disk_fills_up_keeps_serving_and_later_says_what_was_lost() {
    let home = Home::new();
    let logs = home.file("logs");
    if !have_unshare() {
        return;
    }
    let daemon = chatty_logging_to_a_file(&home);
    let launcher = on_a_small_disk(&logs, false);
    let Some(pid) = start_daemon(&home, &launcher, daemon, ".fixture.Chatty.pid") else { return };
    let _stop = Stop(pid);
    let inside = |name: &str| seen_by(pid, &logs.join(name));
    let log = inside("app.log");
    wait_file_contains(&log, "INFO runner: fixture.Chatty is ready");
    let address = address(&home);

    // Fill the disk.
    let mut filler = std::fs::File::create(inside("filler")).unwrap();
    let block = vec![0u8; 64 * 1024];
    let full = loop {
        if let Err(err) = filler.write_all(&block) {
            break err;
        }
    };
    assert_eq!(full.raw_os_error(), Some(28), "{full}");
    // 64 lines of 1 KiB: far more than what is left in the log file's last page.
    let before = log_writes(pid);
    assert_eq!(ask(&address), "served 1\n");
    wait_log_writes(pid, before, 64);
    let status = ctl_status(&home, ".fixture.Chatty.pid");
    let first = status.stdout.lines().next().map(String::from);
    assert_eq!((status.code(), first), (0, Some(format!("Process is running as {pid}."))));
    assert_eq!(ask(&address), "served 2\n");

    // Make room again.
    drop(filler);
    std::fs::remove_file(inside("filler")).unwrap();
    let reason = "No space left on device (os error 28)";
    let (at, count) = wait_lost_report(&log, reason);
    // Most of the 64 lines: only the first few fit what was left.
    assert!(count >= 50, "{count} lines lost");
    // The service's loop goes on logging.
    let ticks_after = |text: &str| text.lines().skip(at + 1).filter(|line| line.contains(" tick ")).count();
    let deadline = Instant::now() + DEADLINE;
    while ticks_after(&std::fs::read_to_string(&log).unwrap()) < 2 {
        assert!(Instant::now() < deadline, "no ticks after the report");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(ask(&address), "served 3\n");
}

#[test]
fn a_daemon_past_its_file_size_limit_keeps_serving_and_later_says_what_was_lost() {
    let home = Home::new();
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("skipped: a file size limit needs prlimit (util-linux)");
        return;
    }
    let daemon = chatty_logging_to_a_file(&home);
    let Some(pid) = start_daemon(&home, &["env"], daemon, ".fixture.Chatty.pid") else { return };
    let _stop = Stop(pid);
    let log = home.file("logs/app.log");
    wait_file_contains(&log, "INFO runner: fixture.Chatty is ready");
    let address = address(&home);

    // A limit a little above the log's size now: SIGXFSZ would kill an unprepared process.
    let limit = std::fs::metadata(&log).unwrap().len() + 4096;
    let limited = finish({
        let mut command = Command::new("prlimit");
        command.args(["--pid", &pid.to_string(), &format!("--fsize={limit}:")]);
        command
    });
    assert_eq!(limited.code(), 0, "{}", limited.stderr);
    let before = log_writes(pid);
    assert_eq!(ask(&address), "served 1\n");
    wait_log_writes(pid, before, 64);
    assert!(alive(pid));
    assert_eq!(std::fs::metadata(&log).unwrap().len(), limit, "the log stopped at the limit");
    assert_eq!(ask(&address), "served 2\n");

    let lifted = finish({
        let mut command = Command::new("prlimit");
        command.args(["--pid", &pid.to_string(), "--fsize=unlimited:"]);
        command
    });
    assert_eq!(lifted.code(), 0, "{}", lifted.stderr);
    let reason = "File too large (os error 27)";
    let (_, count) = wait_lost_report(&log, reason);
    // Most of the 64 lines: only the first few fit what was left.
    assert!(count >= 50, "{count} lines lost");
    assert_eq!(ask(&address), "served 3\n");
    wait_file_contains(&log, "INFO runner_fixture: connection 3: line 0 ");
}

#[test]
fn a_panic_is_logged_like_any_other_error() {
    let home = Home::new();
    let mut command = home.command(fixture());
    command.arg("fixture.Panic");
    let done = finish(command);
    assert_eq!(done.code(), 1, "{}", done.stderr);
    let line = done.stderr.lines().find(|line| line.contains(" ERROR panic: ")).unwrap_or_else(|| {
        panic!("no panic line in:\n{}", done.stderr);
    });
    assert!(line.contains(" ERROR panic: thread '"), "{line}");
    assert!(line.contains("' panicked at examples/fixtures/runner.rs:"), "{line}");
    assert!(line.ends_with(": the fixture panics on purpose"), "{line}");
}

#[test]
fn a_daemon_printing_to_its_full_log_disk_keeps_running_and_later_says_what_was_lost() {
    // hello.HelloWorld prints with `println!`, which panics when the write fails; a daemon's
    // standard output is its log file.
    let home = Home::new();
    let logs = home.file("logs");
    std::fs::create_dir_all(&logs).unwrap();
    if !have_unshare() {
        return;
    }
    let mut hello = home.command(ginkgo());
    hello.args(["--set", &format!("logfile={}", logs.join("app.log").display()), "hello.HelloWorld"]);
    let launcher = on_a_small_disk(&logs, true);
    let Some(pid) = start_daemon(&home, &launcher, hello, ".hello.HelloWorld.pid") else { return };
    let _stop = Stop(pid);
    let log = seen_by(pid, &logs.join("app.log"));
    // Two `Hello World`s, a second apart, tried on the full disk.
    wait_log_writes(pid, log_writes(pid), 2);
    let status = ctl_status(&home, ".hello.HelloWorld.pid");
    let first = status.stdout.lines().next().map(String::from);
    assert_eq!((status.code(), first), (0, Some(format!("Process is running as {pid}."))));
    assert_eq!(std::fs::metadata(&log).unwrap().len(), 0);

    std::fs::remove_file(seen_by(pid, &logs.join("filler"))).unwrap();
    let reason = "No space left on device (os error 28)";
    let (at, count) = wait_lost_report(&log, reason);
    // At least the two writes seen failing.
    assert!(count >= 2, "{count} lines lost");
    assert_eq!(at, 0, "the report comes first: nothing was written before");
    wait_file_contains(&log, "\nHello World\n");
}

#[test]
fn a_daemons_own_output_goes_through_its_log_writer_also_after_a_reload() {
    let home = Home::new();
    let conf = home.write("hello.toml", "service = \"hello.HelloWorld\"\n");
    let conf = conf.to_str().unwrap();
    let ctl = |action: &str| {
        let mut command = home.command(ginkgoctl());
        command.args([conf, action]);
        finish(command)
    };
    assert_eq!(ctl("start").code(), 0);
    let pid = home.pid(".hello.HelloWorld.pid").unwrap();
    let _stop = Stop(pid);
    let log = home.file(".hello.HelloWorld.log");
    let streams =
        || ["1", "2"].map(|fd| std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).unwrap().display().to_string());
    wait_file_contains(&log, "Hello World\n");
    assert!(streams().iter().all(|target| target.starts_with("pipe:")), "{:?}", streams());

    // logrotate, then a reload: the streams go to the new file, still through the pipe.
    std::fs::rename(&log, home.file("rotated.log")).unwrap();
    assert_eq!(ctl("reload").code(), 0);
    wait_file_contains(&log, "Hello World\n");
    assert!(streams().iter().all(|target| target.starts_with("pipe:")), "{:?}", streams());
    assert_eq!(ctl("stop").code(), 0);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("INFO runner: Stopping."), "{text}");
}
