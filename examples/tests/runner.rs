//! The `ginkgo` and `ginkgoctl` binaries, run as a user would: real processes, signals,
//! pidfiles and log files in scratch folders.

mod support;

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use support::*;

#[test]
fn without_a_target_ginkgo_is_a_usage_error_and_its_help_lists_the_registered_services() {
    let home = Home::new();
    let done = finish(home.command(ginkgo()));
    assert_usage_error(&done, "the following required arguments were not provided:");
    assert!(done.stderr.contains("\n  <TARGET>\n\nUsage: ginkgo <TARGET>\n"), "{}", done.stderr);
    let help = finish(home.command({
        let mut c = ginkgo();
        c.arg("--help");
        c
    }));
    assert_eq!(help.code(), 0);
    assert!(help.stdout.contains("\nUsage: ginkgo [OPTIONS] [TARGET]\n"), "{}", help.stdout);
    assert!(
        help.stdout.contains("Registered services:\n  hello.HelloWorld\n  service.HelloWorld\n"),
        "{}",
        help.stdout
    );
    for flag in ["-v", "-V", "--version"] {
        let version = finish(home.command({
            let mut c = ginkgo();
            c.arg(flag);
            c
        }));
        let expected = concat!("ginkgo ", env!("CARGO_PKG_VERSION"), "\n");
        assert_eq!((version.code(), version.stdout.as_str()), (0, expected), "{flag}");
    }
}

#[test]
fn help_with_a_target_lists_every_setting_with_its_current_value() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let mut command = home.command(ginkgo());
    command.arg("-h").arg(&conf);
    let done = finish(command);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let settings = done.stdout.split_once("config settings:\n").expect("a settings block").1;
    // Names are padded to the longest one, so the help texts start in one column.
    let column = settings.lines().next().unwrap().find("The async backend").unwrap();
    let line = |name: &str| -> String {
        let line = settings.lines().find(|l| l.trim_start().starts_with(&format!("{name} "))).unwrap();
        assert_eq!(line[..column].trim(), name, "{line}");
        line[column..].to_string()
    };
    assert_eq!(line("rate_per_minute"), "Rate at which to emit message (1 to 60000) [600]");
    assert_eq!(line("message"), "Message to print out while running [Services all the way down.]");
    assert_eq!(line("loglevel"), "Log level: trace, debug, info, warn (or warning), error (or critical) or off [info]");
    assert_eq!(line("umask"), "File mode creation mask, in octal (\"027\" or 0o027) [022]");
    assert_eq!(
        line("quickstart.server_address"),
        "Where HelloWorldServer listens: host:port, or unix:/path [0.0.0.0:7000]"
    );
    assert!(home.entries().iter().all(|e| e == "service.conf.toml"), "help writes no files: {:?}", home.entries());
}

#[test]
fn bad_input_is_one_line_exit_2_and_nothing_started() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let broken = home.write("broken.toml", "service = \"service.HelloWorld\"\nrate_per_minute = = 1\n");
    let missing = home.file("missing.toml");
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["nope.Nope".into()],
            "unknown service `nope.Nope`; registered: hello.HelloWorld, service.HelloWorld".into(),
        ),
        (vec![missing.display().to_string()], format!("config file {} does not exist", missing.display())),
        (vec![broken.display().to_string()], format!("{}:2:19: syntax error", broken.display())),
        (
            vec!["--set".into(), "rate_per_minute".into(), conf.display().to_string()],
            "bad --set `rate_per_minute`: expected KEY=VALUE".into(),
        ),
        (
            vec!["--set".into(), "rate_per_minute=fast".into(), conf.display().to_string()],
            "--set: setting `rate_per_minute` expects u32, found string \"fast\"".into(),
        ),
        (
            vec!["--set".into(), "async=gevent".into(), "hello.HelloWorld".into()],
            "setting `async`: unknown async backend `gevent`".into(),
        ),
        (
            vec!["-d".into(), "--set".into(), "user=no-such-user-here".into(), "hello.HelloWorld".into()],
            "setting `user`: unknown user `no-such-user-here`".into(),
        ),
    ];
    for (args, expected) in cases {
        let mut command = home.command(ginkgo());
        command.args(&args);
        let done = finish(command);
        assert_eq!(done.code(), 2, "{args:?}: {}", done.stderr);
        let lines: Vec<&str> = done.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line, got {lines:?}");
        assert!(lines[0].starts_with(&format!("ginkgo: error: {expected}")), "{args:?}: {}", lines[0]);
        assert_eq!(done.stdout, "", "{args:?}: nothing started");
    }
    let mut command = home.command(ginkgo());
    command.arg("--bogus");
    assert_usage_error(&finish(command), "unexpected argument '--bogus' found");
    assert_eq!(home.entries(), ["broken.toml", "service.conf.toml"], "no pidfile or log left behind");
}

#[test]
fn a_foreground_run_logs_to_stderr_and_stops_on_sigterm_and_sigint() {
    for signal in [SIGTERM, SIGINT] {
        let home = Home::new();
        let conf = service_conf(&home, "");
        let mut command = home.command(ginkgo());
        command.arg(&conf);
        let mut run = Running::start(command);
        run.stdout
            .wait_for("Starting process with …", |l| l == format!("Starting process with {}...", conf.display()));
        let started = run.stderr.wait_contains("    INFO service: Starting up!");
        run.stderr.wait_from(started, "a message", |l| l.ends_with("    INFO service: Services all the way down."));
        let line = &run.stderr.all()[started];
        assert_eq!(line.len(), "2012-04-28 17:21:32,608    INFO service: Starting up!".len(), "{line}");
        run.signal(signal);
        assert_eq!(run.exit_code(), 0, "{}", run.stderr.all().join("\n"));
        let lines = run.stderr.all();
        assert!(lines.iter().any(|l| l.ends_with("    INFO runner: Stopping.")), "{lines:?}");
        assert!(lines.last().unwrap().ends_with("    INFO service: Goodbye."), "{lines:?}");
        assert_eq!(home.entries(), ["service.conf.toml"], "the pidfile is removed on exit");
    }
}

#[test]
fn sighup_reloads_a_live_value_and_a_broken_file_keeps_the_service_running() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let mut command = home.command(ginkgo());
    command.arg(&conf);
    let mut run = Running::start(command);
    run.stderr.wait_contains("INFO service: Services all the way down.");

    std::fs::write(&conf, "service = \"service.HelloWorld\"\nmessage = \"Reloaded!\"\nrate_per_minute = 600\n")
        .unwrap();
    // As the manual does it: ginkgoctl finds the foreground process through its pidfile.
    let reload = ctl(&home, &[conf.to_str().unwrap(), "reload"]);
    assert_eq!((reload.code(), reload.stdout.as_str()), (0, format!("Reloading process {}...\n", run.pid()).as_str()));
    let reloaded = run.stderr.wait_contains("INFO service: Reloaded!");

    std::fs::write(&conf, "service = \"service.HelloWorld\"\nmessage = \"Never\"\nrate_per_minute = \"fast\"\n")
        .unwrap();
    run.signal(SIGHUP);
    let refused = run.stderr.wait_from(reloaded, "refusing the broken file", |l| {
        l.contains("configuration not reloaded, keeping the old one")
            && l.ends_with(&format!(
                "{}:3: setting `rate_per_minute` expects u32, found string \"fast\"",
                conf.display()
            ))
    });
    run.stderr.wait_from(refused, "the old message again", |l| l.ends_with("INFO service: Reloaded!"));
    assert!(!run.stderr.all().iter().any(|l| l.ends_with("Never")));
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
}

fn ctl(home: &Home, args: &[&str]) -> Finished {
    let mut command = home.command(ginkgoctl());
    command.args(args);
    finish(command)
}

#[test]
fn ginkgoctl_manages_a_daemon_from_start_to_stop() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let conf = conf.to_str().unwrap();

    let started = ctl(&home, &[conf, "start"]);
    assert_eq!(started.code(), 0, "{}", started.stderr);
    let pid = home.pid(".service.HelloWorld.pid").expect("a pidfile in HOME");
    assert_eq!(started.stdout, format!("Starting process with {conf}...\nProcess is running as {pid}.\n"));
    assert!(alive(pid));
    let log = home.file(".service.HelloWorld.log");
    wait_file_contains(&log, "INFO service: Services all the way down.");

    let status = ctl(&home, &[conf, "status"]);
    // The first line; the tree follows (tests/operator.rs).
    let first = status.stdout.lines().next();
    assert_eq!((status.code(), first), (0, Some(format!("Process is running as {pid}.").as_str())));

    // As LSB init scripts do, starting a running service succeeds.
    let again = ctl(&home, &[conf, "start"]);
    assert_eq!(
        (again.code(), again.stdout.as_str()),
        (0, format!("Process is already running as PID {pid}.\n").as_str())
    );

    let reload = ctl(&home, &[conf, "reload"]);
    assert_eq!((reload.code(), reload.stdout.as_str()), (0, format!("Reloading process {pid}...\n").as_str()));
    wait_file_contains(&log, "INFO config: configuration reloaded");

    let printed = ctl(&home, &[conf, "log"]);
    assert_eq!(printed.code(), 0);
    assert!(printed.stdout.contains("INFO service: Starting up!"));

    let restarted = ctl(&home, &[conf, "restart"]);
    assert_eq!(restarted.code(), 0, "{}", restarted.stderr);
    let new_pid = home.pid(".service.HelloWorld.pid").expect("a new pidfile");
    assert_ne!(new_pid, pid);
    assert_eq!(
        restarted.stdout,
        format!(
            "Stopping process {pid}...\nProcess stopped.\nStarting process with {conf}...\nProcess is running as {new_pid}.\n"
        )
    );
    assert!(!alive(pid));
    assert!(alive(new_pid), "restart leaves a running process");

    let stopped = ctl(&home, &[conf, "stop"]);
    assert_eq!(
        (stopped.code(), stopped.stdout.as_str()),
        (0, format!("Stopping process {new_pid}...\nProcess stopped.\n").as_str())
    );
    assert!(!alive(new_pid));
    assert_eq!(home.pid(".service.HelloWorld.pid"), None, "pidfile removed on exit");
    assert!(std::fs::read_to_string(&log).unwrap().contains("INFO service: Goodbye."));

    let status = ctl(&home, &[conf, "status"]);
    assert_eq!((status.code(), status.stdout.as_str()), (3, "Process is NOT running.\n"));
    let stop = ctl(&home, &[conf, "stop"]);
    assert_eq!((stop.code(), stop.stdout.as_str()), (0, "Process is NOT running.\n"));
}

#[test]
fn ginkgoctl_reload_checks_the_config_first_and_sends_nothing_if_broken() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let conf_text = std::fs::read_to_string(&conf).unwrap();
    let conf = conf.to_str().unwrap();
    assert_eq!(ctl(&home, &[conf, "start"]).code(), 0);
    let pid = home.pid(".service.HelloWorld.pid").unwrap();
    std::fs::write(conf, format!("{conf_text}rate_per_minute_typo = 3\nmessage = [\n")).unwrap();
    let reload = ctl(&home, &[conf, "reload"]);
    assert_eq!(reload.code(), 2);
    assert!(reload.stderr.starts_with(&format!("ginkgoctl: error: {conf}:")), "{}", reload.stderr);
    assert_eq!(reload.stdout, "", "no signal sent");
    std::fs::write(conf, &conf_text).unwrap();
    assert_eq!(ctl(&home, &[conf, "stop"]).code(), 0);
    let log = std::fs::read_to_string(home.file(".service.HelloWorld.log")).unwrap();
    assert!(!log.contains("reloading"), "the daemon never got a SIGHUP:\n{log}");
    assert!(!alive(pid));
}

#[test]
fn a_stale_pidfile_is_reported_then_replaced() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let conf = conf.to_str().unwrap();
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    std::fs::write(home.file(".service.HelloWorld.pid"), format!("{dead}\n")).unwrap();

    let status = ctl(&home, &[conf, "status"]);
    assert_eq!(status.code(), 1);
    assert_eq!(
        status.stdout,
        format!(
            "Process is NOT running; its pidfile {} is stale (PID {dead} does not hold its lock).\n",
            home.file(".service.HelloWorld.pid").display()
        )
    );
    assert_eq!(ctl(&home, &[conf, "start"]).code(), 0);
    let pid = home.pid(".service.HelloWorld.pid").unwrap();
    assert_ne!(pid, dead);
    assert_eq!(ctl(&home, &[conf, "stop"]).code(), 0);
}

#[test]
fn ginkgoctl_p_takes_a_pid_or_a_pidfile_and_rejects_anything_else() {
    let home = Home::new();
    let conf = service_conf(&home, "pidfile = \"other.pid\"\n");
    assert_eq!(ctl(&home, &[conf.to_str().unwrap(), "start"]).code(), 0);
    let pidfile = home.file("other.pid");
    let pid = home.pid("other.pid").unwrap().to_string();
    let status = ctl(&home, &["-p", &pid, "status"]);
    let first = status.stdout.lines().next();
    assert_eq!((status.code(), first), (0, Some(format!("Process is running as {pid}.").as_str())));
    let status = ctl(&home, &["-p", pidfile.to_str().unwrap(), "status"]);
    assert_eq!(status.code(), 0);
    let stopped = ctl(&home, &["-p", pidfile.to_str().unwrap(), "stop"]);
    assert_eq!(
        (stopped.code(), stopped.stdout.as_str()),
        (0, format!("Stopping process {pid}...\nProcess stopped.\n").as_str())
    );

    let missing = home.file("missing.pid");
    let cases: [(Vec<&str>, i32, String); 2] = [
        (
            vec!["-p", missing.to_str().unwrap(), "status"],
            2,
            format!("-p {}: neither a pid nor a readable pidfile", missing.display()),
        ),
        (vec!["-p", "abc", "stop"], 2, "-p abc: neither a pid nor a readable pidfile".into()),
    ];
    for (args, code, message) in cases {
        let done = ctl(&home, &args);
        assert_eq!(done.code(), code, "{args:?}");
        assert_eq!(done.stderr, format!("ginkgoctl: error: {message}\n"), "{args:?}");
    }
    // Command lines that do not go together are usage errors, as clap reports them.
    assert_usage_error(&ctl(&home, &["-p", "1", "hello.HelloWorld", "status"]), "give either a TARGET or -p, not both");
    assert_usage_error(&ctl(&home, &["status"]), "give a TARGET or -p PID|PIDFILE");
    let not_running = ctl(&home, &["-p", "4194305", "status"]);
    assert_eq!((not_running.code(), not_running.stdout.as_str()), (3, "Process is NOT running.\n"));
}

#[test]
fn ginkgo_daemonizes_from_the_environment() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let mut command = home.command(ginkgo());
    command.env("GINKGO_DAEMON", "true").arg(&conf);
    let started = finish(command);
    assert_eq!(started.code(), 0, "{}", started.stderr);
    let pid = home.pid(".service.HelloWorld.pid").unwrap();
    assert!(started.stdout.ends_with(&format!("Process is running as {pid}.\n")), "{}", started.stdout);
    assert_eq!(ctl(&home, &[conf.to_str().unwrap(), "stop"]).code(), 0);
}

#[test]
fn logtail_follows_new_lines_using_almost_no_cpu_and_exits_0_on_interrupt() {
    let home = Home::new();
    let conf = service_conf(&home, "rate_per_minute = 1\n");
    let conf =
        home.write("quiet.toml", &std::fs::read_to_string(&conf).unwrap().replace("rate_per_minute = 600\n", ""));
    let conf = conf.to_str().unwrap();
    assert_eq!(ctl(&home, &[conf, "start"]).code(), 0);
    let mut command = home.command(ginkgoctl());
    command.args([conf, "logtail"]);
    let mut tail = Running::start(command);
    tail.stdout.wait_contains("INFO service: Starting up!");
    let pid = home.pid(".service.HelloWorld.pid").unwrap();
    // A new line written by the daemon shows up.
    assert_eq!(ctl(&home, &[conf, "reload"]).code(), 0);
    tail.stdout.wait_contains("INFO runner: reloading");

    // Idle for a second: count the CPU time logtail used.
    let before = cpu_ticks(tail.pid());
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(tail.pid()) - before;
    assert!(used <= 5, "logtail used {used} clock ticks in one idle second");

    tail.signal(SIGINT);
    assert_eq!(tail.exit_code(), 0);
    assert_eq!(ctl(&home, &[conf, "stop"]).code(), 0);
    assert!(!alive(pid));
}

/// User plus system CPU time of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn systemd_hears_ready_reloading_and_stopping() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let socket_path = home.file("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut command = home.command(ginkgo());
    command.env("NOTIFY_SOCKET", &socket_path).env("WATCHDOG_USEC", "100000").arg(&conf);
    let mut run = Running::start(command);
    let receive = |wanted: &str| -> String {
        let mut buffer = [0u8; 4096];
        loop {
            let n = recv_datagram(&socket, &mut buffer).expect("a notification before the deadline");
            let message = String::from_utf8_lossy(&buffer[..n]).to_string();
            if message.lines().any(|l| l == wanted) {
                return message;
            }
        }
    };
    receive("READY=1");
    receive("WATCHDOG=1");
    run.signal(SIGHUP);
    let reloading = receive("RELOADING=1");
    assert!(reloading.lines().any(|l| l.starts_with("MONOTONIC_USEC=")), "{reloading}");
    receive("READY=1");
    run.signal(SIGTERM);
    receive("STOPPING=1");
    assert_eq!(run.exit_code(), 0);
}

#[test]
fn the_watchdog_pings_come_from_the_runtime_and_stop_while_it_is_wedged() {
    let home = Home::new();
    let socket_path = home.file("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut command = home.command(fixture());
    // smol's executor has one thread here, so one task that blocks it wedges the runtime.
    command.env("NOTIFY_SOCKET", &socket_path).env("WATCHDOG_USEC", "100000").env("SMOL_THREADS", "1");
    command.args(["--set", "async=smol", "fixture.Wedge"]);
    let mut run = Running::start(command);
    let receive = || -> (Instant, String) {
        let mut buffer = [0u8; 4096];
        let n = recv_datagram(&socket, &mut buffer).expect("a notification before the deadline");
        (Instant::now(), String::from_utf8_lossy(&buffer[..n]).to_string())
    };
    let is_ping = |message: &str| message.lines().any(|l| l == "WATCHDOG=1");
    while !is_ping(&receive().1) {}
    run.signal(SIGHUP);
    // The reload wedges the executor for 1.5 s: wait for the pings, every 50 ms while the runtime
    // runs, to pause for at least a second. A thread beside the runtime would go on pinging.
    let reloaded = Instant::now();
    let (mut last, mut longest) = (reloaded, Duration::ZERO);
    while longest < Duration::from_millis(1000) {
        assert!(last - reloaded < DEADLINE, "no pause in the pings; the longest gap was {longest:?}");
        let (at, message) = receive();
        if is_ping(&message) {
            longest = longest.max(at - last);
            last = at;
        }
    }
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0, "{}", run.stderr.all().join("\n"));
}

#[test]
fn a_daemon_drops_privileges_once_ready() {
    if !nix_is_root() {
        eprintln!("skipped: privilege dropping needs root");
        return;
    }
    let home = Home::new();
    // The service user must be able to reach and write its run folder.
    std::process::Command::new("chmod").arg("0777").arg(home.path()).status().unwrap();
    let conf = service_conf(&home, "user = \"nobody\"\n");
    let conf = conf.to_str().unwrap();
    let started = ctl(&home, &[conf, "start"]);
    assert_eq!(started.code(), 0, "{}", started.stderr);
    let pid = home.pid(".service.HelloWorld.pid").unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let ids = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap()
            .split_whitespace()
            .skip(1)
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let nobody = id_of("-u", "nobody");
    let nogroup = id_of("-g", "nobody");
    assert_eq!(ids("Uid:"), vec![nobody.clone(); 4], "{status}");
    assert_eq!(ids("Gid:"), vec![nogroup.clone(); 4], "{status}");
    assert!(!ids("Groups:").contains(&"0".to_string()), "root's groups are gone: {status}");
    assert_eq!(ctl(&home, &[conf, "stop"]).code(), 0);
    assert!(!alive(pid));
    assert_eq!(home.pid(".service.HelloWorld.pid"), None, "the new user could remove its pidfile");
}

fn nix_is_root() -> bool {
    id_of("-u", "") == "0"
}

fn id_of(flag: &str, user: &str) -> String {
    let mut command = std::process::Command::new("id");
    command.arg(flag);
    if !user.is_empty() {
        command.arg(user);
    }
    String::from_utf8(command.output().unwrap().stdout).unwrap().trim().to_string()
}

#[test]
fn a_failing_tree_exits_1_and_a_daemon_start_failure_reaches_the_parent() {
    let home = Home::new();
    let mut command = home.command(fixture());
    command.arg("fixture.FailLater");
    let done = finish(command);
    assert_eq!(done.code(), 1);
    assert!(done.stderr.ends_with("ginkgo: error: FailLater: task failed: lost the connection\n"), "{}", done.stderr);
    // Logged once where it happened, then the command's last line; the runner does not log it again.
    assert_eq!(done.stderr.matches("lost the connection").count(), 2, "{}", done.stderr);

    let mut command = home.command(fixture());
    command.args(["-d", "fixture.FailStart"]);
    let done = finish(command);
    assert_eq!(done.code(), 1);
    assert_eq!(done.stdout, "Starting process with fixture.FailStart...\n");
    assert_eq!(done.stderr, "ginkgo: error: FailStart: do_start failed: the database is unreachable\n");
    assert_eq!(home.pid(".fixture.FailStart.pid"), None, "no pidfile left");
    let log = std::fs::read_to_string(home.file(".fixture.FailStart.log")).unwrap();
    assert!(log.contains("the database is unreachable"), "{log}");
}

#[test]
fn a_second_sigint_during_a_slow_stop_exits_at_once() {
    let home = Home::new();
    let mut command = home.command(fixture());
    command.arg("fixture.SlowStop");
    let mut run = Running::start(command);
    run.stderr.wait_contains("INFO runner: fixture.SlowStop is ready");
    run.signal(SIGINT);
    run.stderr.wait_contains("stopping slowly");
    run.signal(SIGINT);
    assert_eq!(run.exit_code(), 130);
}

#[test]
fn a_daemon_stopped_while_starting_removes_its_pidfile() {
    let home = Home::new();
    let mut command = home.command(fixture());
    command.args(["-d", "fixture.SlowStart"]);
    let mut parent = Running::start(command);
    let log = home.file(".fixture.SlowStart.log");
    wait_file_contains(&log, "starting slowly");
    let pid = home.pid(".fixture.SlowStart.pid").expect("the daemon wrote its pidfile");
    send(pid, SIGTERM);
    assert_eq!(parent.exit_code(), 1);
    parent.stderr.wait_contains("ginkgo: error: stopped while starting");
    wait_gone(pid);
    assert_eq!(home.pid(".fixture.SlowStart.pid"), None);
}

#[test]
fn a_stubborn_daemon_fails_stop_unless_forced() {
    let home = Home::new();
    let mut command = home.command(fixture());
    command.args(["-d", "fixture.SlowStop"]);
    assert_eq!(finish(command).code(), 0);
    let pidfile = home.file(".fixture.SlowStop.pid");
    let pid = home.pid(".fixture.SlowStop.pid").unwrap();
    let mut command = home.command(ginkgoctl());
    command.args(["-p", pidfile.to_str().unwrap(), "--timeout", "0.3", "stop"]);
    let refused = finish(command);
    assert_eq!(refused.code(), 1);
    assert_eq!(
        refused.stderr,
        format!("ginkgoctl: error: process {pid} did not stop within 300ms (use --force to kill it)\n")
    );
    assert!(alive(pid));
    let mut command = home.command(ginkgoctl());
    command.args(["-p", pidfile.to_str().unwrap(), "--timeout", "0.3", "--force", "stop"]);
    let forced = finish(command);
    assert_eq!(
        (forced.code(), forced.stdout.as_str()),
        (0, format!("Stopping process {pid}...\nProcess killed.\n").as_str())
    );
    assert!(!alive(pid));
}

#[test]
fn paths_in_a_config_file_are_relative_to_it_and_the_umask_applies() {
    let home = Home::new();
    std::fs::create_dir(home.file("run")).unwrap();
    let conf =
        service_conf(&home, "pidfile = \"run/app.pid\"\nlogfile = \"run/app.log\"\numask = \"077\"\nrundir = \"/\"\n");
    let mut command = home.command(ginkgoctl());
    // Started from another folder: the paths still mean "next to the config file".
    command.current_dir("/").args([conf.to_str().unwrap(), "start"]);
    assert_eq!(finish(command).code(), 0);
    let pid = home.pid("run/app.pid").expect("pidfile next to the config");
    let log = home.file("run/app.log");
    wait_file_contains(&log, "INFO service: Starting up!");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&log).unwrap().permissions().mode() & 0o777, 0o600, "umask 077");
    assert_eq!(std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap(), std::path::PathBuf::from("/"));
    assert_eq!(ctl(&home, &[conf.to_str().unwrap(), "stop"]).code(), 0);
}

#[test]
fn a_reload_reopens_the_log_file_for_logrotate() {
    let home = Home::new();
    let conf = service_conf(&home, "rate_per_minute = 1\n");
    let conf =
        home.write("rotate.toml", &std::fs::read_to_string(&conf).unwrap().replace("rate_per_minute = 600\n", ""));
    let conf = conf.to_str().unwrap();
    assert_eq!(ctl(&home, &[conf, "start"]).code(), 0);
    let log = home.file(".service.HelloWorld.log");
    wait_file_contains(&log, "INFO service: Starting up!");
    std::fs::rename(&log, home.file(".service.HelloWorld.log.1")).unwrap();
    assert_eq!(ctl(&home, &[conf, "reload"]).code(), 0);
    wait_file_contains(&log, "INFO config: configuration reloaded");
    assert!(
        !std::fs::read_to_string(home.file(".service.HelloWorld.log.1")).unwrap().contains("configuration reloaded")
    );
    assert_eq!(ctl(&home, &[conf, "stop"]).code(), 0);
}

#[test]
fn logconfig_sets_format_levels_and_outputs() {
    let home = Home::new();
    let out = home.file("detail.log");
    let conf = service_conf(
        &home,
        // A relative output path means "next to the config file", wherever ginkgo runs from.
        "[logconfig]\nlevel = \"warn\"\nformat = \"{level}|{target}|{message}\"\noutputs = [\"detail.log\"]\n[logconfig.levels]\nginkgo_examples = \"info\"\n",
    );
    let mut command = home.command(ginkgo());
    command.current_dir("/").arg(&conf);
    let mut run = Running::start(command);
    wait_file_contains(&out, " INFO|ginkgo_examples::service|Services all the way down.");
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("|runner|"), "runner lines are below warn:\n{text}");
    assert!(run.stderr.all().is_empty(), "nothing on stderr: {:?}", run.stderr.all());
}

/// The address a server logged it listens on: `…: listening on 127.0.0.1:PORT`.
fn listening_address(run: &Running, service: &str) -> String {
    let marker = format!("{service}: listening on ");
    let at = run.stderr.wait_contains(&marker);
    let line = &run.stderr.all()[at];
    line[line.find(&marker).unwrap() + marker.len()..].trim().to_string()
}

#[test]
fn the_quickstart_services_run_under_ginkgo_on_addresses_from_settings() {
    use std::io::{BufRead, BufReader, Read, Write};
    let home = Home::new();

    let mut command = home.command(ginkgo());
    command.args(["--set", "quickstart.server_address=127.0.0.1:0", "quickstart.HelloWorldServer"]);
    let mut server = Running::start(command);
    let address = listening_address(&server, "HelloWorldServer/StreamServer");
    let stream = std::net::TcpStream::connect(&address).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    assert_eq!(line, "Hello World\n");
    server.signal(SIGTERM);
    assert_eq!(server.exit_code(), 0);

    // The web servers run on the async backends; on threads their start fails, saying so.
    let backend = std::env::var("GINKGO_ASYNC").unwrap_or_else(|_| "tokio".into());
    for (target, body) in
        [("quickstart.AppServer", "Hello World!"), ("quickstart.HelloWorldWebServer", "<strong>Hello World</strong>")]
    {
        let mut command = home.command(ginkgo());
        command.args(["--set", "quickstart.web_address=127.0.0.1:0", target]);
        if backend == "threads" {
            let done = finish(command);
            assert_eq!(done.code(), 1, "{target}: {}", done.stderr);
            let refused = format!(
                "ginkgo: error: {}/HttpServer: do_start failed: ginkgo::http::HttpServer runs only on the tokio, \
                 smol or async-std backend, not on `threads`",
                target.trim_start_matches("quickstart.")
            );
            assert!(done.stderr.lines().any(|line| line == refused), "{target}: {}", done.stderr);
            continue;
        }
        let mut web = Running::start(command);
        let address = listening_address(&web, "/HttpServer");
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{target}: {response}");
        assert!(response.ends_with(body), "{target}: {response}");
        web.signal(SIGTERM);
        assert_eq!(web.exit_code(), 0);
    }
}

#[test]
fn unknown_keys_are_warned_about_at_startup_with_a_suggestion() {
    let home = Home::new();
    let conf = service_conf(&home, "rate_per_minut = 3\n");
    let mut command = home.command(ginkgo());
    command.arg(&conf);
    let mut run = Running::start(command);
    run.stderr.wait_for("the warning", |l| {
        l.ends_with(&format!(
            " WARN config: {}: unknown setting `rate_per_minut`; did you mean `rate_per_minute`?",
            conf.display()
        ))
    });
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
}
