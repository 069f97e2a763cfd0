//! A reload is all or nothing (issue 10, class 7), and `ginkgoctl reload` learns the answer
//! through the daemon's control socket: real processes, real files, a real socket.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use support::*;

/// service.HelloWorld, a message every 10 ms, with `extra` lines.
fn conf_text(message: &str, extra: &str) -> String {
    let rate = if extra.contains("rate_per_minute") { "" } else { "rate_per_minute = 6000\n" };
    format!("service = \"service.HelloWorld\"\nmessage = \"{message}\"\n{rate}{extra}")
}

fn write_conf(home: &Home, message: &str, extra: &str) -> PathBuf {
    let path = home.file("service.conf.toml");
    replace_file(&path, &conf_text(message, extra));
    path
}

fn socket(home: &Home) -> PathBuf {
    home.file(".service.HelloWorld.sock")
}

/// `ginkgo CONF` in the foreground, once it printed `message`.
fn serve(home: &Home, conf: &Path, message: &str) -> Running {
    let mut command = home.command(ginkgo());
    command.arg(conf);
    let run = Running::start(command);
    run.stderr.wait_contains(&format!("INFO service: {message}"));
    run
}

fn ctl(home: &Home, args: &[&str]) -> Finished {
    let mut command = home.command(ginkgoctl());
    command.args(args);
    finish(command)
}

fn reload(home: &Home, conf: &Path) -> Finished {
    ctl(home, &[conf.to_str().unwrap(), "reload"])
}

const REFUSED: &str = "ERROR runner: configuration not reloaded, keeping the old one: ";

/// Checks a refused reload: `ginkgoctl` exits 1 naming `culprit`, the daemon logged one error
/// line naming it, and the next message is still `message`, printed at the old rate (the
/// refused file asks for one a minute) and level (the refused file may ask for `warn`).
fn assert_refused(run: &Running, done: &Finished, culprit: &str, message: &str) {
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert!(done.stderr.starts_with("ginkgoctl: error: reload failed: "), "{}", done.stderr);
    assert!(done.stderr.contains(culprit), "names {culprit}: {}", done.stderr);
    let at = run.stderr.wait_for("the refusal", |l| l.contains(REFUSED) && l.contains(culprit));
    let next = run.stderr.wait_from(at + 1, "the next message", |l| l.contains("INFO service: "));
    let lines = run.stderr.all();
    assert!(lines[next].ends_with(&format!("INFO service: {message}")), "nothing applied: {lines:#?}");
    assert_eq!(lines.iter().filter(|l| l.contains(" ERROR ")).count(), 1, "one error line: {lines:#?}");
    assert!(!lines.iter().any(|l| l.ends_with("INFO runner: reloaded")), "{lines:#?}");
}

#[test]
fn a_reload_with_an_output_in_a_missing_folder_applies_nothing_and_fails() {
    let home = Home::new();
    let conf = write_conf(&home, "before", "");
    let run = serve(&home, &conf, "before");
    let missing = home.file("missing");
    write_conf(
        &home,
        "after",
        "rate_per_minute = 1\nloglevel = \"warn\"\n[logconfig]\noutputs = [\"stderr\", \"missing/app.log\"]\n",
    );
    let done = reload(&home, &conf);
    assert_refused(&run, &done, &missing.display().to_string(), "before");
    assert!(!missing.exists());

    // Fixed: the next reload applies everything, the new output included.
    write_conf(&home, "after", "[logconfig]\noutputs = [\"stderr\", \"app.log\"]\n");
    let done = reload(&home, &conf);
    assert_eq!((done.code(), done.stderr.as_str()), (0, ""), "{}", done.stderr);
    run.stderr.wait_contains("INFO service: after");
    wait_file_contains(&home.file("app.log"), "INFO service: after");
}

#[test]
fn a_reload_with_a_bad_level_applies_nothing_and_fails() {
    let cases = [
        ("loglevel = \"loud\"\n", "setting `loglevel`: `loud` is not a level"),
        ("[logconfig]\nlevel = \"shouty\"\n", "setting `logconfig.level`: `shouty` is not a level"),
        (
            "[logconfig.levels]\nginkgo_core = \"warn\"\nginkgo_examples = \"chatty\"\n",
            "setting `logconfig.levels.ginkgo_examples`: `chatty` is not a level",
        ),
    ];
    for (extra, culprit) in cases {
        let home = Home::new();
        let conf = write_conf(&home, "before", "");
        let run = serve(&home, &conf, "before");
        write_conf(&home, "after", &format!("rate_per_minute = 1\n{extra}"));
        // Given the configuration, ginkgoctl finds the mistake itself and sends nothing.
        let done = reload(&home, &conf);
        assert_eq!((done.code(), done.stdout.as_str()), (2, ""), "{}", done.stderr);
        assert!(done.stderr.starts_with(&format!("ginkgoctl: error: {culprit}")), "{}", done.stderr);
        assert_eq!(done.stderr.lines().count(), 1, "{}", done.stderr);
        assert!(!run.stderr.all().iter().any(|l| l.ends_with("INFO runner: reloading")), "nothing sent");
        // Given only the pidfile, it asks the daemon, which finds it.
        let pidfile = home.file(".service.HelloWorld.pid");
        let done = ctl(&home, &["-p", pidfile.to_str().unwrap(), "reload"]);
        assert_refused(&run, &done, culprit, "before");
    }
}

#[test]
fn a_broken_file_reaches_the_daemon_through_p_and_changes_nothing() {
    let home = Home::new();
    let conf = write_conf(&home, "before", "");
    let run = serve(&home, &conf, "before");
    std::fs::write(&conf, conf_text("after", "rate_per_minute = = 1\n")).unwrap();
    // With -p, ginkgoctl has no configuration of its own to check: the daemon finds the error.
    let pidfile = home.file(".service.HelloWorld.pid");
    let done = ctl(&home, &["-p", pidfile.to_str().unwrap(), "reload"]);
    assert_refused(&run, &done, &format!("{}:3:19: syntax error", conf.display()), "before");
}

#[test]
fn a_good_reload_after_a_refused_one_applies_and_says_so() {
    let home = Home::new();
    let conf = write_conf(&home, "before", "");
    let run = serve(&home, &conf, "before");
    write_conf(&home, "never", "[logconfig]\noutputs = [\"missing/app.log\"]\n");
    assert_eq!(reload(&home, &conf).code(), 1);
    write_conf(&home, "after", "loglevel = \"debug\"\n");
    let done = reload(&home, &conf);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(done.stdout, format!("Reloading process {}...\n", run.pid()));
    let reloaded = run.stderr.wait_contains("INFO runner: reloaded");
    run.stderr.wait_from(reloaded, "the new message", |l| l.ends_with("INFO service: after"));
    assert!(!run.stderr.all().iter().any(|l| l.ends_with("INFO service: never")));
}

#[test]
fn restart_only_settings_are_reported_and_the_rest_applies() {
    let home = Home::new();
    let conf = write_conf(&home, "before", "");
    let run = serve(&home, &conf, "before");
    let pid = run.pid();
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap();
    write_conf(&home, "after", "umask = \"077\"\nrundir = \"/\"\nstop_timeout = 3\n");
    let done = reload(&home, &conf);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let warnings: Vec<&str> = done.stderr.lines().collect();
    assert_eq!(
        warnings,
        [
            "ginkgoctl: warning: setting `rundir` changed from unset to \"/\": takes effect on restart",
            "ginkgoctl: warning: setting `umask` changed from \"022\" to \"077\": takes effect on restart",
        ]
    );
    let reloaded = run.stderr.wait_contains("INFO runner: reloaded");
    run.stderr.wait_from(reloaded, "the new message", |l| l.ends_with("INFO service: after"));
    let lines = run.stderr.all();
    for warning in &warnings {
        let logged = format!("WARN runner: {}", warning.trim_start_matches("ginkgoctl: warning: "));
        assert_eq!(lines.iter().filter(|l| l.ends_with(&logged)).count(), 1, "{logged}: {lines:#?}");
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(status.lines().any(|l| l == "Umask:\t0022"), "the umask is kept: {status}");
    assert_eq!(std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap(), cwd, "the folder is kept");
}

#[test]
fn the_control_socket_is_the_service_users_own_and_refuses_everyone_else() {
    if !is_root() {
        eprintln!("skipped: running the daemon as nobody and a client as nobody needs root");
        return;
    }
    // The service user owns its run folder, as in production.
    let home = Home::new();
    std::os::unix::fs::chown(home.path(), Some(65534), Some(65534)).unwrap();
    let conf = write_conf(&home, "as nobody", "user = \"nobody\"\n");
    let conf = conf.to_str().unwrap();
    let _daemon = DaemonGuard(home.file(".service.HelloWorld.pid"));
    assert_eq!(ctl(&home, &[conf, "start"]).code(), 0);
    let meta = std::fs::symlink_metadata(socket(&home)).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!((meta.uid(), meta.mode() & 0o777), (65534, 0o600), "owned by the service user, mode 0600");
    let done = ctl(&home, &[conf, "reload"]);
    assert_eq!(done.code(), 0, "root may: {}", done.stderr);
    assert_eq!(ctl(&home, &[conf, "stop"]).code(), 0);
    assert!(!socket(&home).exists(), "the socket goes with the daemon");

    // A daemon running as root; a client running as nobody. The socket's mode keeps it out;
    // opened up by hand, the daemon still refuses it by its credentials. (A folder of root's:
    // with no service user, the runner writes only in folders of its own user.)
    let home = Home::new();
    let _second = DaemonGuard(home.file(".service.HelloWorld.pid"));
    let conf = write_conf(&home, "as root", "");
    let conf = conf.to_str().unwrap();
    std::fs::set_permissions(conf, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(ctl(&home, &[conf, "start"]).code(), 0);
    let log = home.file(".service.HelloWorld.log");
    let logged_before = std::fs::read_to_string(&log).unwrap().len();
    let as_nobody = || {
        let mut command = home.command(ginkgoctl());
        std::os::unix::process::CommandExt::uid(&mut command, 65534);
        command.args([conf, "reload"]);
        finish(command)
    };
    let done = as_nobody();
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert!(done.stderr.contains("Permission denied"), "{}", done.stderr);
    std::fs::set_permissions(socket(&home), std::fs::Permissions::from_mode(0o666)).unwrap();
    let done = as_nobody();
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert!(
        done.stderr.contains("permission denied: uid 65534 is neither root nor the service's user"),
        "{}",
        done.stderr
    );
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(!log[logged_before..].contains("INFO runner: reloading"), "nobody reloaded nothing: {log}");
    assert!(log[logged_before..].contains("WARN runner: control socket: refused a connection from uid 65534"), "{log}");
    assert_eq!(ctl(&home, &[conf, "stop"]).code(), 0);
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

#[test]
fn bad_requests_get_an_error_and_the_daemon_keeps_serving() {
    let home = Home::new();
    let conf = write_conf(&home, "before", "");
    let run = serve(&home, &conf, "before");
    let path = socket(&home);
    let pid = run.pid();
    let cases: [(&[u8], &str); 5] = [
        (b"not json\n", "\"error\":\"not a JSON request: expected ident at line 1 column 2\""),
        (b"[1, 2]\n", "\"error\":\"a request is a JSON object with a `request` field\""),
        (
            b"{\"request\": \"dance\"}\n",
            "\"error\":\"unknown request `dance`; this daemon answers: reload, status, loglevel, settings, upgrade\"",
        ),
        (b"{\"request\": \"reload\", \"force\": true}\n", "\"error\":\"request `reload` takes no field `force`\""),
        (b"\xff\xfe\n", "\"error\":\"a request is one line of UTF-8 JSON\""),
    ];
    for (request, error) in cases {
        let reply = ask(&path, request);
        assert!(reply.starts_with('{') && reply.contains("\"ok\":false") && reply.contains(error), "{reply}");
        assert!(reply.contains(&format!("\"pid\":{pid}")), "{reply}");
    }
    // Too long: answered, then the connection is closed.
    let mut huge = vec![b'x'; 70_000];
    huge.push(b'\n');
    let mut stream = UnixStream::connect(&path).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    // The daemon may close before it has read everything: the end of the write may fail.
    let _ = stream.write_all(&huge);
    let mut replies = BufReader::new(stream);
    let mut reply = String::new();
    replies.read_line(&mut reply).unwrap();
    assert!(reply.contains("\"error\":\"request longer than 65536 bytes\""), "{reply}");
    let mut rest = Vec::new();
    assert!(replies.read_to_end(&mut rest).map_or(true, |_| rest.is_empty()), "then closed: {rest:?}");

    // A client that says nothing holds no one up: the service and other clients go on, and the
    // silent one is closed after the read timeout.
    let mut silent = UnixStream::connect(&path).unwrap();
    silent.write_all(b"{\"request\":").unwrap();
    let at = run.stderr.all().len();
    run.stderr.wait_from(at, "a message meanwhile", |l| l.ends_with("INFO service: before"));
    let reply = ask(&path, b"{\"request\": \"reload\"}\n");
    assert!(reply.contains("\"ok\":true") && reply.contains("\"warnings\":[]"), "{reply}");
    silent.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut rest = String::new();
    silent.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("\"error\":\"no complete request within 5s\""), "{rest}");
    assert!(alive(pid));
    // Several requests on one connection, answered in order.
    let reply = ask(&path, b"{\"request\": \"nope\"}\n{\"request\": \"reload\"}\n");
    assert!(reply.contains("unknown request `nope`"), "{reply}");
}

#[test]
fn the_control_socket_is_made_at_start_replaced_when_stale_and_removed_at_exit() {
    let home = Home::new();
    let conf = write_conf(&home, "before", "");
    let path = socket(&home);

    // A stale socket (nobody listens) is replaced.
    drop(UnixListener::bind(&path).unwrap());
    let mut run = serve(&home, &conf, "before");
    assert!(ask(&path, b"{\"request\": \"reload\"}\n").contains("\"ok\":true"));
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    assert_eq!(home.entries(), ["service.conf.toml"], "the socket goes with the process");

    // A live one, or anything that is not a socket, is not touched and the start fails.
    let live = UnixListener::bind(&path).unwrap();
    let mut command = home.command(ginkgo());
    command.arg(&conf);
    let done = finish(command);
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert!(
        done.stderr
            .ends_with(&format!("ginkgo: error: control socket {} is in use by another process\n", path.display())),
        "{}",
        done.stderr
    );
    drop(live);
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, "mine").unwrap();
    let mut command = home.command(ginkgo());
    command.arg(&conf);
    let done = finish(command);
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert!(
        done.stderr.ends_with(&format!(
            "ginkgo: error: {} exists and is not a socket; refusing to replace it\n",
            path.display()
        )),
        "{}",
        done.stderr
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    assert_eq!(home.entries(), [".service.HelloWorld.sock", "service.conf.toml"], "no pidfile left behind");
}

#[test]
fn a_control_socket_path_too_long_is_a_usage_error_before_the_start() {
    let home = Home::new();
    let conf = write_conf(&home, "before", "");
    let long = format!("/tmp/{}.sock", "x".repeat(120));
    let mut command = home.command(ginkgo());
    command.arg("--set").arg(format!("control_socket={long}")).arg(&conf);
    let done = finish(command);
    assert_eq!(done.code(), 2);
    assert_eq!(
        done.stderr,
        format!(
            "ginkgo: error: setting `control_socket`: {long} is 130 bytes long; a Unix socket path holds at most 107\n"
        )
    );
    assert_eq!(done.stdout, "");
    assert_eq!(home.entries(), ["service.conf.toml"]);
}

#[test]
fn without_a_socket_ginkgoctl_falls_back_to_sighup_and_says_so() {
    let home = Home::new();
    let conf = write_conf(&home, "before", "");
    let run = serve(&home, &conf, "before");
    std::fs::remove_file(socket(&home)).unwrap();
    write_conf(&home, "after", "");
    let done = reload(&home, &conf);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(done.stdout, format!("Reloading process {}...\n", run.pid()));
    assert_eq!(
        done.stderr,
        format!(
            "ginkgoctl: warning: no control socket at {}: sent SIGHUP; the outcome cannot be confirmed (see the log)\n",
            socket(&home).display()
        )
    );
    run.stderr.wait_contains("INFO service: after");
}

#[test]
fn the_control_socket_setting_moves_the_socket() {
    let home = Home::new();
    let conf = write_conf(&home, "before", "control_socket = \"control/app.sock\"\n");
    std::fs::create_dir(home.file("control")).unwrap();
    let mut run = serve(&home, &conf, "before");
    assert!(!socket(&home).exists());
    write_conf(&home, "after", "control_socket = \"control/app.sock\"\n");
    assert_eq!(reload(&home, &conf).code(), 0);
    run.stderr.wait_contains("INFO service: after");
    assert!(ask(&home.file("control/app.sock"), b"{\"request\": \"reload\"}\n").contains("\"ok\":true"));
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    assert_eq!(std::fs::read_dir(home.file("control")).unwrap().count(), 0, "removed at exit");
}

#[test]
fn a_new_stop_timeout_applies_at_the_next_stop() {
    let home = Home::new();
    // fixture.SlowStop takes a minute to stop; the runner gives the tree `stop_timeout`.
    let conf = home.file("slow.toml");
    replace_file(&conf, "service = \"fixture.SlowStop\"\nstop_timeout = 60\n");
    let mut command = home.command(fixture());
    command.arg(&conf);
    let mut run = Running::start(command);
    run.stderr.wait_contains("INFO runner: fixture.SlowStop is ready");
    replace_file(&conf, "service = \"fixture.SlowStop\"\nstop_timeout = 0.2\n");
    run.signal(SIGHUP);
    run.stderr.wait_contains("INFO runner: reloaded");
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 1);
    let lines = run.stderr.all();
    assert_eq!(
        lines.last().unwrap(),
        "ginkgo: error: the service did not stop within stop_timeout (200ms); exiting anyway",
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("WARN runner: setting `stop_timeout`")), "applies live: {lines:#?}");
}
