//! An application's own command lines: the example `greeter` and `greeterctl`, built with
//! `ginkgo_runner::App`, run as a user would.

mod support;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use support::*;

fn run(home: &Home, mut command: Command, args: &[&str]) -> Finished {
    command.args(args);
    finish(home.command(command))
}

fn run_ctl(home: &Home, args: &[&str]) -> Finished {
    run(home, greeterctl(), args)
}

#[test]
fn the_commands_have_the_application_s_name_version_and_help() {
    let home = Home::new();
    for (command, name) in [(greeter(), "greeter"), (greeterctl(), "greeterctl")] {
        for flag in ["-V", "-v", "--version"] {
            let done = run(&home, Command::new(command.get_program()), &[flag]);
            assert_eq!(
                (done.code(), done.stdout.as_str()),
                (0, format!("{name} {}\n", env!("CARGO_PKG_VERSION")).as_str())
            );
        }
    }
    let help = run(&home, greeter(), &["--help"]);
    assert_eq!(help.code(), 0, "{}", help.stderr);
    for part in [
        "Greets each client with one line\n",
        "\nUsage: greeter [OPTIONS] [TARGET]\n",
        "[TARGET]  What to run [default: greeter.Greeter]\n",
        "      --shout ",
        "Registered services:\n  greeter.Greeter (the default)\n",
        "  GREETER_<SETTING>  Set a setting, over the config file: GREETER_LOGLEVEL=debug\n",
        "  RUST_LOG ",
    ] {
        assert!(help.stdout.contains(part), "no {part:?} in:\n{}", help.stdout);
    }
    assert!(!help.stdout.contains("GINKGO_"), "{}", help.stdout);
    let help = run(&home, greeterctl(), &["-h"]);
    assert!(help.stdout.starts_with("Starts, stops, reloads and watches greeter daemons\n"), "{}", help.stdout);
    assert!(help.stdout.contains("\nUsage: greeterctl [OPTIONS] [TARGET] <ACTION> [ARGS]...\n"), "{}", help.stdout);
    assert!(help.stdout.contains("      --shout "), "the application's own argument: {}", help.stdout);
    // With the default target, -h lists the settings too, the application's among them.
    let help = run(&home, greeter(), &["-h"]);
    assert!(help.stdout.contains("\n  greeter.greeting "), "{}", help.stdout);
}

#[test]
fn usage_errors_and_other_errors_carry_the_application_s_name() {
    let home = Home::new();
    assert_usage_error(&run(&home, greeter(), &["--bogus"]), "unexpected argument '--bogus' found");
    let done = run(&home, greeterctl(), &["dance"]);
    assert_usage_error(
        &done,
        "invalid action 'dance' (choose from start, stop, restart, reload, status, loglevel, settings, upgrade, log, logtail)",
    );
    assert!(done.stderr.contains("\nUsage: greeterctl [OPTIONS] [TARGET] <ACTION> [ARGS]...\n"), "{}", done.stderr);
    let done = run(&home, greeterctl(), &["-p", "4194305", "stop"]);
    assert_eq!((done.code(), done.stdout.as_str()), (0, "Process is NOT running.\n"));
    // A pid that holds no pidfile's lock is "not a greeter daemon".
    let done = run(&home, greeterctl(), &["-p", &std::process::id().to_string(), "stop"]);
    assert_eq!(done.code(), 1);
    assert!(done.stderr.starts_with(&format!("greeterctl: error: PID {} is not a greeter daemon", std::process::id())));
}

#[test]
fn settings_come_from_the_application_s_environment_prefix() {
    let home = Home::new();
    let mut command = greeter();
    command.env("GREETER_STOP_TIMEOUT", "soon");
    let done = finish(home.command(command));
    assert_eq!(done.code(), 2, "{}", done.stderr);
    assert_eq!(
        done.stderr,
        "greeter: error: environment variable GREETER_STOP_TIMEOUT: setting `stop_timeout` expects f64, found string \"soon\"\n"
    );
    // GINKGO_ variables are not this application's.
    let mut command = greeter();
    command.env("GINKGO_STOP_TIMEOUT", "soon").arg("-h");
    let done = finish(home.command(command));
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let mut command = greeter();
    command.env("GREETER_LOGLEVEL", "warn").arg("-h");
    let done = finish(home.command(command));
    assert!(done.stdout.lines().any(|l| l.starts_with("  loglevel ") && l.ends_with(" [warn]")), "{}", done.stdout);
}

#[test]
fn the_default_target_runs_with_the_application_s_argument_and_files() {
    let home = Home::new();
    let mut command = home.command(greeter());
    command.env("GREETER_GREETER__GREETING", "Hi there").args(["--shout", "--set", "greeter.address=127.0.0.1:0"]);
    let mut daemon = Running::start(command);
    daemon.stdout.wait_for("the start", |l| l == "Starting process with greeter.Greeter...");
    let at = daemon.stderr.wait_contains("INFO listen: Greeter/StreamServer: listening on ");
    let address = daemon.stderr.all()[at].rsplit(' ').next().unwrap().to_string();
    let mut line = String::new();
    BufReader::new(TcpStream::connect(&address).unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "HI THERE\n", "the greeting, from GREETER_, in capitals for --shout");
    // Files named after the application, not after greeter.Greeter.
    assert!(home.entries().contains(&".greeter.pid".to_string()), "{:?}", home.entries());
    assert!(home.entries().contains(&".greeter.sock".to_string()), "{:?}", home.entries());
    let status = run_ctl(&home, &["status"]);
    // The first line; the tree follows (tests/operator.rs).
    assert_eq!(status.stdout.lines().next(), Some(format!("Process is running as {}.", daemon.pid()).as_str()));
    daemon.signal(SIGTERM);
    assert_eq!(daemon.exit_code(), 0, "{}", daemon.stderr.all().join("\n"));
    assert!(home.entries().is_empty(), "{:?}", home.entries());
}

#[test]
fn completions_and_manual_pages_are_printed_for_both_commands() {
    let home = Home::new();
    for (command, name) in [(greeter(), "greeter"), (greeterctl(), "greeterctl")] {
        let program = command.get_program().to_owned();
        let bash = run(&home, Command::new(&program), &["--completions", "bash"]);
        assert_eq!(bash.code(), 0, "{}", bash.stderr);
        assert!(bash.stdout.contains(&format!("complete -F _{name} ")), "{}", bash.stdout);
        assert!(bash.stdout.contains("--set"), "{}", bash.stdout);
        let zsh = run(&home, Command::new(&program), &["--completions", "zsh"]);
        assert!(zsh.stdout.starts_with(&format!("#compdef {name}\n")), "{}", zsh.stdout);
        let page = run(&home, Command::new(&program), &["--man"]);
        assert_eq!(page.code(), 0, "{}", page.stderr);
        assert!(
            page.stdout.starts_with(&format!(".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n.TH {name} 1")),
            "{}",
            page.stdout
        );
        if Command::new("man").arg("--version").output().is_err() {
            eprintln!("skipped rendering the manual page: no `man` command");
            continue;
        }
        let mut man = Command::new("man");
        man.args(["-l", "-"]).env("MANWIDTH", "100").env_remove("MAN_KEEP_FORMATTING");
        man.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = man.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), page.stdout.as_bytes()).unwrap();
        let shown = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&shown.stdout);
        assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
        assert!(text.contains("NAME") && text.contains("SYNOPSIS") && text.contains("--completions"), "{text}");
        assert!(text.contains(&format!("{name} 0.7.0")), "the version in the footer: {text}");
    }
}
