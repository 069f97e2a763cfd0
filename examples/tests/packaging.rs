//! `packaging/`: the systemd unit is read key by key, checked by `systemd-analyze verify` where
//! that is installed, and its commands are run as systemd would run them, with the workspace's
//! binaries standing in for the installed ones; the container image runs what the unit runs.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

const UNIT: &str = "ginkgo-hello.service";

fn packaging(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging").join(name)
}

/// A unit file's settings, in order: (section, key, value). A key given twice is there twice, as
/// systemd reads lists such as `SystemCallFilter=`.
struct Unit(Vec<(String, String, String)>);

impl Unit {
    fn read() -> Unit {
        let path = packaging(UNIT);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        Unit::parse(&text)
    }

    /// systemd's syntax: `[Section]`, `Key=Value`, comments from `#` or `;`, a line ending in
    /// `\` continued on the next.
    fn parse(text: &str) -> Unit {
        let mut entries = Vec::new();
        let mut section = String::new();
        let mut pending = String::new();
        for raw in text.lines() {
            let line = raw.trim();
            if pending.is_empty() && (line.is_empty() || line.starts_with('#') || line.starts_with(';')) {
                continue;
            }
            if let Some(continued) = line.strip_suffix('\\') {
                pending.push_str(continued);
                pending.push(' ');
                continue;
            }
            let line = std::mem::take(&mut pending) + line;
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.to_string();
                continue;
            }
            let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("{UNIT}: not `Key=Value`: {line:?}"));
            assert!(!section.is_empty(), "{UNIT}: {key}= before any section");
            entries.push((section.clone(), key.trim().to_string(), value.trim().to_string()));
        }
        Unit(entries)
    }

    fn values(&self, section: &str, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(s, k, _)| s == section && k == key).map(|(_, _, v)| v.as_str()).collect()
    }

    /// The one value of `key` in [Service].
    fn service(&self, key: &str) -> &str {
        match self.values("Service", key).as_slice() {
            [value] => value,
            values => panic!("{UNIT}: expected one {key}= in [Service], found {values:?}"),
        }
    }

    fn command(&self, key: &str) -> Vec<String> {
        self.service(key).split_whitespace().map(str::to_string).collect()
    }
}

/// The binary of this workspace that an installed path names: `/usr/local/bin/ginkgo` is the
/// `ginkgo` this package builds.
fn built(installed: &str) -> &'static str {
    runnable(installed).unwrap_or_else(|| panic!("{UNIT}: {installed} is not a binary this workspace builds"))
}

/// What runs here for a command the unit names: the workspace's build of `ginkgo` and
/// `ginkgoctl`; `None` for a program of the system (`/bin/kill`), which runs as it is.
fn runnable(installed: &str) -> Option<&'static str> {
    match installed.rsplit('/').next() {
        Some("ginkgo") => Some(env!("CARGO_BIN_EXE_ginkgo")),
        Some("ginkgoctl") => Some(env!("CARGO_BIN_EXE_ginkgoctl")),
        _ => None,
    }
}

/// The file of `packaging/` that an installed configuration path names.
fn shipped(installed: &str) -> PathBuf {
    let name = installed.rsplit('/').next().unwrap();
    let file = packaging(name);
    assert!(file.is_file(), "{UNIT}: {installed} should be installed from packaging/{name}, which does not exist");
    file
}

fn seconds(value: &str) -> f64 {
    let number = value.strip_suffix('s').unwrap_or(value);
    number.parse().unwrap_or_else(|_| panic!("{UNIT}: `{value}` is not a number of seconds"))
}

/// `ginkgo -h CONFIG`'s value of `setting`: the text in the brackets that end its line.
fn current_value(help: &str, setting: &str) -> String {
    let line = help
        .lines()
        .skip_while(|l| !l.starts_with("config settings:"))
        .find(|l| l.trim_start().starts_with(&format!("{setting} ")))
        .unwrap_or_else(|| panic!("`ginkgo -h` lists no {setting}:\n{help}"));
    let value = line.rsplit_once('[').and_then(|(_, v)| v.strip_suffix(']'));
    value.unwrap_or_else(|| panic!("no value on {line:?}")).to_string()
}

#[test]
fn the_unit_runs_the_example_daemon_in_the_foreground_as_a_notify_service() {
    let unit = Unit::read();
    assert_eq!(unit.service("Type"), "notify");

    let start = unit.command("ExecStart");
    let [binary, config] = start.as_slice() else { panic!("{UNIT}: ExecStart= should be `ginkgo CONFIG`: {start:?}") };
    assert_eq!(built(binary), env!("CARGO_BIN_EXE_ginkgo"), "ExecStart= runs the ginkgo binary");
    let home = Home::new();
    let mut help = home.command(ginkgo());
    help.arg("-h").arg(shipped(config));
    let help = finish(help);
    assert_eq!(help.code(), 0, "the unit's configuration does not load: {}", help.stderr);
    let help = help.stdout;
    assert_eq!(current_value(&help, "daemon"), "false", "systemd runs the process in the foreground");
    let pidfile = PathBuf::from(current_value(&help, "pidfile"));
    let runtime = Path::new("/run").join(unit.service("RuntimeDirectory"));
    assert_eq!(pidfile.parent(), Some(runtime.as_path()), "the pidfile belongs in RuntimeDirectory=");

    // `ginkgoctl CONFIG reload`, for the configuration ExecStart= runs.
    let reload = unit.command("ExecReload");
    assert_eq!(built(&reload[0]), env!("CARGO_BIN_EXE_ginkgoctl"), "ExecReload= runs ginkgoctl: {reload:?}");
    assert_eq!(reload[1..], [config.as_str(), "reload"]);
    assert!(seconds(unit.service("WatchdogSec")) > 0.0);
    let stop_timeout = seconds(&current_value(&help, "stop_timeout"));
    assert!(seconds(unit.service("TimeoutStopSec")) > stop_timeout, "systemd must outwait the runner's stop_timeout");
    assert_eq!(unit.service("Restart"), "on-failure");
    assert_eq!(unit.service("RestartPreventExitStatus"), "2", "a configuration error is not worth a restart");
}

#[test]
fn the_unit_runs_as_a_user_of_its_own_in_a_sandbox() {
    let unit = Unit::read();
    assert_eq!(unit.service("DynamicUser"), "yes");
    for (key, value) in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("CapabilityBoundingSet", ""),
        ("AmbientCapabilities", ""),
        ("RestrictSUIDSGID", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("SystemCallArchitectures", "native"),
    ] {
        assert_eq!(unit.service(key), value, "{key}=");
    }
    let families: Vec<&str> = unit.service("RestrictAddressFamilies").split_whitespace().collect();
    assert!(families.contains(&"AF_UNIX"), "the notify socket is AF_UNIX: {families:?}");
    let filters = unit.values("Service", "SystemCallFilter");
    assert!(filters.contains(&"@system-service"), "{filters:?}");
    // Without a `user` setting the runner never calls setuid: @privileged can go.
    assert!(filters.iter().any(|f| f.starts_with('~') && f.contains("@privileged")), "{filters:?}");
    assert_eq!(unit.values("Install", "WantedBy"), ["multi-user.target"]);
}

#[test]
fn systemd_analyze_verify_finds_nothing_to_say() {
    let probe = Command::new("systemd-analyze").arg("--version").output();
    if !probe.is_ok_and(|out| out.status.success()) {
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    }
    // verify checks that the commands exist: point them at the built binaries.
    let unit = Unit::read();
    let mut text = std::fs::read_to_string(packaging(UNIT)).unwrap();
    for key in ["ExecStart", "ExecReload"] {
        let installed = unit.command(key)[0].clone();
        if let Some(built) = runnable(&installed) {
            text = text.replace(&format!("={installed} "), &format!("={built} "));
        }
    }
    let home = Home::new();
    let copy = home.write(UNIT, &text);
    let done = finish({
        let mut verify = Command::new("systemd-analyze");
        verify.args(["verify", "--man=no"]).arg(&copy);
        verify
    });
    // It warns on standard error (an unknown key, a bad value) and still exits 0.
    assert_eq!((done.code(), done.stderr.as_str(), done.stdout.as_str()), (0, "", ""));
}

/// Runs the unit's own commands with what systemd gives them: a clean environment with HOME,
/// NOTIFY_SOCKET and WATCHDOG_USEC, as the unit's user (nobody stands in for DynamicUser=, when
/// this test runs as root), the pidfile in a folder that user owns. The configuration is a copy
/// of the shipped one, at a path both commands name, so that a broken one can be tried; only
/// the pidfile's folder differs (GINKGO_PIDFILE), since /run/ginkgo-hello is not ours to make.
#[test]
fn the_unit_commands_start_reload_and_stop_the_daemon_as_systemd_would() {
    let unit = Unit::read();
    let (start, reload) = (unit.command("ExecStart"), unit.command("ExecReload"));
    let home = Home::new();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = home.file("hello.conf.toml");
    std::fs::copy(shipped(&start[1]), &config).unwrap();
    let runtime = home.file(unit.service("RuntimeDirectory"));
    std::fs::create_dir(&runtime).unwrap();
    let pidfile = runtime.join("hello.pid");
    let socket_path = home.file("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    std::fs::set_permissions(&socket_path, std::fs::Permissions::from_mode(0o777)).unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    let watchdog_usec = (seconds(unit.service("WatchdogSec")) * 1e6) as u64;

    let as_nobody = runs_as_nobody(&config);
    if as_nobody {
        std::os::unix::fs::chown(&runtime, Some(65534), Some(65534)).unwrap();
    } else {
        eprintln!("running the unit's commands as this user: setpriv cannot run them as nobody here");
    }
    let command = |line: &[String], main_pid: Option<u32>| -> Command {
        let mut words = line.iter().map(|word| match main_pid {
            Some(pid) => word.replace("$MAINPID", &pid.to_string()),
            None => word.clone(),
        });
        let first = words.next().unwrap();
        let program = runnable(&first).map(str::to_string).unwrap_or(first);
        let args = words.map(|word| if word.ends_with(".toml") { config.display().to_string() } else { word });
        let mut command = match as_nobody {
            true => {
                let mut setpriv = Command::new("setpriv");
                setpriv.args(["--reuid=65534", "--regid=65534", "--clear-groups", &program]);
                setpriv
            }
            false => Command::new(program),
        };
        command.args(args).env_clear().env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        command.env("HOME", "/").env("NOTIFY_SOCKET", &socket_path).env("GINKGO_PIDFILE", &pidfile);
        command.env("WATCHDOG_USEC", watchdog_usec.to_string());
        command
    };
    let receive = |wanted: &str| -> String {
        let mut buffer = [0u8; 4096];
        loop {
            let n = socket.recv(&mut buffer).unwrap_or_else(|err| panic!("no {wanted} within {DEADLINE:?}: {err}"));
            let message = String::from_utf8_lossy(&buffer[..n]).to_string();
            if message.lines().any(|l| l == wanted) {
                return message;
            }
        }
    };

    let mut daemon = Running::start(command(&start, None));
    receive("READY=1");
    assert_eq!(std::fs::read_to_string(&pidfile).unwrap().trim(), daemon.pid().to_string());
    let mode = std::fs::metadata(&pidfile).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the shipped umask, 027, makes the pidfile");

    // `systemctl reload`: ExecReload=, then RELOADING=1 and READY=1 from the daemon.
    let reloaded = finish(command(&reload, Some(daemon.pid())));
    assert_eq!(reloaded.code(), 0, "{}{}", reloaded.stdout, reloaded.stderr);
    receive("RELOADING=1");
    receive("READY=1");
    daemon.stderr.wait_contains("configuration reloaded");

    // A broken file fails the reload, and the daemon is not signalled.
    let good = std::fs::read_to_string(&config).unwrap();
    let broken = good.replace("\nrate_per_minute = ", "\nrate_per_minute = -");
    assert_ne!(broken, good, "the shipped configuration sets rate_per_minute");
    std::fs::write(&config, broken).unwrap();
    let refused = finish(command(&reload, Some(daemon.pid())));
    assert_eq!(refused.code(), 2, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("rate_per_minute"), "{}", refused.stderr);

    // `systemctl stop`: SIGTERM, STOPPING=1, a clean exit, the pidfile gone.
    daemon.signal(SIGTERM);
    receive("STOPPING=1");
    assert_eq!(daemon.exit_code(), 0, "{}", daemon.stderr.all().join("\n"));
    assert!(!pidfile.exists(), "the daemon removes its pidfile");
    daemon.stderr.wait_contains("Goodbye.");
    let reloads = daemon.stderr.all().iter().filter(|l| l.contains("runner: reloading")).count();
    assert_eq!(reloads, 1, "only the good reload reached the daemon");
}

/// Whether the unit's commands can run as nobody here: as root, with setpriv, and with the
/// binaries and `config` within that user's reach.
fn runs_as_nobody(config: &Path) -> bool {
    let probe = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_ginkgo"), "-h"])
        .arg(config)
        .env("HOME", "/")
        .output();
    probe.is_ok_and(|out| out.status.success())
}

#[test]
fn the_image_runs_what_the_unit_runs() {
    let unit = Unit::read();
    let start = unit.command("ExecStart");
    let dockerfile = std::fs::read_to_string(packaging("Dockerfile")).unwrap();
    let instruction = |name: &str| -> Vec<&str> {
        dockerfile.lines().filter_map(|l| l.strip_prefix(name)?.strip_prefix(' ')).map(str::trim).collect()
    };
    let entrypoint = exec_form(instruction("ENTRYPOINT").last().expect("an ENTRYPOINT"));
    let cmd = exec_form(instruction("CMD").last().expect("a CMD"));
    // The same command, with the health endpoint its health check asks added on the command
    // line: the configuration file they share opens no port.
    let mut with_health = start.clone();
    with_health.splice(1..1, ["--set".to_string(), format!("health_address={HEALTH_ADDRESS}")]);
    assert_eq!([entrypoint, cmd].concat(), with_health, "the image's command is the unit's ExecStart=");
    let config = &start[1];
    assert!(
        instruction("COPY")
            .contains(&format!("packaging/{} {config}", shipped(config).file_name().unwrap().display()).as_str()),
        "the image installs the shipped configuration at {config}"
    );
    let user = instruction("USER");
    assert!(matches!(user.last(), Some(&name) if name != "root" && name != "0"), "a user of its own: {user:?}");
    let froms = instruction("FROM");
    assert_eq!(froms.len(), 2, "a build stage and a run stage: {froms:?}");
    assert!(froms[0].starts_with("rust:") && froms[0].ends_with(" AS build"), "{froms:?}");
}

/// Where the image's health endpoint listens (its CMD's `--set health_address=…`).
const HEALTH_ADDRESS: &str = "127.0.0.1:8081";

/// A Dockerfile instruction's JSON array (exec form): `["a", "b"]`.
fn exec_form(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("exec form, [\"…\"]: {err}: {text}"))
}

#[test]
fn the_image_health_check_passes_while_the_daemon_runs_and_fails_once_it_is_gone() {
    let dockerfile = std::fs::read_to_string(packaging("Dockerfile")).unwrap();
    // HEALTHCHECK's options, then `CMD [...]`, over two lines joined by a backslash.
    let joined = dockerfile.replace("\\\n", " ");
    let line = joined.lines().find(|l| l.starts_with("HEALTHCHECK ")).expect("a HEALTHCHECK");
    let check = exec_form(line.split_once(" CMD ").expect("HEALTHCHECK … CMD [...]").1.trim());
    assert_eq!(check[0], "bash", "a shell every Debian image has: {check:?}");
    // The image's port, swapped for a free one so that the test can run beside anything.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("127.0.0.1:{port}");
    let check: Vec<String> =
        check.iter().map(|word| word.replace("127.0.0.1/8081", &format!("127.0.0.1/{port}"))).collect();
    assert!(check[2].contains(&format!("/dev/tcp/127.0.0.1/{port}")) && check[2].contains("/livez"), "{check:?}");
    let healthy = || Command::new(&check[0]).args(&check[1..]).status().unwrap().success();

    let home = Home::new();
    let mut command = home.command(ginkgo());
    command.args(["--set", &format!("health_address={address}"), "--set", "pidfile=hello.pid"]);
    command.arg(shipped("/etc/ginkgo-hello/hello.conf.toml"));
    command.current_dir(home.path());
    let mut run = Running::start(command);
    run.stderr.wait_contains("service.HelloWorld is ready");
    let deadline = std::time::Instant::now() + DEADLINE;
    while !healthy() {
        assert!(std::time::Instant::now() < deadline, "the health check never passed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    assert!(!healthy(), "the check fails once nothing answers");
}
