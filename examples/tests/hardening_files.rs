//! Issue 10, classes 1 and 2, black-box: the files the runner touches as root never become a
//! weapon, and a pidfile is trusted only when its lock proves it belongs to the daemon.
//!
//! Every test runs the real binaries as root (as CI does), with the service user `nobody`
//! (uid 65534) owning the folder its files live in, and plays that user: it plants symbolic
//! links, hard links, FIFOs, devices and files of other owners where the runner expects its own,
//! and writes other processes' PIDs into pidfiles. Without root they skip, saying so.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt, chown, lchown, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use support::*;

const NOBODY: u32 = 65534;
/// A uid with no account: "another user" of the machine.
const STRANGER: u32 = 4321;
/// What the planted links point at: a root-only file, like `/root/secret.txt` in the issue.
const SECRET: &str = "the root password is hunter2\n";

fn is_root() -> bool {
    let root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    if !root {
        eprintln!("skipped: this test plays the service user against a runner started as root, and needs root");
    }
    root
}

/// A scratch home (root's, 0755) with a folder `run` the service user owns, and a root-only
/// folder `vault` holding a secret.
struct Scene {
    home: Home,
}

impl Scene {
    fn new() -> Scene {
        let home = Home::new();
        set_mode(home.path(), 0o755);
        let run = home.file("run");
        std::fs::create_dir(&run).unwrap();
        chown(&run, Some(NOBODY), Some(NOBODY)).unwrap();
        let vault = home.file("vault");
        std::fs::create_dir(&vault).unwrap();
        set_mode(&vault, 0o700);
        let secret = vault.join("secret.txt");
        std::fs::write(&secret, SECRET).unwrap();
        set_mode(&secret, 0o600);
        Scene { home }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.home.file(name)
    }

    fn secret(&self) -> PathBuf {
        self.path("vault/secret.txt")
    }

    /// `app.toml`: service.HelloWorld as `nobody`, its pidfile and log in `run`, then `extra`.
    fn conf(&self, extra: &str) -> PathBuf {
        self.conf_logging_to("run/app.log", extra)
    }

    /// As [`Scene::conf`], with the log file at `logfile`.
    fn conf_logging_to(&self, logfile: &str, extra: &str) -> PathBuf {
        self.home.write(
            "app.toml",
            &format!(
                "service = \"service.HelloWorld\"\nrate_per_minute = 600\nuser = \"nobody\"\n\
                 pidfile = \"run/app.pid\"\nlogfile = \"{logfile}\"\n{extra}"
            ),
        )
    }

    fn ctl(&self, args: &[&str]) -> Finished {
        let mut command = self.home.command(ginkgoctl());
        command.args(args);
        finish(command)
    }

    /// The secret still has its owner, mode and content, and the vault nothing new.
    fn assert_secret_intact(&self) {
        let meta = std::fs::symlink_metadata(self.secret()).unwrap();
        assert_eq!((meta.uid(), meta.gid(), meta.mode() & 0o7777), (0, 0, 0o600), "the secret's owner and mode");
        assert_eq!(std::fs::read_to_string(self.secret()).unwrap(), SECRET);
        let vault: Vec<_> = std::fs::read_dir(self.path("vault")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(vault, ["secret.txt"], "nothing created in the vault");
    }
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn owner_and_mode(path: &Path) -> (u32, u32, u32) {
    let meta = std::fs::symlink_metadata(path).unwrap();
    (meta.uid(), meta.gid(), meta.mode() & 0o7777)
}

/// The live processes with `conf` (absolute, or relative to their working folder) on their
/// command line: the daemons started with it.
fn daemons(conf: &Path) -> Vec<u32> {
    let names_conf = |pid: u32| -> Option<bool> {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
        let mut args = cmdline.split(|b| *b == 0).filter_map(|arg| std::str::from_utf8(arg).ok());
        Some(args.any(|arg| !arg.is_empty() && cwd.join(arg) == conf))
    };
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| alive(*pid) && names_conf(*pid) == Some(true))
        .collect();
    pids.sort();
    pids
}

/// Stops whatever daemons of `conf` a failed test left behind.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for pid in daemons(&self.0) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    }
}

/// An unrelated process, like the shell of `echo $$ > svc.pid`: it must survive everything.
struct Victim(Child);

impl Victim {
    fn spawn() -> Victim {
        Victim(Command::new("sleep").arg("1000").spawn().unwrap())
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    fn assert_alive(&mut self, after: &str) {
        assert!(self.0.try_wait().unwrap().is_none(), "the victim was killed by {after}");
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// --- Class 1: files the runner touches as root never become a weapon ---

#[test]
fn the_issues_example_a_log_file_linked_to_a_root_secret_is_refused_in_one_line() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    let logs = scene.path("logs");
    std::fs::create_dir(&logs).unwrap();
    chown(&logs, Some(NOBODY), Some(NOBODY)).unwrap();
    symlink(scene.secret(), logs.join("app.log")).unwrap();
    let conf = scene
        .home
        .write("app.toml", "service = \"service.HelloWorld\"\nuser = \"nobody\"\nlogfile = \"logs/app.log\"\n");
    let _cleanup = Cleanup(conf.clone());

    let mut command = scene.home.command(ginkgoctl());
    command.current_dir(scene.home.path()).args(["app.toml", "start"]);
    let done = finish(command);

    assert_eq!(done.code(), 2, "{}", done.stderr);
    assert_eq!(
        done.stderr,
        format!("ginkgoctl: error: refusing log file {}: it is a symbolic link\n", logs.join("app.log").display())
    );
    assert_eq!(done.stdout, "", "nothing started");
    scene.assert_secret_intact();
    assert!(daemons(&conf).is_empty(), "no daemon");
    assert!(!scene.path(".service.HelloWorld.pid").exists(), "no pidfile");
}

/// What the service user plants where the runner expects its file.
#[derive(Clone, Copy, Debug)]
enum Plant {
    Symlink,
    HardLink,
    Fifo,
    Device,
    StrangersFile,
}

impl Plant {
    const ALL: [Plant; 5] = [Plant::Symlink, Plant::HardLink, Plant::Fifo, Plant::Device, Plant::StrangersFile];

    /// Plants it at `path`; false (having said why) when this machine does not allow it.
    fn at(self, path: &Path, secret: &Path) -> bool {
        let run = |program: &str, args: &[&str]| {
            let status = Command::new(program).args(args).arg(path).status().unwrap();
            assert!(status.success(), "{program} {args:?} {}", path.display());
        };
        match self {
            Plant::Symlink => symlink(secret, path).unwrap(),
            Plant::HardLink => std::fs::hard_link(secret, path).unwrap(),
            Plant::Fifo => run("mkfifo", &["-m", "0666"]),
            // A twin of /dev/null's device number: what opening it does is the device's business.
            Plant::Device => {
                let status = Command::new("mknod").arg(path).args(["c", "1", "3"]).status().unwrap();
                if !status.success() {
                    eprintln!("skipped the device at {}: mknod is not allowed here", path.display());
                    return false;
                }
            }
            Plant::StrangersFile => {
                std::fs::write(path, "not yours\n").unwrap();
                chown(path, Some(STRANGER), Some(STRANGER)).unwrap();
            }
        }
        if !matches!(self, Plant::Symlink | Plant::HardLink | Plant::StrangersFile) {
            chown(path, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        true
    }

    fn reason(self) -> &'static str {
        match self {
            Plant::Symlink => "it is a symbolic link",
            Plant::HardLink => "it has 2 hard links",
            Plant::Fifo => "it is a named pipe (FIFO), not a regular file",
            Plant::Device => "it is a character device, not a regular file",
            Plant::StrangersFile => "it belongs to uid 4321, not to root or nobody (uid 65534)",
        }
    }
}

#[test]
fn a_planted_pidfile_log_file_or_logconfig_output_is_refused_before_anything_starts() {
    if !is_root() {
        return;
    }
    let targets = [("pidfile", "run/app.pid"), ("log file", "run/app.log"), ("log file", "run/detail.log")];
    for (what, name) in targets {
        for plant in Plant::ALL {
            let scene = Scene::new();
            let conf = scene.conf("[logconfig]\noutputs = [\"run/detail.log\"]\n");
            let _cleanup = Cleanup(conf.clone());
            let planted = scene.path(name);
            if !plant.at(&planted, &scene.secret()) {
                continue;
            }
            let before = std::fs::symlink_metadata(&planted).unwrap();

            let done = scene.ctl(&[conf.to_str().unwrap(), "start"]);
            let case = format!("{plant:?} at {name}");
            assert_eq!(done.code(), 2, "{case}: {}", done.stderr);
            assert_eq!(
                done.stderr,
                format!("ginkgoctl: error: refusing {what} {}: {}\n", planted.display(), plant.reason()),
                "{case}"
            );
            assert_eq!(done.stdout, "", "{case}: nothing started");
            scene.assert_secret_intact();
            let after = std::fs::symlink_metadata(&planted).unwrap();
            assert_eq!(
                (after.ino(), after.uid(), after.mode(), after.len()),
                (before.ino(), before.uid(), before.mode(), before.len()),
                "{case}: the planted file is untouched"
            );
            assert!(daemons(&conf).is_empty(), "{case}: no daemon");
        }
    }
}

#[test]
fn the_foreground_runner_refuses_a_planted_log_file_too() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    let conf = scene.conf("");
    symlink(scene.secret(), scene.path("run/app.log")).unwrap();
    let mut command = scene.home.command(ginkgo());
    command.arg(&conf);
    let done = finish(command);
    assert_eq!(done.code(), 2);
    assert_eq!(
        done.stderr,
        format!("ginkgo: error: refusing log file {}: it is a symbolic link\n", scene.path("run/app.log").display())
    );
    scene.assert_secret_intact();
}

#[test]
fn files_the_runner_creates_belong_to_the_service_user_with_the_umasks_mode() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    let conf = scene.conf("umask = \"027\"\n[logconfig]\noutputs = [\"run/detail.log\"]\n");
    let _cleanup = Cleanup(conf.clone());
    let conf = conf.to_str().unwrap();
    let started = scene.ctl(&[conf, "start"]);
    assert_eq!(started.code(), 0, "{}", started.stderr);
    wait_file_contains(&scene.path("run/detail.log"), "INFO service: Starting up!");
    for name in ["run/app.pid", "run/app.log", "run/detail.log"] {
        assert_eq!(owner_and_mode(&scene.path(name)), (NOBODY, NOBODY, 0o640), "{name}");
    }
    assert_eq!(scene.ctl(&[conf, "stop"]).code(), 0);
    assert!(!scene.path("run/app.pid").exists(), "the service user removed its pidfile");
}

#[test]
fn a_log_file_the_runner_did_not_create_keeps_its_owner_and_mode() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    let log = scene.path("run/app.log");
    std::fs::write(&log, "an older line\n").unwrap();
    set_mode(&log, 0o604);
    let conf = scene.conf("");
    let _cleanup = Cleanup(conf.clone());
    let conf = conf.to_str().unwrap();
    assert_eq!(scene.ctl(&[conf, "start"]).code(), 0);
    let text = wait_file_contains(&log, "INFO service: Starting up!");
    assert!(text.starts_with("an older line\n"), "appended to: {text}");
    assert_eq!(owner_and_mode(&log), (0, 0, 0o604), "root's file stays root's");
    assert_eq!(scene.ctl(&[conf, "stop"]).code(), 0);
}

#[test]
fn a_folder_on_the_way_that_someone_else_could_swap_is_refused() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    let p = |name: &str| scene.path(name);
    let mkdir = |name: &str, owner: u32, mode: u32| {
        std::fs::create_dir_all(p(name)).unwrap();
        chown(p(name), Some(owner), Some(owner)).unwrap();
        set_mode(&p(name), mode);
    };
    // The service user's folder holds the log's folder: it could swap `logs` for a link.
    mkdir("run/logs", NOBODY, 0o755);
    // Anyone can swap entries of a folder writable by everyone that is not sticky.
    mkdir("open", 0, 0o777);
    mkdir("open/logs", NOBODY, 0o755);
    // In a sticky folder anyone may create a link; only root's links are followed.
    mkdir("sticky", 0, 0o1777);
    symlink(p("vault"), p("sticky/link")).unwrap();
    lchown(p("sticky/link"), Some(NOBODY), Some(NOBODY)).unwrap();
    // The file's own folder belongs to a stranger.
    mkdir("strangers", STRANGER, 0o755);
    let cases = [
        (
            "run/logs/app.log",
            format!(
                "folder {} belongs to nobody (uid 65534); the folders leading to it must belong to root",
                p("run").display()
            ),
        ),
        ("open/logs/app.log", format!("folder {} is writable by everyone and not sticky", p("open").display())),
        (
            "sticky/link/app.log",
            format!(
                "{} is a symbolic link owned by nobody (uid 65534); only links owned by root are followed",
                p("sticky/link").display()
            ),
        ),
        (
            "strangers/app.log",
            format!("folder {} belongs to uid 4321, not to root or nobody (uid 65534)", p("strangers").display()),
        ),
    ];
    for (logfile, reason) in cases {
        let conf = scene.conf_logging_to(logfile, "");
        let _cleanup = Cleanup(conf.clone());
        let done = scene.ctl(&[conf.to_str().unwrap(), "start"]);
        assert_eq!(done.code(), 2, "{logfile}: {}", done.stderr);
        assert_eq!(done.stderr, format!("ginkgoctl: error: refusing log file {}: {reason}\n", p(logfile).display()));
        assert!(!p(logfile).exists() && !p("vault/app.log").exists(), "{logfile}: nothing created");
        scene.assert_secret_intact();
    }
}

#[test]
fn a_link_on_the_way_that_root_owns_is_followed() {
    if !is_root() {
        return;
    }
    // Like /var/run -> /run: root's link, in root's folder.
    let scene = Scene::new();
    symlink(scene.path("run"), scene.path("current")).unwrap();
    let conf = scene.conf_logging_to("current/app.log", "");
    let _cleanup = Cleanup(conf.clone());
    let conf = conf.to_str().unwrap();
    let started = scene.ctl(&[conf, "start"]);
    assert_eq!(started.code(), 0, "{}", started.stderr);
    wait_file_contains(&scene.path("run/app.log"), "INFO service: Starting up!");
    assert_eq!(owner_and_mode(&scene.path("run/app.log")).0, NOBODY);
    assert_eq!(scene.ctl(&[conf, "stop"]).code(), 0);
}

#[test]
fn rundir_is_reached_like_a_files_folder_and_entered_by_descriptor() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    symlink(scene.path("vault"), scene.path("run/work")).unwrap();
    lchown(scene.path("run/work"), Some(NOBODY), Some(NOBODY)).unwrap();
    std::fs::create_dir(scene.path("strangers")).unwrap();
    chown(scene.path("strangers"), Some(STRANGER), Some(STRANGER)).unwrap();
    let cases = [
        (
            "run/work",
            format!(
                "folder {} belongs to nobody (uid 65534); the folders leading to it must belong to root",
                scene.path("run").display()
            ),
        ),
        (
            "strangers",
            format!(
                "folder {} belongs to uid 4321, not to root or nobody (uid 65534)",
                scene.path("strangers").display()
            ),
        ),
    ];
    for (rundir, reason) in cases {
        let conf = scene.conf(&format!("rundir = \"{rundir}\"\n"));
        let _cleanup = Cleanup(conf.clone());
        let done = scene.ctl(&[conf.to_str().unwrap(), "start"]);
        assert_eq!(done.code(), 2, "{rundir}: {}", done.stderr);
        assert_eq!(
            done.stderr,
            format!("ginkgoctl: error: refusing rundir {}: {reason}\n", scene.path(rundir).display())
        );
        assert!(daemons(&conf).is_empty());
    }

    // The service user's own folder is a fine rundir.
    let conf = scene.conf("rundir = \"run\"\n");
    let _cleanup = Cleanup(conf.clone());
    let conf = conf.to_str().unwrap();
    assert_eq!(scene.ctl(&[conf, "start"]).code(), 0);
    let pid = scene.home.pid("run/app.pid").unwrap();
    assert_eq!(std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap(), scene.path("run"));
    assert_eq!(scene.ctl(&[conf, "stop"]).code(), 0);
}

// --- Class 2: a pidfile is trusted only when it proves it belongs to the daemon ---

fn stale(pidfile: &Path, pid: u32) -> String {
    format!("Process is NOT running; its pidfile {} is stale (PID {pid} does not hold its lock).\n", pidfile.display())
}

#[test]
fn the_issues_example_a_pidfile_naming_another_process_never_gets_it_signalled() {
    let home = Home::new();
    let conf = service_conf(&home, "pidfile = \"svc.pid\"\n");
    let _cleanup = Cleanup(conf.clone());
    let conf = conf.to_str().unwrap();
    let pidfile = home.file("svc.pid");
    let p = pidfile.to_str().unwrap();
    let mut victim = Victim::spawn();
    let v = victim.pid();
    // echo $$ > svc.pid
    std::fs::write(&pidfile, format!("{v}\n")).unwrap();

    let cases: [(&[&str], i32); 7] = [
        (&[conf, "status"], 1),
        (&[conf, "stop"], 0),
        (&[conf, "reload"], 7),
        (&["-p", p, "status"], 1),
        (&["-p", p, "stop"], 0),
        (&["-p", p, "reload"], 7),
        (&["-p", p, "--force", "--timeout", "0.1", "stop"], 0),
    ];
    for (args, code) in cases {
        let done = ctl(&home, args);
        assert_eq!(
            (done.code(), done.stdout.as_str(), done.stderr.as_str()),
            (code, stale(&pidfile, v).as_str(), ""),
            "{args:?}"
        );
        victim.assert_alive(&format!("{args:?}"));
    }

    // restart: the stop half finds a stale pidfile, the start half replaces it.
    let restarted = ctl(&home, &[conf, "restart"]);
    assert_eq!(restarted.code(), 0, "{}", restarted.stderr);
    let pid = home.pid("svc.pid").unwrap();
    assert_ne!(pid, v);
    assert_eq!(
        restarted.stdout,
        format!("{}Starting process with {conf}...\nProcess is running as {pid}.\n", stale(&pidfile, v))
    );
    victim.assert_alive("restart");
    assert_eq!(ctl(&home, &[conf, "stop"]).stdout, format!("Stopping process {pid}...\nProcess stopped.\n"));

    // start over the stale pidfile replaces it too.
    std::fs::write(&pidfile, format!("{v}\n")).unwrap();
    let started = ctl(&home, &[conf, "start"]);
    assert_eq!(started.code(), 0, "{}", started.stderr);
    let pid = home.pid("svc.pid").unwrap();
    assert_eq!(started.stdout, format!("Starting process with {conf}...\nProcess is running as {pid}.\n"));
    victim.assert_alive("start");
    assert_eq!(ctl(&home, &[conf, "stop"]).code(), 0);
    victim.assert_alive("the last stop");
}

fn ctl(home: &Home, args: &[&str]) -> Finished {
    let mut command = home.command(ginkgoctl());
    command.args(args);
    finish(command)
}

#[test]
fn a_crashed_daemons_pid_reused_by_another_process_is_left_alone() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let _cleanup = Cleanup(conf.clone());
    let conf = conf.to_str().unwrap();
    assert_eq!(ctl(&home, &[conf, "start"]).code(), 0);
    let crashed = home.pid(".service.HelloWorld.pid").unwrap();
    send(crashed, SIGKILL);
    wait_gone(crashed);
    // After a reboot, the PID in the leftover pidfile belongs to someone else.
    let mut victim = Victim::spawn();
    let pidfile = home.file(".service.HelloWorld.pid");
    std::fs::write(&pidfile, format!("{}\n", victim.pid())).unwrap();

    let status = ctl(&home, &[conf, "status"]);
    assert_eq!((status.code(), status.stdout), (1, stale(&pidfile, victim.pid())));
    let stop = ctl(&home, &[conf, "stop"]);
    assert_eq!((stop.code(), stop.stdout), (0, stale(&pidfile, victim.pid())));
    victim.assert_alive("stop");
    assert_eq!(ctl(&home, &[conf, "start"]).code(), 0);
    let pid = home.pid(".service.HelloWorld.pid").unwrap();
    assert_ne!(pid, victim.pid());
    assert_eq!(ctl(&home, &[conf, "stop"]).code(), 0);
    victim.assert_alive("the new daemon's stop");
}

#[test]
fn a_bare_pid_is_acted_on_only_when_it_holds_the_lock_of_a_pidfile_naming_it() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let _cleanup = Cleanup(conf.clone());
    let conf = conf.to_str().unwrap();
    let mut victim = Victim::spawn();
    let v = victim.pid().to_string();
    let refusal = format!(
        "ginkgoctl: error: PID {v} is not a ginkgo daemon: it holds the lock of no pidfile naming it; not signalling it\n"
    );
    for (action, code) in [("status", 4), ("stop", 1), ("reload", 1)] {
        let done = ctl(&home, &["-p", &v, action]);
        assert_eq!((done.code(), done.stdout.as_str(), done.stderr.as_str()), (code, "", refusal.as_str()), "{action}");
        victim.assert_alive(action);
    }

    assert_eq!(ctl(&home, &[conf, "start"]).code(), 0);
    let pid = home.pid(".service.HelloWorld.pid").unwrap().to_string();
    let status = ctl(&home, &["-p", &pid, "status"]);
    let first = status.stdout.lines().next().map(String::from);
    assert_eq!((status.code(), first), (0, Some(format!("Process is running as {pid}."))));
    let reload = ctl(&home, &["-p", &pid, "reload"]);
    assert_eq!((reload.code(), reload.stdout), (0, format!("Reloading process {pid}...\n")));
    let stop = ctl(&home, &["-p", &pid, "stop"]);
    assert_eq!((stop.code(), stop.stdout), (0, format!("Stopping process {pid}...\nProcess stopped.\n")));
    assert!(!alive(pid.parse().unwrap()));
}

#[test]
fn the_service_user_rewriting_a_live_daemons_pidfile_gets_nothing_signalled() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    let conf = scene.conf("");
    let _cleanup = Cleanup(conf.clone());
    let conf = conf.to_str().unwrap();
    assert_eq!(scene.ctl(&[conf, "start"]).code(), 0);
    let pidfile = scene.path("run/app.pid");
    let daemon = scene.home.pid("run/app.pid").unwrap();
    let mut victim = Victim::spawn();
    let v = victim.pid();
    // As nobody, who owns the pidfile and its folder.
    let rewrite = format!("echo {v} > {}", pidfile.display());
    let status = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", &rewrite])
        .status();
    if !status.is_ok_and(|status| status.success()) {
        // Without setpriv, root writes the same bytes into the same file.
        eprintln!("setpriv could not run as nobody; rewriting the pidfile in place as root");
        std::fs::write(&pidfile, format!("{v}\n")).unwrap();
    }
    assert_eq!(scene.home.pid("run/app.pid"), Some(v));

    let p = pidfile.to_str().unwrap();
    let refusal =
        format!("ginkgoctl: error: pidfile {p} names PID {v}, but PID {daemon} holds its lock; signalling neither\n");
    let cases: [(&[&str], i32); 7] = [
        (&[conf, "status"], 4),
        (&[conf, "stop"], 1),
        (&[conf, "reload"], 1),
        (&[conf, "restart"], 1),
        (&[conf, "start"], 1),
        (&["-p", p, "stop"], 1),
        (&["-p", p, "status"], 4),
    ];
    for (args, code) in cases {
        let done = scene.ctl(args);
        assert_eq!((done.code(), done.stderr.as_str()), (code, refusal.as_str()), "{args:?}");
        victim.assert_alive(&format!("{args:?}"));
        assert!(alive(daemon), "{args:?} left the daemon alone");
    }
    let log = std::fs::read_to_string(scene.path("run/app.log")).unwrap();
    assert!(!log.contains("INFO runner: reloading") && !log.contains("INFO runner: Stopping."), "{log}");

    // Put right, the pidfile works again.
    std::fs::write(&pidfile, format!("{daemon}\n")).unwrap();
    let stop = scene.ctl(&[conf, "stop"]);
    assert_eq!((stop.code(), stop.stdout), (0, format!("Stopping process {daemon}...\nProcess stopped.\n")));
    victim.assert_alive("the final stop");
}

#[test]
fn a_daemon_under_a_service_user_is_controlled_normally() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    let conf = scene.conf("");
    let _cleanup = Cleanup(conf.clone());
    let conf = conf.to_str().unwrap();
    let pidfile = scene.path("run/app.pid");
    let p = pidfile.to_str().unwrap();
    let started = scene.ctl(&[conf, "start"]);
    assert_eq!(started.code(), 0, "{}", started.stderr);
    let pid = scene.home.pid("run/app.pid").unwrap();
    let again = scene.ctl(&[conf, "start"]);
    assert_eq!(
        (again.code(), again.stdout, again.stderr),
        (0, format!("Process is already running as PID {pid}.\n"), String::new())
    );
    for args in [&[conf, "status"][..], &["-p", p, "status"], &["-p", &pid.to_string(), "status"]] {
        let status = scene.ctl(args);
        let first = status.stdout.lines().next().map(String::from);
        assert_eq!((status.code(), first), (0, Some(format!("Process is running as {pid}."))), "{args:?}");
    }
    let reload = scene.ctl(&[conf, "reload"]);
    assert_eq!(reload.code(), 0);
    wait_file_contains(&scene.path("run/app.log"), "INFO runner: reloading");
    let restarted = scene.ctl(&[conf, "restart"]);
    assert_eq!(restarted.code(), 0, "{}", restarted.stderr);
    let new_pid = scene.home.pid("run/app.pid").unwrap();
    assert!(!alive(pid) && alive(new_pid));
    let stop = scene.ctl(&["-p", p, "stop"]);
    assert_eq!((stop.code(), stop.stdout), (0, format!("Stopping process {new_pid}...\nProcess stopped.\n")));
    assert!(!pidfile.exists());
    let status = scene.ctl(&[conf, "status"]);
    assert_eq!((status.code(), status.stdout), (3, "Process is NOT running.\n".to_string()));
}

/// The user ID a process runs as (its real one, from /proc).
fn uid_of(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| line.strip_prefix("Uid:"))?.split_whitespace().next()?.parse().ok()
}

#[test]
fn an_upgrade_under_a_service_user_stays_that_user_and_cannot_reach_what_only_root_may() {
    if !is_root() {
        println!("skipped: needs root, to start a daemon that runs as nobody");
        return;
    }
    let scene = Scene::new();
    let conf = scene.conf("");
    let _cleanup = Cleanup(conf.clone());
    let conf_arg = conf.to_str().unwrap();

    // Its pidfile in a folder the service user owns: the upgrade succeeds, and the new process
    // runs as that user, never as root.
    let started = scene.ctl(&[conf_arg, "start"]);
    assert_eq!(started.code(), 0, "{}", started.stderr);
    let old = scene.home.pid("run/app.pid").unwrap();
    let upgraded = scene.ctl(&[conf_arg, "upgrade"]);
    assert_eq!(upgraded.code(), 0, "{}{}", upgraded.stdout, upgraded.stderr);
    let new = scene.home.pid("run/app.pid").unwrap();
    assert_ne!(new, old);
    wait_gone(old);
    assert_eq!(uid_of(new), Some(NOBODY), "the new process runs as the service user");
    assert_eq!(scene.ctl(&[conf_arg, "stop"]).code(), 0);

    // Its pidfile in a folder only root may write: root wrote it at the start, but the new
    // process, already the service user, cannot; the upgrade fails naming the setting, and the
    // old process serves on, still named by the pidfile.
    let root_only = scene.path("root-run");
    std::fs::create_dir(&root_only).unwrap();
    set_mode(&root_only, 0o755);
    let conf = scene.home.write(
        "app.toml",
        "service = \"service.HelloWorld\"\nrate_per_minute = 600\nuser = \"nobody\"\n\
         pidfile = \"root-run/app.pid\"\nlogfile = \"run/app.log\"\n",
    );
    let conf_arg = conf.to_str().unwrap();
    let started = scene.ctl(&[conf_arg, "start"]);
    assert_eq!(started.code(), 0, "{}", started.stderr);
    let old = scene.home.pid("root-run/app.pid").unwrap();
    let refused = scene.ctl(&[conf_arg, "upgrade"]);
    assert_eq!(refused.code(), 1, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("upgrade failed: the new process (PID "), "{}", refused.stderr);
    assert!(refused.stderr.contains("setting `pidfile`"), "{}", refused.stderr);
    assert_eq!(scene.home.pid("root-run/app.pid"), Some(old));
    let status = scene.ctl(&[conf_arg, "status"]);
    assert!(status.stdout.starts_with(&format!("Process is running as {old}.")), "{}", status.stdout);
    assert_eq!(daemons(&conf), vec![old], "no second daemon was left behind");
    assert_eq!(scene.ctl(&[conf_arg, "stop"]).code(), 0);
}

#[test]
fn racing_starts_leave_exactly_one_daemon() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let _cleanup = Cleanup(conf.clone());
    let conf_str = conf.to_str().unwrap();
    for round in 0..4 {
        // Three `ginkgoctl start`s at once, each read to its end.
        let outcomes: Vec<(i32, String)> = std::thread::scope(|scope| {
            let starts: Vec<_> = (0..3)
                .map(|_| {
                    let mut command = home.command(ginkgoctl());
                    command.args([conf_str, "start"]);
                    scope.spawn(move || finish(command))
                })
                .collect();
            starts
                .into_iter()
                .map(|start| start.join().unwrap())
                .map(|done| (done.code(), done.stdout + &done.stderr))
                .collect()
        });
        // The losers' daemons end by themselves, a moment after their parents.
        let deadline = std::time::Instant::now() + DEADLINE;
        let mut running = daemons(&conf);
        while running.len() > 1 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
            running = daemons(&conf);
        }
        assert_eq!(running.len(), 1, "round {round}: one daemon, got {running:?}; {outcomes:?}");
        let pid = running[0];
        assert_eq!(home.pid(".service.HelloWorld.pid"), Some(pid), "round {round}");
        for (code, output) in &outcomes {
            assert_eq!(*code, 0, "round {round}: {outcomes:?}");
            assert!(
                output.ends_with(&format!("Process is running as {pid}.\n"))
                    || output.ends_with(&format!("Process is already running as PID {pid}.\n")),
                "round {round}: {outcomes:?}"
            );
        }
        assert_eq!(ctl(&home, &[conf_str, "stop"]).code(), 0);
        wait_gone(pid);
    }
}

#[test]
fn a_pidfile_that_is_a_link_a_fifo_or_linked_twice_is_refused_by_every_action() {
    let home = Home::new();
    let conf = service_conf(&home, "pidfile = \"svc.pid\"\n");
    let _cleanup = Cleanup(conf.clone());
    let conf = conf.to_str().unwrap();
    let pidfile = home.file("svc.pid");
    let p = pidfile.to_str().unwrap();
    let mut victim = Victim::spawn();
    let elsewhere = home.write("elsewhere.pid", &format!("{}\n", victim.pid()));
    let plants: [(&dyn Fn(), &str); 3] = [
        (&|| symlink(&elsewhere, &pidfile).unwrap(), "it is a symbolic link"),
        (&|| std::fs::hard_link(&elsewhere, &pidfile).unwrap(), "it has 2 hard links"),
        (
            &|| assert!(Command::new("mkfifo").arg(&pidfile).status().unwrap().success()),
            "it is a named pipe (FIFO), not a regular file",
        ),
    ];
    for (plant, reason) in plants {
        plant();
        let refusal = format!("ginkgoctl: error: refusing pidfile {p}: {reason}\n");
        let cases: [(&[&str], i32); 6] = [
            (&[conf, "status"], 4),
            (&[conf, "stop"], 1),
            (&[conf, "reload"], 1),
            (&[conf, "start"], 2),
            (&["-p", p, "status"], 4),
            (&["-p", p, "stop"], 1),
        ];
        for (args, code) in cases {
            let done = ctl(&home, args);
            assert_eq!(
                (done.code(), done.stdout.as_str(), done.stderr.as_str()),
                (code, "", refusal.as_str()),
                "{args:?}"
            );
            victim.assert_alive(&format!("{reason}: {args:?}"));
        }
        std::fs::remove_file(&pidfile).unwrap();
    }
    assert!(daemons(&PathBuf::from(conf)).is_empty());
}
