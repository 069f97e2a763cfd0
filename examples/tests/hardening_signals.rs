//! Signals at any moment (issue 10, class 6): before the handlers are installed, while the tree
//! starts, in bursts on a ready process, while it stops and after. Real processes, real
//! signals; the test holds a start, a reload or a stop open with gate files
//! (`fixture.Gated`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// `fixture.Gated` in the foreground, its gates (`start`, `reload`, `stop`) as files in `home`.
fn gated(home: &Home, gates: &[&str]) -> Command {
    let mut command = home.command(fixture());
    for gate in gates {
        command.arg("--set").arg(format!("fixture.{gate}_gate={}", gate_file(home, gate).display()));
    }
    command.arg("fixture.Gated");
    command
}

fn gate_file(home: &Home, gate: &str) -> PathBuf {
    home.file(&format!("{gate}.gate"))
}

fn open_gate(home: &Home, gate: &str) {
    std::fs::write(gate_file(home, gate), "").unwrap();
}

fn count(lines: &[String], ending: &str) -> usize {
    lines.iter().filter(|l| l.ends_with(ending)).count()
}

fn position(lines: &[String], ending: &str) -> usize {
    lines.iter().position(|l| l.ends_with(ending)).unwrap_or_else(|| panic!("no line {ending:?} in {lines:#?}"))
}

const READY: &str = "INFO runner: fixture.Gated is ready";
const DEFERRED: &str = "INFO runner: reload requested while starting: it runs once the tree is ready";
const RELOADING: &str = "INFO runner: reloading";
const RELOADED: &str = "INFO runner: reloaded";

#[test]
fn sighups_while_starting_give_one_reload_once_ready() {
    for burst in [1, 50] {
        let home = Home::new();
        let mut run = Running::start(gated(&home, &["start"]));
        run.stderr.wait_contains("waiting for the start gate");
        send_many(run.pid(), SIGHUP, burst);
        wait_delivered(run.pid(), SIGHUP);
        run.stderr.wait_for("the deferral", |l| l.ends_with(DEFERRED));
        open_gate(&home, "start");
        let ready = run.stderr.wait_for("ready", |l| l.ends_with(READY));
        run.stderr.wait_from(ready, "the deferred reload", |l| l.ends_with(RELOADED));
        assert!(alive(run.pid()), "a SIGHUP during the start is not a stop");
        run.signal(SIGTERM);
        assert_eq!(run.exit_code(), 0, "{}", run.stderr.all().join("\n"));
        let lines = run.stderr.all();
        assert_eq!(count(&lines, DEFERRED), 1, "logged once: {lines:#?}");
        assert_eq!(count(&lines, RELOADING), 1, "{burst} SIGHUPs, one reload: {lines:#?}");
        assert_eq!(count(&lines, "reload begins"), 1, "{lines:#?}");
        assert!(position(&lines, READY) < position(&lines, RELOADING), "the reload waits for the tree: {lines:#?}");
    }
}

#[test]
fn sigterm_or_sigint_while_starting_rolls_back_in_reverse_and_exits_1() {
    for (signal, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
        let home = Home::new();
        let mut run = Running::start(gated(&home, &["start"]));
        run.stderr.wait_contains("waiting for the start gate");
        assert!(home.file(".fixture.Gated.pid").exists());
        run.signal(signal);
        assert_eq!(run.exit_code(), 1, "{}", run.stderr.all().join("\n"));
        let lines = run.stderr.all();
        assert_eq!(lines.last().unwrap(), &format!("ginkgo: error: stopped while starting ({name})"), "{lines:#?}");
        // The children had started: stopped with their hooks, the last started first. The
        // root never became ready, so its own do_stop does not run.
        assert!(position(&lines, "Second stopped") < position(&lines, "First stopped"), "{lines:#?}");
        assert_eq!(count(&lines, "Gated stopped"), 0, "{lines:#?}");
        assert_eq!(count(&lines, READY), 0);
        assert_eq!(home.entries(), Vec::<String>::new(), "pidfile and control socket removed");
    }
}

#[test]
fn a_second_sigint_during_the_rollback_exits_at_once() {
    let home = Home::new();
    let mut run = Running::start(gated(&home, &["start", "stop"]));
    run.stderr.wait_contains("waiting for the start gate");
    run.signal(SIGINT);
    run.stderr.wait_contains("First stopping");
    run.signal(SIGINT);
    assert_eq!(run.exit_code(), 130);
    assert!(
        run.stderr.all().iter().any(|l| l.ends_with("WARN runner: interrupted again while stopping: exiting at once"))
    );
    assert_eq!(home.entries(), Vec::<String>::new(), "pidfile and control socket removed");
}

/// Writes the configuration of service.HelloWorld: `message` every 10 ms.
fn hello_conf(home: &Home, message: &str) -> PathBuf {
    let path = home.file("service.conf.toml");
    replace_file(
        &path,
        &format!("service = \"service.HelloWorld\"\nmessage = \"{message}\"\nrate_per_minute = 6000\n"),
    );
    path
}

/// service.HelloWorld in the foreground, once it printed `message`.
fn hello(home: &Home, message: &str) -> Running {
    let mut command = home.command(ginkgo());
    command.arg(hello_conf(home, message));
    let run = Running::start(command);
    run.stderr.wait_contains(&format!("INFO service: {message}"));
    run
}

#[test]
fn a_hundred_sighups_on_a_ready_process_never_overlap_and_end_in_the_last_configuration() {
    let home = Home::new();
    let mut run = hello(&home, "m0");
    for i in 1..=100 {
        hello_conf(&home, &format!("m{i}"));
        run.signal(SIGHUP);
    }
    let last = run.stderr.wait_for("the last message", |l| l.ends_with("INFO service: m100"));
    assert!(alive(run.pid()));
    run.stderr.wait_from(last + 1, "the last message again", |l| l.ends_with("INFO service: m100"));
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    let lines = run.stderr.all();
    let marks: Vec<&String> = lines.iter().filter(|l| l.ends_with(RELOADING) || l.ends_with(RELOADED)).collect();
    assert!(!marks.is_empty() && marks.len() <= 200, "{} reload lines", marks.len());
    for pair in marks.chunks(2) {
        assert!(pair[0].ends_with(RELOADING) && pair.get(1).is_some_and(|l| l.ends_with(RELOADED)), "{marks:#?}");
    }
    assert_eq!(count(&lines, "configuration not reloaded, keeping the old one"), 0);
    let after_last: Vec<&String> =
        lines[last..].iter().filter(|l| l.contains("INFO service: m") && !l.ends_with("m100")).collect();
    assert!(after_last.is_empty(), "the last configuration stays: {after_last:#?}");
}

#[test]
fn a_flood_of_sighups_during_a_reload_runs_one_more_reload_not_a_queue() {
    let home = Home::new();
    let mut run = Running::start(gated(&home, &["reload"]));
    run.stderr.wait_for("ready", |l| l.ends_with(READY));
    run.signal(SIGHUP);
    run.stderr.wait_contains("reload begins");
    send_many(run.pid(), SIGHUP, 500);
    wait_delivered(run.pid(), SIGHUP);
    open_gate(&home, "reload");
    let first = run.stderr.wait_for("the first reload's end", |l| l.ends_with(RELOADED));
    run.stderr.wait_from(first + 1, "the coalesced reload's end", |l| l.ends_with(RELOADED));
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    let lines = run.stderr.all();
    assert_eq!(count(&lines, "reload begins"), 2, "500 SIGHUPs during a reload: one more reload: {lines:#?}");
}

#[test]
fn a_burst_of_sigterms_is_one_stop() {
    let home = Home::new();
    let mut run = hello(&home, "hello");
    send_many(run.pid(), SIGTERM, 50);
    assert_eq!(run.exit_code(), 0);
    let lines = run.stderr.all();
    assert_eq!(count(&lines, "INFO runner: Stopping."), 1, "{lines:#?}");
    assert_eq!(count(&lines, "INFO service: Goodbye."), 1, "{lines:#?}");
    assert_eq!(home.entries(), ["service.conf.toml"]);
}

#[test]
fn sighup_and_sigterm_during_a_stop_are_ignored_and_logged() {
    let home = Home::new();
    let mut run = Running::start(gated(&home, &["stop"]));
    run.stderr.wait_for("ready", |l| l.ends_with(READY));
    run.signal(SIGTERM);
    run.stderr.wait_contains("First stopping");
    send_many(run.pid(), SIGHUP, 10);
    run.stderr.wait_for("the reload ignored", |l| l.ends_with("INFO runner: reload requested while stopping: ignored"));
    send_many(run.pid(), SIGTERM, 10);
    run.stderr.wait_for("the stop repeated", |l| l.ends_with("INFO runner: SIGTERM while stopping: already stopping"));
    open_gate(&home, "stop");
    assert_eq!(run.exit_code(), 0);
    let lines = run.stderr.all();
    assert_eq!(count(&lines, RELOADING), 0, "{lines:#?}");
    assert_eq!(count(&lines, "INFO runner: Stopping."), 1, "{lines:#?}");
    let order: Vec<usize> =
        ["Second stopped", "First stopped", "Gated stopped"].iter().map(|l| position(&lines, l)).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{lines:#?}");
}

#[test]
fn signals_after_the_tree_is_down_change_nothing() {
    let home = Home::new();
    let mut run = hello(&home, "hello");
    let pid = run.pid();
    run.signal(SIGTERM);
    // Keep signalling until the process has exited: whatever arrives while it winds down must
    // not end it by the signal's default action. It is reaped only once the signals stopped,
    // so its pid cannot have gone to another process meanwhile.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pelter = std::thread::spawn({
        let done = done.clone();
        move || {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = Command::new("kill").args(["-HUP", &pid.to_string()]).status();
                let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
            }
        }
    });
    wait_gone(pid);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    pelter.join().unwrap();
    let status = wait(&mut run.child, DEADLINE).expect("the process exits");
    assert_eq!(status.code(), Some(0), "exited by itself, not by a signal: {status:?}");
    assert_eq!(home.entries(), ["service.conf.toml"]);
}

/// Starts `command` and stops it (SIGSTOP) at a moment it holds SIGHUP, SIGTERM and SIGINT
/// blocked and has no handler for them yet; `None` if it was never caught in that moment.
fn frozen_before_the_handlers(home: &Home, conf: &Path) -> Option<Running> {
    for _ in 0..50 {
        let mut command = home.command(ginkgo());
        command.arg(conf);
        let run = Running::start(command);
        let pid = run.pid();
        while let (Some(blocked), Some(caught)) = (signal_mask(pid, "SigBlk"), signal_mask(pid, "SigCgt")) {
            let ours = [SIGHUP, SIGINT, SIGTERM];
            if ours.iter().any(|s| has_signal(caught, *s)) {
                break;
            }
            if ours.iter().all(|s| has_signal(blocked, *s)) {
                send(pid, 19); // SIGSTOP
                while !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap().contains(") T ") {}
                let caught = signal_mask(pid, "SigCgt").unwrap();
                if ours.iter().any(|s| has_signal(caught, *s)) {
                    send(pid, 18); // SIGCONT
                    break;
                }
                return Some(run);
            }
        }
        drop(run);
    }
    None
}

#[test]
fn signals_before_the_handlers_are_installed_wait_for_them() {
    let home = Home::new();
    // Many unknown keys make the configuration slow enough to load to catch the process there.
    let keys: String = (0..2000).map(|i| format!("unknown_key_{i} = {i}\n")).collect();
    let conf = home.write(
        "service.conf.toml",
        &format!("service = \"service.HelloWorld\"\nmessage = \"hello\"\nrate_per_minute = 6000\n{keys}"),
    );

    let Some(mut run) = frozen_before_the_handlers(&home, &conf) else {
        panic!("never caught the process before its signal handlers were installed");
    };
    run.signal(SIGHUP);
    send(run.pid(), 18); // SIGCONT
    run.stderr.wait_contains("INFO service: hello");
    run.stderr.wait_for("the reload", |l| l.ends_with(RELOADED));
    assert!(alive(run.pid()), "an early SIGHUP is a reload, not the end");
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    assert_eq!(count(&run.stderr.all(), RELOADING), 1);

    let Some(mut run) = frozen_before_the_handlers(&home, &conf) else {
        panic!("never caught the process before its signal handlers were installed");
    };
    run.signal(SIGTERM);
    send(run.pid(), 18); // SIGCONT
    // Answered as soon as the handlers are in: a stop while the tree starts (exit 1), or, if
    // the start was done by the time the request was looked at, a plain stop (exit 0).
    let code = run.exit_code();
    let lines = run.stderr.all();
    match code {
        0 => assert!(lines.last().unwrap().ends_with("INFO service: Goodbye."), "{lines:#?}"),
        1 => assert_eq!(lines.last().unwrap(), "ginkgo: error: stopped while starting (SIGTERM)", "{lines:#?}"),
        _ => panic!("an early SIGTERM is a stop, not the end: exit {code}: {lines:#?}"),
    }
    assert!(!home.entries().iter().any(|e| e.ends_with(".pid") || e.ends_with(".sock")), "{:?}", home.entries());
}

#[test]
fn a_stop_cuts_a_stuck_reload_short_and_the_waiting_client_hears_why() {
    let home = Home::new();
    let mut run = Running::start(gated(&home, &["reload"]));
    run.stderr.wait_for("ready", |l| l.ends_with(READY));
    let socket = home.file(".fixture.Gated.sock");
    let client = std::thread::spawn(move || ask(&socket, b"{\"request\": \"reload\"}\n"));
    run.stderr.wait_contains("reload begins");
    run.signal(SIGTERM);
    let reply = client.join().unwrap();
    assert!(reply.contains("\"error\":\"the reload was cut short: SIGTERM stopped the daemon\""), "{reply}");
    assert_eq!(run.exit_code(), 0);
    let lines = run.stderr.all();
    assert_eq!(count(&lines, "reload ends"), 0, "{lines:#?}");
    assert_eq!(home.entries(), Vec::<String>::new());
}
