//! The operator's view of a running daemon: `ginkgoctl status` (the live tree), `loglevel`,
//! `settings`, and the health endpoint (`/livez`, `/readyz`, `/metrics`). Real binaries, real
//! sockets; the daemons run on the backend `GINKGO_ASYNC` names (tokio by default), and CI runs
//! this suite once per backend.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;
use support::*;

/// A config file for `fixture.Observed` in `home`, with `extra` lines.
fn observed(home: &Home, extra: &str) -> PathBuf {
    let text =
        format!("service = \"fixture.Observed\"\npidfile = \"observed.pid\"\nlogfile = \"observed.log\"\n{extra}");
    home.write("observed.toml", &text)
}

/// `ginkgoctl -p observed.pid ARGS…` in `home`.
fn ctl(home: &Home, args: &[&str]) -> Finished {
    let mut command = home.command(ginkgoctl());
    command.arg("-p").arg(home.file("observed.pid")).args(args);
    finish(command)
}

/// Starts the fixture as a daemon with `conf` and `args`; it is killed when the guard goes, if
/// the test has not stopped it.
fn start(home: &Home, conf: &Path, args: &[&str]) -> Guard {
    let mut command = home.command(fixture());
    command.arg("-d").args(args).arg(conf);
    let done = finish(command);
    assert_eq!(done.code(), 0, "the daemon starts: {}{}", done.stdout, done.stderr);
    Guard::fixture(home.pid("observed.pid").expect("a pidfile"))
}

/// Kills a daemon left running by a test that failed half-way: the process `pid`, if it still
/// runs `program`.
struct Guard {
    pid: u32,
    program: &'static str,
}

impl Guard {
    fn fixture(pid: u32) -> Guard {
        Guard { pid, program: "runner-fixture" }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let program = self.program.as_bytes();
        let ours = std::fs::read(format!("/proc/{}/cmdline", self.pid))
            .is_ok_and(|cmd| cmd.windows(program.len()).any(|w| w == program));
        if alive(self.pid) && ours {
            send(self.pid, SIGKILL);
        }
    }
}

fn stop(home: &Home) {
    let done = ctl(home, &["stop"]);
    assert_eq!(done.code(), 0, "{}", done.stderr);
}

/// Calls `attempt` until it gives something, within the deadline.
fn wait_until<T>(what: &str, mut attempt: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(found) = attempt() {
            return found;
        }
        assert!(Instant::now() < deadline, "{what}: not within {DEADLINE:?}");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// `status --json`, parsed.
fn status_json(home: &Home) -> Value {
    let done = ctl(home, &["status", "--json"]);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(done.stdout.lines().count(), 1, "one document: {}", done.stdout);
    serde_json::from_str(&done.stdout).unwrap_or_else(|err| panic!("{err}: {}", done.stdout))
}

/// The service at `path` in a `status --json` document.
fn service<'a>(status: &'a Value, path: &str) -> &'a Value {
    let services = status["tree"]["services"].as_array().expect("services");
    services.iter().find(|s| s["path"] == path).unwrap_or_else(|| panic!("no {path} in {status}"))
}

/// One line of the printed tree: indentation, name, state, time in it, the parenthesised rest
/// (a last failure after it, `; last failure: …`, is left out).
fn tree_line(line: &str) -> (usize, String, String, String, String) {
    let indent = line.len() - line.trim_start().len();
    let line = line.split_once("; last failure: ").map_or(line, |(before, _)| before);
    let (head, details) = line.trim_start().split_once(" (").unwrap_or_else(|| panic!("no details: {line:?}"));
    let details = details.strip_suffix(')').unwrap_or_else(|| panic!("unclosed: {line:?}"));
    let (name_state, time) = head.split_once(" for ").unwrap_or_else(|| panic!("no time: {line:?}"));
    let (name, state) = name_state.split_once(' ').unwrap();
    (indent, name.into(), state.into(), time.into(), details.into())
}

/// A time as `status` prints it: `42s`, `5m 3s`, `2h 0m`, `3d 4h`.
fn is_span(text: &str) -> bool {
    let units: Vec<&str> = text.split(' ').collect();
    let numbered = |part: &str, unit: char| {
        part.strip_suffix(unit).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    match units.as_slice() {
        [s] => numbered(s, 's'),
        [a, b] => {
            (numbered(a, 'm') && numbered(b, 's'))
                || (numbered(a, 'h') && numbered(b, 'm'))
                || (numbered(a, 'd') && numbered(b, 'h'))
        }
        _ => false,
    }
}

#[test]
fn status_prints_the_tree_one_service_a_line_and_json_says_the_same() {
    let home = Home::new();
    let conf = observed(&home, &format!("fixture.ready_gate = \"{}\"\n", home.file("ready.gate").display()));
    let daemon = start(&home, &conf, &[]);
    // Pending is started by a task of Observed once Observed is up.
    let done = wait_until("Pending starting", || {
        let done = ctl(&home, &["status"]);
        done.stdout.contains("\n  Pending starting for ").then_some(done)
    });
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let mut lines = done.stdout.lines();
    assert_eq!(lines.next(), Some(format!("Process is running as {}.", daemon.pid).as_str()), "unchanged first line");
    let tree: Vec<_> = lines.map(tree_line).collect();
    let expected = [
        (0, "Observed", "ready", "2 tasks, connections 3"),
        (2, "Steady", "ready", "2 tasks, queue 7"),
        (2, "Warmup", "ready", "0 tasks"),
        (2, "Broken", "failed", "0 tasks"),
        (2, "Pending", "starting", "1 task"),
    ];
    assert_eq!(tree.len(), expected.len(), "{}", done.stdout);
    for ((indent, name, state, time, details), (want_indent, want_name, want_state, want_details)) in
        tree.iter().zip(expected)
    {
        assert_eq!((*indent, name.as_str(), state.as_str()), (want_indent, want_name, want_state), "{}", done.stdout);
        assert_eq!(details, want_details, "{}", done.stdout);
        assert!(is_span(time), "{time:?} in {}", done.stdout);
    }
    assert!(!done.stdout.contains("restart"), "no restarts shown where there were none: {}", done.stdout);
    let failed: Vec<&str> = done.stdout.lines().filter(|l| l.contains("; last failure: ")).collect();
    assert_eq!(failed.len(), 1, "only the failed service has a last failure: {}", done.stdout);
    assert!(
        failed[0].starts_with("  Broken failed for ")
            && failed[0].ends_with("; last failure: Observed/Broken: do_start failed: the disk is full"),
        "{}",
        done.stdout
    );

    // The same as one JSON document.
    let status = status_json(&home);
    assert_eq!((status["running"].as_bool(), status["pid"].as_u64()), (Some(true), Some(u64::from(daemon.pid))));
    assert_eq!((status["tree"]["total"].as_u64(), status["tree"]["omitted"].as_u64()), (Some(5), Some(0)));
    let services = status["tree"]["services"].as_array().unwrap();
    let listed: Vec<(String, String, u64, u64)> = services
        .iter()
        .map(|s| {
            let text = |key: &str| s[key].as_str().unwrap().to_string();
            (text("path"), text("state"), s["depth"].as_u64().unwrap(), s["tasks"].as_u64().unwrap())
        })
        .collect();
    let expected = [
        ("Observed", "ready", 0, 2),
        ("Observed/Steady", "ready", 1, 2),
        ("Observed/Warmup", "ready", 1, 0),
        ("Observed/Broken", "failed", 1, 0),
        ("Observed/Pending", "starting", 1, 1),
    ];
    let expected: Vec<(String, String, u64, u64)> =
        expected.iter().map(|(p, s, d, t)| (p.to_string(), s.to_string(), *d, *t)).collect();
    assert_eq!(listed, expected);
    assert_eq!(service(&status, "Observed/Steady")["gauges"], serde_json::json!({"queue": 7}));
    assert!(services.iter().all(|s| s["seconds_in_state"].is_u64()), "{status}");

    // Time in a state goes on while the state holds, and starts again when it changes.
    wait_until("Observed ready for 2 s", || {
        (service(&status_json(&home), "Observed")["seconds_in_state"].as_u64() >= Some(2)).then_some(())
    });
    std::fs::write(home.file("ready.gate"), "").unwrap();
    let status = wait_until("Pending ready", || {
        let status = status_json(&home);
        (service(&status, "Observed/Pending")["state"] == "ready").then_some(status)
    });
    let seconds = |path: &str| service(&status, path)["seconds_in_state"].as_u64().unwrap();
    assert!(seconds("Observed/Pending") < seconds("Observed"), "{status}");
    stop(&home);
}

#[test]
fn status_without_a_control_socket_says_the_tree_is_unavailable() {
    let home = Home::new();
    let conf = observed(&home, "");
    let daemon = start(&home, &conf, &[]);
    std::fs::remove_file(home.file("observed.sock")).unwrap();
    let done = ctl(&home, &["status"]);
    assert_eq!(done.code(), 0, "still running, as the pidfile says: {}", done.stderr);
    assert_eq!(
        done.stdout,
        format!(
            "Process is running as {}.\nThe tree of services is unavailable: no control socket at {} (a daemon older \
             than this command, or its socket was removed).\n",
            daemon.pid,
            home.file("observed.sock").display()
        )
    );
    let status = status_json(&home);
    assert_eq!(status["tree"], Value::Null);
    assert!(status["tree_unavailable"].as_str().unwrap().starts_with("no control socket at "), "{status}");
    // A bare PID knows no socket.
    let mut command = home.command(ginkgoctl());
    let done = finish({
        command.args(["-p", &daemon.pid.to_string(), "status"]);
        command
    });
    assert_eq!(done.code(), 0);
    assert!(done.stdout.ends_with("The tree of services is unavailable: no control socket is known for a bare PID (give the TARGET, or -p with the pidfile).\n"), "{}", done.stdout);
    stop(&home);
    // Not running, a pidfile left behind: the exit code LSB gives, and the same in JSON.
    let pidfile = home.write("observed.pid", "1\n");
    let done = ctl(&home, &["status", "--json"]);
    let stale = format!("{{\"running\":false,\"stale_pidfile\":\"{}\"}}\n", pidfile.display());
    assert_eq!((done.code(), done.stdout.as_str()), (1, stale.as_str()));
}

/// Lines of the daemon's log file from byte `from` on.
fn log_from(home: &Home, from: usize) -> String {
    std::fs::read_to_string(home.file("observed.log")).unwrap()[from..].to_string()
}

fn log_len(home: &Home) -> usize {
    std::fs::metadata(home.file("observed.log")).unwrap().len() as usize
}

/// Waits until the log from `from` on has `count` lines containing `text`.
fn wait_log(home: &Home, from: usize, text: &str, count: usize) -> String {
    wait_until(&format!("{count} log lines with {text:?}"), || {
        let log = log_from(home, from);
        (log.matches(text).count() >= count).then_some(log)
    })
}

#[test]
fn loglevel_shows_debug_lines_without_a_restart_until_a_reload() {
    let home = Home::new();
    let conf = observed(&home, "");
    let daemon = start(&home, &conf, &[]);
    let log = wait_log(&home, 0, "INFO runner_fixture: tick ", 3);
    assert!(!log.contains("beat"), "no debug lines at info: {log}");

    let done = ctl(&home, &["loglevel", "debug"]);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(
        done.stdout,
        format!(
            "Process {} now logs with the filter debug (until the next reload, which applies the configured levels again).\n",
            daemon.pid
        )
    );
    wait_log(&home, 0, "DEBUG runner_fixture: beat ", 2);
    assert_eq!(home.pid("observed.pid"), Some(daemon.pid), "the same process: no restart");

    // A reload applies the configured levels again: nothing at debug is logged after it.
    let done = ctl(&home, &["reload"]);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let reloaded = wait_log(&home, 0, "INFO runner: reloaded", 1);
    let after = reloaded.rfind("INFO runner: reloaded").unwrap();
    let log = wait_log(&home, after, "INFO runner_fixture: tick ", 3);
    assert!(!log.contains("DEBUG"), "debug lines after the reload: {log}");

    // For one module (a log target) and below.
    let from = log_len(&home);
    let done = ctl(&home, &["loglevel", "debug", "runner_fixture"]);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert!(done.stdout.contains(" now logs with the filter runner_fixture=debug,info ("), "{}", done.stdout);
    wait_log(&home, from, "DEBUG runner_fixture: beat ", 2);

    // Refused: a level the command does not know (nothing asked), a module that is no target.
    assert_usage_error(
        &ctl(&home, &["loglevel", "loud"]),
        "invalid level 'loud' for loglevel (trace, debug, info, warn, error, off)",
    );
    let done = ctl(&home, &["loglevel", "info", "no such module"]);
    assert_eq!(
        (done.code(), done.stderr.as_str()),
        (1, "ginkgoctl: error: `no such module` is not a module path or log target\n")
    );
    stop(&home);
    let pidfile = home.write("observed.pid", "1\n");
    let done = ctl(&home, &["loglevel", "info"]);
    let stale =
        format!("Process is NOT running; its pidfile {} is stale (PID 1 does not hold its lock).\n", pidfile.display());
    assert_eq!((done.code(), done.stdout.as_str()), (7, stale.as_str()), "LSB's not running");
}

/// `settings` lines as (name, value, origin).
fn settings(stdout: &str) -> BTreeMap<String, (String, String)> {
    stdout
        .lines()
        .map(|line| {
            let (name, rest) = line.split_once(" = ").unwrap_or_else(|| panic!("{line:?}"));
            let (value, origin) = rest.split_once("  # ").unwrap_or_else(|| panic!("{line:?}"));
            (name.trim_end().to_string(), (value.to_string(), origin.to_string()))
        })
        .collect()
}

#[test]
fn settings_says_where_each_value_came_from_and_hides_secrets() {
    let home = Home::new();
    let conf = observed(&home, "loglevel = \"info\"\nfixture.token = \"hunter2-secret\"\n");
    let conf_shown = conf.display().to_string();
    let mut command = home.command(fixture());
    command.env("GINKGO_UMASK", "027").args(["-d", "--set", "stop_timeout=7"]).arg(&conf);
    let done = finish(command);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let _daemon = Guard::fixture(home.pid("observed.pid").unwrap());

    let done = ctl(&home, &["settings"]);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert!(!done.stdout.contains("hunter2"), "a secret is never shown: {}", done.stdout);
    let listed = settings(&done.stdout);
    let pair = |value: &str, origin: &str| (value.to_string(), origin.to_string());
    for (name, expected) in [
        ("loglevel", pair("\"info\"", &format!("{conf_shown}:4"))),
        ("fixture.token", pair("(secret)", &format!("{conf_shown}:5"))),
        ("umask", pair("\"027\"", "environment variable GINKGO_UMASK")),
        ("stop_timeout", pair("7.0", "--set")),
        ("rundir", pair("none", "default")),
        ("health_address", pair("none", "default")),
    ] {
        assert_eq!(listed.get(name), Some(&expected), "{name} in:\n{}", done.stdout);
    }
    let names: Vec<&String> = listed.keys().collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name");

    let done = ctl(&home, &["settings", "--json"]);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert!(!done.stdout.contains("hunter2"), "{}", done.stdout);
    let document: Value = serde_json::from_str(&done.stdout).unwrap();
    let find =
        |name: &str| document["settings"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap().clone();
    assert_eq!(
        (find("fixture.token")["secret"].as_bool(), &find("fixture.token")["value"]),
        (Some(true), &Value::Null)
    );
    let origin = &find("umask")["origins"][0];
    assert_eq!((origin["source"].as_str(), origin["variable"].as_str()), (Some("environment"), Some("GINKGO_UMASK")));
    let origin = &find("loglevel")["origins"][0];
    assert_eq!((origin["file"].as_str(), origin["line"].as_u64()), (Some(conf_shown.as_str()), Some(4)));

    // The daemon's values after a reload, not the files' now.
    observed(&home, "# moved down a line\nloglevel = \"warn\"\n");
    assert_eq!(settings(&ctl(&home, &["settings"]).stdout)["loglevel"].0, "\"info\"", "not reloaded yet");
    assert_eq!(ctl(&home, &["reload"]).code(), 0);
    let listed = settings(&ctl(&home, &["settings"]).stdout);
    assert_eq!(listed["loglevel"], pair("\"warn\"", &format!("{conf_shown}:5")));
    assert_eq!(listed["fixture.token"], pair("(secret)", "default"), "gone from the file");
    stop(&home);
}

#[test]
fn settings_name_the_application_s_own_environment_variables() {
    let home = Home::new();
    let run = |mut command: std::process::Command, args: &[&str]| {
        command.env("GREETER_STOP_TIMEOUT", "5").args(args);
        finish(home.command(command))
    };
    let done = run(greeterctl(), &["--set", "greeter.address=127.0.0.1:0", "start"]);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let _daemon = Guard { pid: home.pid(".greeter.pid").unwrap(), program: "greeter" };
    let done = run(greeterctl(), &["settings"]);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let listed = settings(&done.stdout);
    assert_eq!(
        listed.get("stop_timeout"),
        Some(&("5.0".to_string(), "environment variable GREETER_STOP_TIMEOUT".to_string())),
        "{}",
        done.stdout
    );
    assert_eq!(run(greeterctl(), &["stop"]).code(), 0);
}

/// A GET of `path` at `address`: the status, the headers and the body.
fn get(address: &str, path: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or_else(|| panic!("{response:?}"));
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("{head:?}"));
    (status, head.to_string(), body.to_string())
}

/// The health endpoint's address, from the line a foreground run logs.
fn health_address(run: &Running) -> String {
    let at = run.stderr.wait_contains("INFO runner: health endpoint on http://");
    let line = &run.stderr.all()[at];
    line.split("http://").nth(1).unwrap().split(':').take(2).collect::<Vec<_>>().join(":")
}

#[test]
fn readyz_is_503_naming_what_is_not_ready_then_200_once_the_root_is() {
    let home = Home::new();
    let gate = home.file("warm.gate");
    let conf =
        observed(&home, &format!("health_address = \"127.0.0.1:0\"\nfixture.start_gate = \"{}\"\n", gate.display()));
    let mut run = Running::start({
        let mut command = home.command(fixture());
        command.arg(&conf);
        command
    });
    // The status names it once the tree is built, while it starts.
    let address = wait_until("the health address", || {
        let done = ctl(&home, &["status", "--json"]);
        let status: Value = serde_json::from_str(&done.stdout).ok()?;
        status["tree"]["health_address"].as_str().map(String::from)
    });
    // Warmup waits for its gate, and Observed for Warmup.
    let (status, head, body) = get(&address, "/readyz");
    assert_eq!((status, body.as_str()), (503, "not ready:\nObserved starting\nObserved/Warmup starting\n"), "{head}");
    assert!(head.contains("\r\nContent-Type: text/plain; charset=utf-8\r\n"), "{head}");
    assert_eq!(get(&address, "/livez").0, 200, "live while it starts");
    let done = ctl(&home, &["status"]);
    assert!(done.stdout.contains("\nObserved starting for "), "the tree while it starts: {}", done.stdout);

    std::fs::write(&gate, "").unwrap();
    let (_, _, body) = wait_until("ready", || {
        let answer = get(&address, "/readyz");
        (answer.0 == 200).then_some(answer)
    });
    assert_eq!(body, "ready\n");
    // The other paths and methods.
    assert_eq!(get(&address, "/nope").0, 404);
    let mut stream = TcpStream::connect(&address).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream.write_all(b"DELETE /readyz HTTP/1.1\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 405 Method Not Allowed\r\n") && response.contains("\r\nAllow: GET, HEAD\r\n"),
        "{response}"
    );
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
}

#[test]
fn livez_is_503_while_the_tree_s_runtime_is_wedged() {
    let backend = std::env::var("GINKGO_ASYNC").unwrap_or_else(|_| "tokio".into());
    if backend == "threads" {
        eprintln!("skipped: the threads backend runs each task on a thread of its own; no task can wedge it");
        return;
    }
    let home = Home::new();
    let mut command = home.command(fixture());
    // One executor thread, so that one task blocking it wedges the runtime.
    command.env("SMOL_THREADS", "1").env("TOKIO_WORKER_THREADS", "1").env("ASYNC_STD_THREAD_COUNT", "1");
    command.args(["--set", "health_address=127.0.0.1:0", "--set", "fixture.wedge_seconds=4", "fixture.Wedge"]);
    let mut run = Running::start(command);
    let address = health_address(&run);
    run.stderr.wait_contains("INFO runner: fixture.Wedge is ready");
    assert_eq!(get(&address, "/livez"), (200, get(&address, "/livez").1, "live\n".to_string()));
    run.signal(SIGHUP);
    run.stderr.wait_contains("wedging the executor");
    let (status, _, body) = get(&address, "/livez");
    assert_eq!(
        (status, body.as_str()),
        (503, "not live: the runtime that runs the tree did not run a probe task within 500 ms\n")
    );
    // The status still answers: the tree is read without the runtime.
    let mut ctl = home.command(ginkgoctl());
    ctl.args(["-p", home.file(".fixture.Wedge.pid").to_str().unwrap(), "status"]);
    let done = finish(ctl);
    assert!(done.stdout.contains("\nWedge ready for "), "{}", done.stdout);
    run.stderr.wait_contains("unwedged");
    wait_until("live again", || (get(&address, "/livez").0 == 200).then_some(()));
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0, "{}", run.stderr.all().join("\n"));
}

/// One sample of an exposition: its name, labels and value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Reads `text` as the OpenMetrics text format, strictly: every line a `# HELP`, `# TYPE` or
/// `# UNIT` of the family being described, or a sample of that family (its name, or a
/// counter's `_total`), with well-formed names, labels (escapes `\\`, `\"`, `\n` only) and
/// values; no family twice, no sample twice; `# EOF` last.
fn parse_openmetrics(text: &str) -> Vec<Sample> {
    let valid_name = |name: &str, colon: bool| {
        let mut chars = name.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':'))
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
    };
    let body = text.strip_suffix("# EOF\n").unwrap_or_else(|| panic!("no `# EOF` at the end:\n{text}"));
    let mut families: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut samples: Vec<Sample> = Vec::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (keyword, name) = (parts.next().unwrap(), parts.next().unwrap_or_else(|| panic!("{line:?}")));
            let argument = parts.next().unwrap_or_else(|| panic!("{line:?}"));
            assert!(valid_name(name, true), "{line:?}");
            match keyword {
                "HELP" => {
                    assert!(!families.contains_key(name), "family {name} twice");
                    current = Some(name.to_string());
                    families.insert(name.to_string(), String::new());
                }
                "TYPE" => {
                    assert_eq!(current.as_deref(), Some(name), "{line:?}");
                    let known =
                        ["counter", "gauge", "stateset", "info", "histogram", "gaugehistogram", "summary", "unknown"];
                    assert!(known.contains(&argument), "{line:?}");
                    families.insert(name.to_string(), argument.to_string());
                }
                "UNIT" => {
                    assert_eq!(current.as_deref(), Some(name), "{line:?}");
                    assert!(name.ends_with(&format!("_{argument}")), "{line:?}");
                }
                _ => panic!("unknown comment {line:?}"),
            }
            continue;
        }
        let family = current.clone().unwrap_or_else(|| panic!("a sample before any family: {line:?}"));
        let kind = families[&family].clone();
        assert!(!kind.is_empty(), "a sample before its family's TYPE: {line:?}");
        let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("{line:?}"));
        let name = &line[..name_end];
        let allowed = match kind.as_str() {
            "counter" => vec![format!("{family}_total"), format!("{family}_created")],
            _ => vec![family.clone()],
        };
        assert!(allowed.contains(&name.to_string()), "{name} is not of family {family} ({kind}): {line:?}");
        let mut rest = &line[name_end..];
        let mut labels = BTreeMap::new();
        if let Some(inside) = rest.strip_prefix('{') {
            let mut at = 0;
            loop {
                let eq = inside[at..].find("=\"").map(|i| at + i).unwrap_or_else(|| panic!("{line:?}"));
                let label = &inside[at..eq];
                assert!(valid_name(label, false), "label {label:?}: {line:?}");
                let (mut value, mut escaped, mut close) = (String::new(), false, None);
                for (i, c) in inside[eq + 2..].char_indices() {
                    match (escaped, c) {
                        (true, '\\') => value.push('\\'),
                        (true, '"') => value.push('"'),
                        (true, 'n') => value.push('\n'),
                        (true, other) => panic!("bad escape \\{other}: {line:?}"),
                        (false, '\\') => {
                            escaped = true;
                            continue;
                        }
                        (false, '"') => {
                            close = Some(eq + 2 + i);
                            break;
                        }
                        (false, other) => value.push(other),
                    }
                    escaped = false;
                }
                let close = close.unwrap_or_else(|| panic!("unclosed label value: {line:?}"));
                assert!(labels.insert(label.to_string(), value).is_none(), "label twice: {line:?}");
                match inside.as_bytes().get(close + 1) {
                    Some(b',') => at = close + 2,
                    Some(b'}') => {
                        rest = &inside[close + 2..];
                        break;
                    }
                    _ => panic!("after a label value: {line:?}"),
                }
            }
        }
        let value = rest.strip_prefix(' ').unwrap_or_else(|| panic!("no space before the value: {line:?}"));
        let value = value.split(' ').next().unwrap();
        let number = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            _ => value.parse::<f64>().unwrap_or_else(|_| panic!("value {value:?}: {line:?}")),
        };
        assert!(!samples.iter().any(|(n, l, _)| n == name && *l == labels), "sample twice: {line:?}");
        samples.push((name.to_string(), labels, number));
    }
    samples
}

#[test]
fn metrics_are_prometheus_text_with_the_tree_and_the_process() {
    let home = Home::new();
    let conf = observed(&home, "health_address = \"127.0.0.1:0\"\n");
    let _daemon = start(&home, &conf, &[]);
    let status = wait_until("Pending starting", || {
        let status = status_json(&home);
        (service(&status, "Observed/Pending")["state"] == "starting").then_some(status)
    });
    let address = status["tree"]["health_address"].as_str().expect("the status names the health address").to_string();
    let (code, head, body) = get(&address, "/metrics");
    assert_eq!(code, 200, "{head}");
    assert!(
        head.contains("\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n"),
        "{head}"
    );
    let samples = parse_openmetrics(&body);
    let value = |name: &str, labels: &[(&str, &str)]| {
        let labels: BTreeMap<String, String> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        samples
            .iter()
            .find(|(n, l, _)| n == name && *l == labels)
            .map(|(_, _, v)| *v)
            .unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{body}"))
    };
    assert_eq!(value("ginkgo_service_state", &[("path", "Observed"), ("state", "ready")]), 1.0);
    assert_eq!(value("ginkgo_service_state", &[("path", "Observed"), ("state", "starting")]), 0.0);
    assert_eq!(value("ginkgo_service_state", &[("path", "Observed/Broken"), ("state", "failed")]), 1.0);
    assert_eq!(value("ginkgo_service_state", &[("path", "Observed/Pending"), ("state", "starting")]), 1.0);
    let states: f64 = samples
        .iter()
        .filter(|(n, l, _)| n == "ginkgo_service_state" && l["path"] == "Observed/Steady")
        .map(|s| s.2)
        .sum();
    assert_eq!(states, 1.0, "one state at a time");
    assert_eq!(value("ginkgo_service_tasks", &[("path", "Observed/Steady")]), 2.0);
    assert_eq!(value("ginkgo_service_gauge", &[("path", "Observed/Steady"), ("gauge", "queue")]), 7.0);
    assert_eq!(value("ginkgo_service_gauge", &[("path", "Observed"), ("gauge", "connections")]), 3.0);
    assert_eq!(value("ginkgo_services", &[]), 5.0);
    assert_eq!(value("ginkgo_services_omitted", &[]), 0.0);
    assert!(value("ginkgo_uptime_seconds", &[]) > 0.0);
    assert!(value("process_resident_memory_bytes", &[]) > 1_000_000.0);
    assert!(value("process_open_fds", &[]) >= 3.0);
    assert!(value("process_cpu_seconds_total", &[]) >= 0.0);
    stop(&home);
}

#[test]
fn a_restarted_service_shows_its_restarts_and_last_failure_in_status_and_metrics() {
    // The supervision example: its upstream drops its connection every 0.3 s and is restarted
    // each time, within an intensity that never runs out here.
    let home = Home::new();
    let conf = home.write(
        "observed.toml",
        "service = \"supervision.Relay\"\npidfile = \"observed.pid\"\nlogfile = \"observed.log\"\n\
         health_address = \"127.0.0.1:0\"\n[supervision]\ndrop_after = 0.3\nreport_every = 3600\n\
         intensity = { restarts = 1000, period = 10 }\n",
    );
    let mut command = home.command(ginkgo());
    command.arg("-d").arg(&conf);
    let done = finish(command);
    assert_eq!(done.code(), 0, "the daemon starts: {}{}", done.stdout, done.stderr);
    let _daemon = Guard { pid: home.pid("observed.pid").expect("a pidfile"), program: "ginkgo" };

    let status = wait_until("a restart of Relay/Upstream", || {
        let status = status_json(&home);
        (service(&status, "Relay/Upstream")["restarts"].as_u64() >= Some(1)).then_some(status)
    });
    let upstream = service(&status, "Relay/Upstream");
    let error = upstream["last_failure"]["error"].as_str().expect("a last failure");
    assert!(error.starts_with("Relay/Upstream: ") && error.contains("reset by the upstream"), "{upstream}");
    assert!(upstream["last_failure"]["at"].as_f64().unwrap() > 1.7e9, "seconds since the epoch: {upstream}");
    assert_eq!(service(&status, "Relay")["restarts"], 0, "{status}");
    assert!(service(&status, "Relay").get("last_failure").is_none(), "the relay never failed: {status}");

    let printed = ctl(&home, &["status"]);
    assert_eq!(printed.code(), 0, "{}", printed.stderr);
    let line = printed.stdout.lines().find(|l| l.trim_start().starts_with("Upstream ")).expect("an Upstream line");
    assert!(line.contains(" restart") && line.contains("; last failure: Relay/Upstream: "), "{line}");
    let relay = printed.stdout.lines().find(|l| l.starts_with("Relay ")).expect("a Relay line");
    assert!(!relay.contains("restart") && !relay.contains("last failure"), "{relay}");

    let address = status["tree"]["health_address"].as_str().expect("the health address").to_string();
    let (code, head, body) = get(&address, "/metrics");
    assert_eq!(code, 200, "{head}");
    let samples = parse_openmetrics(&body);
    let restarts = |path: &str| {
        let found = samples.iter().find(|(n, l, _)| n == "ginkgo_service_restarts_total" && l["path"] == path);
        found.map(|s| s.2).unwrap_or_else(|| panic!("no restarts of {path} in:\n{body}"))
    };
    assert!(restarts("Relay/Upstream") >= 1.0, "{body}");
    assert_eq!(restarts("Relay"), 0.0, "{body}");
    stop(&home);
}

#[test]
fn a_health_address_in_use_fails_the_start_and_leaves_nothing_behind() {
    let home = Home::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    let conf = observed(&home, &format!("health_address = \"{address}\"\n"));
    let mut command = home.command(fixture());
    command.arg("-d").arg(&conf);
    let done = finish(command);
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert!(
        done.stderr.ends_with(&format!(
            "ginkgo: error: setting `health_address`: cannot serve the health endpoint on {address}: Address already in use (os error 98)\n"
        )),
        "{}",
        done.stderr
    );
    assert!(!home.file("observed.pid").exists() && !home.file("observed.sock").exists(), "{:?}", home.entries());
    let conf = observed(&home, "health_address = \"localhost:80\"\n");
    let mut command = home.command(fixture());
    command.arg(&conf);
    let done = finish(command);
    assert_eq!(done.code(), 2, "{}", done.stderr);
    assert!(done.stderr.contains(&format!("{}:4: setting `health_address`", conf.display())), "{}", done.stderr);
}

#[test]
fn a_malformed_request_is_answered_with_an_error_and_the_daemon_serves_on() {
    let home = Home::new();
    let conf = observed(&home, "");
    let daemon = start(&home, &conf, &[]);
    let socket = home.file("observed.sock");
    let cases: [(&[u8], &str); 6] = [
        (b"{\"request\": \"status\", \"depth\": 1}\n", "request `status` takes no field `depth`"),
        (b"{\"request\": \"loglevel\"}\n", "request `loglevel` needs a `level`, a string"),
        (
            b"{\"request\": \"loglevel\", \"level\": \"loud\"}\n",
            "`loud` is not a level (trace, debug, info, warn, error, off)",
        ),
        (
            b"{\"request\": \"loglevel\", \"level\": \"info\", \"module\": [1]}\n",
            "request `loglevel`: `module` is a string",
        ),
        (b"{\"request\": \"settings\", \"secret\": true}\n", "request `settings` takes no field `secret`"),
        (
            b"{\"request\": \"dance\"}\n",
            "unknown request `dance`; this daemon answers: reload, status, loglevel, settings, upgrade",
        ),
    ];
    for (request, error) in cases {
        let reply: Value = serde_json::from_str(&ask(&socket, request)).unwrap();
        assert_eq!((reply["ok"].as_bool(), reply["error"].as_str()), (Some(false), Some(error)), "{reply}");
        assert_eq!(reply["pid"].as_u64(), Some(u64::from(daemon.pid)));
    }
    let reply: Value = serde_json::from_str(&ask(&socket, b"{\"request\": \"status\"}\n")).unwrap();
    assert_eq!((reply["ok"].as_bool(), reply["request"].as_str()), (Some(true), Some("status")), "{reply}");
    assert_eq!(reply["services"][0]["path"], "Observed");
    stop(&home);
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

#[test]
fn only_root_and_the_service_user_may_ask() {
    if !is_root() {
        eprintln!("skipped: a client running as nobody needs root");
        return;
    }
    let home = Home::new();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let conf = observed(&home, "");
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).unwrap();
    let daemon = start(&home, &conf, &[]);
    let as_nobody = |args: &[&str]| {
        let mut command = home.command(ginkgoctl());
        std::os::unix::process::CommandExt::uid(&mut command, 65534);
        command.arg("-p").arg(home.file("observed.pid")).args(args);
        finish(command)
    };
    // The socket's mode keeps nobody out; opened up by hand, the daemon refuses nobody by its
    // credentials, whatever the request.
    let done = as_nobody(&["settings"]);
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert!(done.stderr.contains("Permission denied"), "{}", done.stderr);
    std::fs::set_permissions(home.file("observed.sock"), std::fs::Permissions::from_mode(0o666)).unwrap();
    let refused = "permission denied: uid 65534 is neither root nor the service's user (uid 0)";
    for args in [&["settings"][..], &["loglevel", "debug"], &["reload"]] {
        let done = as_nobody(args);
        assert_eq!(done.code(), 1, "{args:?}: {}", done.stderr);
        assert!(done.stderr.contains(refused), "{args:?}: {}", done.stderr);
    }
    let done = as_nobody(&["status"]);
    assert_eq!(done.code(), 0, "the pidfile still says it runs: {}", done.stderr);
    assert!(
        done.stdout
            .starts_with(&format!("Process is running as {}.\nThe tree of services is unavailable: ", daemon.pid)),
        "{}",
        done.stdout
    );
    assert!(done.stdout.contains(refused), "{}", done.stdout);
    let log = std::fs::read_to_string(home.file("observed.log")).unwrap();
    assert!(!log.contains("DEBUG"), "nobody changed no level: {log}");
    assert_eq!(ctl(&home, &["settings"]).code(), 0, "root may");
    stop(&home);
}
