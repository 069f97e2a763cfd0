//! The log as Rust users expect it: `RUST_LOG`, `tracing` events with their fields and spans,
//! JSON lines that always parse, colour on a terminal only.

mod support;

use std::process::Command;

use serde_json::Value;
use support::*;

/// The log lines (those with a level after the time) of `lines`.
fn log_lines(lines: &[String]) -> Vec<&String> {
    lines
        .iter()
        .filter(|l| l.get(23..31).is_some_and(|level| level.trim().chars().all(|c| c.is_ascii_uppercase())))
        .collect()
}

#[test]
fn rust_log_filters_as_env_logger_does_and_wins_over_loglevel() {
    let home = Home::new();
    let conf = service_conf(&home, "loglevel = \"error\"\n");
    let cases: [(&str, &[&str], &[&str]); 4] = [
        // A default level, and a crate's own.
        ("warn,ginkgo_examples=info", &["    INFO service: Starting up!"], &[" runner: "]),
        // A module path.
        ("ginkgo_examples::service=debug,runner=off", &["    INFO service: Starting up!"], &[" runner: "]),
        ("info", &["    INFO runner: ", "    INFO service: Starting up!"], &[" DEBUG "]),
        ("debug", &["   DEBUG lifecycle: HelloWorld: ready"], &[]),
    ];
    for (filter, present, absent) in cases {
        let mut command = home.command(ginkgo());
        command.env("RUST_LOG", filter).arg(&conf);
        let mut run = Running::start(command);
        run.stderr.wait_contains(present[0]);
        run.signal(SIGTERM);
        assert_eq!(run.exit_code(), 0, "{filter}");
        let lines = run.stderr.all();
        for text in present {
            assert!(lines.iter().any(|l| l.contains(text)), "RUST_LOG={filter}: no {text:?} in {lines:#?}");
        }
        for text in absent {
            assert!(!lines.iter().any(|l| l.contains(text)), "RUST_LOG={filter}: {text:?} in {lines:#?}");
        }
    }
    // `off`: nothing at all, loglevel notwithstanding.
    let mut command = home.command(ginkgo());
    command.env("RUST_LOG", "off").args(["--set", "loglevel=debug", "hello.HelloWorld"]);
    let mut run = Running::start(command);
    run.stdout.wait_for("Hello World", |l| l == "Hello World");
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    assert_eq!(run.stderr.all(), Vec::<String>::new());
}

#[test]
fn a_bad_rust_log_is_one_line_naming_it_and_exit_2_before_the_start() {
    let home = Home::new();
    let mut command = home.command(ginkgo());
    command.env("RUST_LOG", "info,ginkgo=loud").arg("hello.HelloWorld");
    let done = finish(command);
    assert_eq!(done.code(), 2, "{}", done.stderr);
    assert_eq!(done.stdout, "");
    assert_eq!(
        done.stderr,
        "ginkgo: error: environment variable RUST_LOG: `info,ginkgo=loud`: error parsing level filter: \
         expected one of \"off\", \"error\", \"warn\", \"info\", \"debug\", \"trace\", or a number 0-5\n"
    );
    assert!(home.entries().is_empty(), "nothing started: {:?}", home.entries());
}

#[test]
fn tracing_events_land_in_the_text_log_with_their_fields_and_spans() {
    let home = Home::new();
    let mut command = home.command(fixture());
    command.arg("fixture.Hostile");
    let mut run = Running::start(command);
    run.stderr.wait_contains("INFO runner_fixture: hostile: done");
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    let lines = run.stderr.all();
    assert!(
        lines.iter().any(|l| l.ends_with(
            "    INFO runner_fixture: request{method=\"GET\" service=\"Hostile/Request\"}: greeted peer=127.0.0.1:5000 n=3 ok=true"
        )),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains('\x1b') && l.contains("INFO")), "no colour in a pipe: {lines:#?}");
}

#[test]
fn json_lines_all_parse_whatever_was_logged_or_printed() {
    let home = Home::new();
    let log = home.file("hostile.log");
    let mut command = home.command(fixture());
    command.args(["-d", "--set", "logformat=json", "--set", "loglevel=debug", "--set"]);
    command.arg(format!("logfile={}", log.display())).arg("fixture.Hostile");
    let _guard = DaemonGuard(home.file(".fixture.Hostile.pid"));
    let started = finish(command);
    assert_eq!(started.code(), 0, "{}", started.stderr);
    wait_file_contains(&log, "hostile: done");
    wait_file_contains(&log, "no newline at the end");
    let pid = home.pid(".fixture.Hostile.pid").unwrap();
    send(pid, SIGTERM);
    wait_gone(pid);

    let text = String::from_utf8(std::fs::read(&log).unwrap()).expect("the log file is UTF-8");
    let records: Vec<Value> =
        text.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line:?}"))).collect();
    for (line, record) in text.lines().zip(&records) {
        assert!(line.starts_with("{\"timestamp\":"), "the time first: {line}");
        for key in ["level", "target", "message", "fields"] {
            assert!(record.get(key).is_some(), "no {key}: {line}");
        }
        assert!(record["fields"].is_object(), "{line}");
        assert!(chrono_like(record["timestamp"].as_str().unwrap()), "{line}");
    }
    let find = |what: &str, test: &dyn Fn(&Value) -> bool| {
        records.iter().find(|r| test(r)).unwrap_or_else(|| panic!("no record {what} in:\n{text}")).clone()
    };
    let hostile = find("with the hostile message", &|r| r["level"] == "WARN" && r["target"] == "runner_fixture");
    assert_eq!(
        hostile["message"],
        "quote \" backslash \\ newline \n return \r tab \t nul \0 escape \x1b[31m bell \x07 caf\u{fffd} {\"a\": 1}"
    );
    let traced = find("from tracing", &|r| r["message"] == "greeted");
    assert_eq!(traced["fields"], serde_json::json!({"peer": "127.0.0.1:5000", "n": 3, "ok": true}));
    assert_eq!(
        traced["spans"],
        serde_json::json!([{"name": "request", "fields": {"method": "GET", "service": "Hostile/Request"}}])
    );
    assert_eq!(traced["service"], "Hostile/Request");
    let ready = find("of the framework", &|r| r["message"] == "Hostile: ready");
    assert_eq!((&ready["service"], &ready["level"]), (&Value::from("Hostile"), &Value::from("DEBUG")));
    let printed = find("printed", &|r| r["target"] == "stdio" && r["message"].as_str().unwrap().starts_with("printed"));
    assert_eq!(printed["message"], "printed caf\u{fffd} \"quoted\" \x1b[0m");
    find("printed without a newline, then to stderr", &|r| {
        r["target"] == "stdio" && r["message"].as_str().unwrap().starts_with("no newline at the end")
    });
}

/// `2026-11-30T09:47:08.864+00:00`: RFC 3339, milliseconds, an offset.
fn chrono_like(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.len() == 29 && bytes[10] == b'T' && bytes[19] == b'.' && matches!(bytes[23], b'+' | b'-')
}

#[test]
fn a_reload_switches_the_log_to_json_and_back() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let mut command = home.command(ginkgo());
    command.arg(&conf);
    let mut run = Running::start(command);
    run.stderr.wait_contains("INFO service: Services all the way down.");
    replace_file(
        &conf,
        &std::fs::read_to_string(&conf).unwrap().replace("rate_per_minute", "logformat = \"json\"\nrate_per_minute"),
    );
    run.signal(SIGHUP);
    let at = run.stderr.wait_contains("\"message\":\"Services all the way down.\"");
    let line = &run.stderr.all()[at];
    let record: Value = serde_json::from_str(line).unwrap();
    assert_eq!((&record["target"], &record["level"]), (&Value::from("ginkgo_examples::service"), &Value::from("INFO")));
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0);
    let lines = run.stderr.all();
    let first_json = lines.iter().position(|l| l.starts_with('{')).unwrap();
    assert!(lines[first_json..].iter().all(|l| serde_json::from_str::<Value>(l).is_ok()), "{lines:#?}");
    assert!(!log_lines(&lines[..first_json]).is_empty(), "text before the reload: {lines:#?}");
}

#[test]
fn colour_on_a_terminal_only_and_never_with_no_color() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` command to give the runner a terminal");
        return;
    }
    let home = Home::new();
    let on_a_terminal = |no_color: Option<&str>| {
        // `script` runs the command on a pseudo-terminal of its own and copies what it wrote.
        let mut command = home.command(Command::new("script"));
        command.args(["-qefc", &format!("{} fixture.FailStart", env!("CARGO_BIN_EXE_runner-fixture")), "/dev/null"]);
        match no_color {
            Some(value) => command.env("NO_COLOR", value),
            None => command.env_remove("NO_COLOR"),
        };
        let done = finish(command);
        assert_eq!(done.code(), 1, "{}", done.stderr);
        done.stdout
    };
    let coloured = on_a_terminal(None);
    assert!(coloured.contains("\x1b[32m   INFO\x1b[0m runner: starting fixture.FailStart on "), "{coloured:?}");
    // An empty NO_COLOR does not count (no-color.org).
    assert!(on_a_terminal(Some("")).contains("\x1b[32m   INFO\x1b[0m runner: "));
    let plain = on_a_terminal(Some("1"));
    assert!(plain.contains("    INFO runner: starting fixture.FailStart on "), "{plain:?}");
    assert!(!plain.contains('\x1b'), "{plain:?}");
    // In a pipe: never.
    let mut command = home.command(fixture());
    command.arg("fixture.FailStart").env_remove("NO_COLOR");
    let piped = finish(command);
    assert!(piped.stderr.contains("    INFO runner: starting") && !piped.stderr.contains('\x1b'), "{}", piped.stderr);
}
