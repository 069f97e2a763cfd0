//! One meaning per value, checked before anything starts, through the real `ginkgo` and
//! `ginkgoctl`: a setting's text means the same from a file, the environment and `--set`;
//! every number of every setting and option is range-checked; every mistake that can be found
//! before a start is found before "Starting process…", exits 2 with one line naming the culprit,
//! and leaves no pidfile, log file or socket behind.

mod support;

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::Command;

use support::*;

/// Where a value comes from in a run.
#[derive(Clone, Copy, Debug)]
enum Source {
    File,
    Env,
    Set,
}

const SOURCES: [Source; 3] = [Source::File, Source::Env, Source::Set];

/// `command` with `name` set to `value` from `source`; the config file is written with `extra`
/// lines (and the value, for `Source::File`).
fn with_value(home: &Home, mut command: Command, source: Source, name: &str, value: &str, extra: &str) -> Command {
    let line = match source {
        Source::File => format!("{name} = {value}\n"),
        _ => String::new(),
    };
    let conf = home.write("service.conf.toml", &format!("service = \"service.HelloWorld\"\n{extra}{line}"));
    match source {
        Source::File => {}
        Source::Env => {
            command.env(format!("GINKGO_{}", name.to_uppercase().replace('.', "__")), value);
        }
        Source::Set => {
            command.arg("--set").arg(format!("{name}={value}"));
        }
    }
    command.arg(conf);
    command
}

/// How an error names the source of a value.
fn named_source(home: &Home, source: Source, name: &str) -> String {
    match source {
        Source::File => format!("{}:", home.file("service.conf.toml").display()),
        Source::Env => format!("environment variable GINKGO_{}: ", name.to_uppercase().replace('.', "__")),
        Source::Set => "--set: ".to_string(),
    }
}

/// Runs `command` and checks that it refused to start: exit 2, one line on stderr that starts
/// with `{program}: error: {expected}`, nothing on stdout, no new file in the home. Returns the
/// line.
fn assert_refused(home: &Home, command: Command, program: &str, expected: &str) -> String {
    let before = home.entries();
    let shown = format!("{command:?}");
    let done = finish(command);
    let lines: Vec<&str> = done.stderr.lines().collect();
    assert_eq!(done.code(), 2, "{shown}: exit code; stderr: {}", done.stderr);
    assert_eq!(lines.len(), 1, "{shown}: one line, got {lines:?}");
    let start = format!("{program}: error: {expected}");
    assert!(lines[0].starts_with(&start), "{shown}:\n  got      {}\n  expected {start}…", lines[0]);
    assert_eq!(done.stdout, "", "{shown}: nothing started");
    assert_eq!(home.entries(), before, "{shown}: no pidfile, log file or socket left");
    lines[0].to_string()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[test]
fn a_umask_means_the_same_from_every_source_and_every_spelling() {
    let spellings = [(Source::File, "\"077\""), (Source::File, "0o077"), (Source::File, "77")]
        .into_iter()
        .chain(["077", "0o077", "\"077\"", "77"].into_iter().flat_map(|s| [(Source::Env, s), (Source::Set, s)]));
    let files = "pidfile = \"app.pid\"\nlogfile = \"app.log\"\n";
    for (source, spelling) in spellings {
        let home = Home::new();
        let command = with_value(&home, home.command(ginkgo()), source, "umask", spelling, files);
        let mut run = Running::start(command);
        wait_file_contains(&home.file("app.log"), "service.HelloWorld is ready");
        let modes = (mode(&home.file("app.pid")), mode(&home.file("app.log")));
        run.signal(SIGTERM);
        assert_eq!(run.exit_code(), 0);
        assert_eq!(modes, (0o600, 0o600), "umask {spelling} from {source:?}: the pidfile's and log file's modes");
    }
    // A daemon started by ginkgoctl applies it before it opens anything, from the environment too.
    for (source, spelling) in [(Source::Env, "077"), (Source::Set, "0o077")] {
        let home = Home::new();
        let mut command = with_value(&home, home.command(ginkgoctl()), source, "umask", spelling, files);
        command.arg("start");
        let started = finish(command);
        assert_eq!(started.code(), 0, "{}", started.stderr);
        assert_eq!((mode(&home.file("app.pid")), mode(&home.file("app.log"))), (0o600, 0o600), "{source:?}");
        let mut stop = home.command(ginkgoctl());
        stop.arg(home.file("service.conf.toml")).arg("stop");
        assert_eq!(finish(stop).code(), 0);
    }
}

/// The value of `name` that `ginkgo -h` shows, with `name` given as `value` from `source`.
fn shown(source: Source, name: &str, value: &str) -> String {
    let home = Home::new();
    let mut command = home.command(ginkgo());
    command.arg("-h");
    let done = finish(with_value(&home, command, source, name, value, ""));
    assert_eq!(done.code(), 0, "{name} = {value} from {source:?}: {}", done.stderr);
    let line = done.stdout.lines().find(|l| l.trim_start().starts_with(&format!("{name} "))).unwrap();
    line.split_once(" [").and_then(|(_, v)| v.strip_suffix(']')).unwrap().to_string()
}

#[test]
fn booleans_numbers_paths_and_strings_are_read_by_their_own_setting() {
    let cases = [
        ("daemon", "yes", "true"),
        ("daemon", "1", "true"),
        ("daemon", "ON", "true"),
        ("daemon", "no", "false"),
        ("daemon", "0", "false"),
        ("stop_timeout", "1e1", "10"),
        ("stop_timeout", "0.5", "0.5"),
        ("rate_per_minute", "077", "77"),
        ("rate_per_minute", "0x10", "16"),
        ("pidfile", "123", "123"),
        ("user", "0", "0"),
        ("group", "100", "100"),
        ("message", "true", "true"),
        ("message", "077", "077"),
        ("message", "[not, a, list]", "[not, a, list]"),
        (
            "logconfig",
            "{outputs = [a.log, \"b, c.log\"]}",
            "{format = none, level = none, levels = {}, outputs = [a.log, b, c.log]}",
        ),
    ];
    for (name, value, expected) in cases {
        for source in [Source::Env, Source::Set] {
            assert_eq!(shown(source, name, value), expected, "{name} = {value} from {source:?}");
        }
    }
    // And a word means what it says: `daemon=yes` daemonizes.
    let home = Home::new();
    let started = finish(with_value(&home, home.command(ginkgo()), Source::Set, "daemon", "yes", ""));
    assert_eq!(started.code(), 0, "{}", started.stderr);
    assert!(started.stdout.contains("Process is running as "), "{}", started.stdout);
    let mut stop = home.command(ginkgoctl());
    stop.arg(home.file("service.conf.toml")).arg("stop");
    assert_eq!(finish(stop).code(), 0);
}

/// True if `line` shows `value`, as written or as the number it is.
fn mentions(line: &str, value: &str) -> bool {
    let line = line.to_lowercase();
    line.contains(&value.to_lowercase())
        || value.parse::<f64>().is_ok_and(|v| {
            line.contains(&format!("{v}").to_lowercase()) || line.contains(&format!("{v:?}").to_lowercase())
        })
}

#[test]
fn extreme_numbers_for_every_numeric_setting_are_refused_before_start() {
    let numbers = [
        (
            "stop_timeout",
            &["nan", "inf", "-inf", "-1", "0", "1e20", "86400.5", "1e400"][..],
            &["expects a value from 0.001 to 86400.0"][..],
        ),
        (
            "rate_per_minute",
            &["-1", "0", "60001", "4294967296", "1e3", "nan"],
            &["expects a value from 1 to 60000", "expects u32"],
        ),
        ("umask", &["-1", "8", "1000", "0o1000", "0x1ff", "nan", "1e3"], &["expects an octal mask from 000 to 777"]),
        (
            "quickstart.client_backoff.initial_delay",
            &["nan", "inf", "-inf", "-1", "1e20"],
            &["not a number of seconds"],
        ),
        ("quickstart.client_backoff.max_delay", &["nan", "inf", "-1", "1e20"], &["not a number of seconds"]),
    ];
    for (name, values, valid) in numbers {
        let setting = name.split(".client_backoff").next().unwrap();
        let setting = if setting == name { name.to_string() } else { format!("{setting}.client_backoff") };
        for value in values {
            for source in SOURCES {
                let home = Home::new();
                let command = with_value(&home, home.command(ginkgo()), source, name, value, "");
                let place = named_source(&home, source, name);
                let line = assert_refused(&home, command, "ginkgo", &place);
                assert!(line.contains(&format!("setting `{setting}`")), "{line}: names the setting");
                assert!(valid.iter().any(|v| line.contains(v)), "{line}: says what is valid");
                assert!(mentions(&line, value), "{line}: shows {value}");
            }
        }
        // ginkgoctl checks the same before it forks.
        let home = Home::new();
        let mut command = with_value(&home, home.command(ginkgoctl()), Source::Set, name, values[0], "");
        command.arg("start");
        assert_refused(&home, command, "ginkgoctl", "--set: ");
    }
}

#[test]
fn options_out_of_range_are_refused_before_any_signal() {
    let home = Home::new();
    let conf = service_conf(&home, "");
    let conf = conf.to_str().unwrap();
    let ctl = |args: &[&str]| {
        let mut command = home.command(ginkgoctl());
        command.args(args);
        command
    };
    assert_eq!(finish(ctl(&[conf, "start"])).code(), 0);
    let pid = home.pid(".service.HelloWorld.pid").expect("a pidfile");
    let pidfile = home.file(".service.HelloWorld.pid");
    let pidfile = pidfile.to_str().unwrap();
    let before = home.entries();
    for timeout in ["inf", "-inf", "nan", "NaN", "-1", "1e20", "86400.5", "soon", ""] {
        let option = format!("--timeout={timeout}");
        let expected =
            format!("invalid value '{timeout}' for '--timeout <SECONDS>': not a number of seconds from 0 to 86400");
        assert_usage_error(&finish(ctl(&[&option, conf, "stop"])), &expected);
        assert_usage_error(&finish(ctl(&[&option, "-p", pidfile, "stop"])), &expected);
        assert_usage_error(&finish(ctl(&[&option, conf, "restart"])), &expected);
        assert!(alive(pid), "--timeout {timeout}: the daemon got no signal");
    }
    for bad in ["0", "2147483648", "99999999999"] {
        let mut command = ctl(&["-p", bad, "stop"]);
        // Its own process group: `kill(0, …)` would signal only itself.
        command.process_group(0);
        let expected = format!("invalid value '{bad}' for '--pid <PID|PIDFILE>': not a pid (1 to 2147483647)");
        assert_usage_error(&finish(command), &expected);
    }
    assert_eq!(home.entries(), before, "no file left or removed");
    assert!(alive(pid));
    assert_eq!(finish(ctl(&["--timeout", "86400", conf, "stop"])).code(), 0);
    wait_gone(pid);
}

/// A mistake to make, and the line that must name it.
struct Mistake {
    /// Lines added to the config file.
    lines: &'static str,
    env: Option<(&'static str, &'static [u8])>,
    sets: Vec<String>,
    /// What to run instead of the config file.
    target: Option<String>,
    expected: String,
}

impl Mistake {
    fn in_conf(lines: &'static str, expected: String) -> Mistake {
        Mistake { lines, env: None, sets: Vec::new(), target: None, expected }
    }

    fn in_target(target: String, expected: String) -> Mistake {
        Mistake { target: Some(target), ..Mistake::in_conf("", expected) }
    }
}

#[test]
fn every_mistake_that_can_be_found_before_a_start_is_found_before_it() {
    let home = Home::new();
    let conf = home.file("service.conf.toml");
    let path = |name: &str| home.file(name).display().to_string();
    std::fs::create_dir(home.file("sub")).unwrap();
    std::fs::create_dir(home.file("dir.toml")).unwrap();
    std::fs::File::create(home.file("big.toml")).unwrap().set_len(50 << 20).unwrap();
    let fifo = Command::new("mkfifo").arg(home.file("fifo.toml")).status().is_ok_and(|s| s.success());
    if !fifo {
        println!("skipping the FIFO case: mkfifo is missing");
    }

    let nope = path("nope");
    let mut cases = vec![
        Mistake::in_conf("rundir = \"nope\"\n", format!("setting `rundir`: directory {nope} does not exist")),
        Mistake::in_conf(
            "rundir = \"big.toml\"\n",
            format!("setting `rundir`: {} is not a directory", path("big.toml")),
        ),
        Mistake::in_conf("pidfile = \"nope/app.pid\"\n", format!("setting `pidfile`: directory {nope} does not exist")),
        Mistake::in_conf("pidfile = \"sub\"\n", format!("setting `pidfile`: {} is a directory", path("sub"))),
        Mistake::in_conf("logfile = \"nope/app.log\"\n", format!("setting `logfile`: directory {nope} does not exist")),
        Mistake::in_conf("logfile = \"sub\"\n", format!("setting `logfile`: {} is a directory", path("sub"))),
        Mistake::in_conf(
            "[logconfig]\noutputs = [\"stderr\", \"nope/x.log\"]\n",
            format!("setting `logconfig.outputs`: directory {nope} does not exist"),
        ),
        Mistake::in_conf(
            "[logconfig]\nlevle = \"warn\"\n",
            format!(
                "{}:5: setting `logconfig`: unknown key `levle` (known keys: level, levels, format, outputs)",
                conf.display()
            ),
        ),
        Mistake::in_conf("[logconfig]\nlevel = \"loud\"\n", "setting `logconfig.level`: `loud` is not a level".into()),
        Mistake::in_conf("loglevel = \"loud\"\n", "setting `loglevel`: `loud` is not a level".into()),
        Mistake::in_conf(
            "pidfile = \"app.log\"\nlogfile = \"app.log\"\n",
            format!("setting `pidfile`: {} is also the `logfile` file", path("app.log")),
        ),
        Mistake::in_conf("user = \"no-such-user-here\"\n", "setting `user`: unknown user `no-such-user-here`".into()),
        Mistake {
            env: Some(("GINKGO_MESSAGE", b"caf\xe9")),
            ..Mistake::in_conf("", "environment variable GINKGO_MESSAGE: not valid UTF-8".into())
        },
        Mistake {
            sets: vec![format!("message={}", "x".repeat(65_537))],
            ..Mistake::in_conf("", "--set message: value longer than 65536 bytes".into())
        },
        Mistake {
            sets: vec!["logconfig.outputs=[a.log".into()],
            ..Mistake::in_conf("", "--set: setting `logconfig`: unclosed `[` in the list \"[a.log\"".into())
        },
        Mistake::in_target(path("dir.toml"), format!("config file {} is a directory", path("dir.toml"))),
        Mistake::in_target(
            path("big.toml"),
            format!("{}: config file larger than the limit of 1 MiB", path("big.toml")),
        ),
    ];
    if fifo {
        cases.push(Mistake::in_target(path("fifo.toml"), format!("{}: not a regular file", path("fifo.toml"))));
    }
    for Mistake { lines, env, sets, target, expected } in cases {
        service_conf(&home, lines);
        let target = target.unwrap_or_else(|| conf.display().to_string());
        let run = |mut command: Command, args: &[&str]| {
            if let Some((name, value)) = env {
                command.env(name, std::ffi::OsStr::from_bytes(value));
            }
            for pair in &sets {
                command.arg("--set").arg(pair);
            }
            command.args(args.iter().map(|a| a.replace("TARGET", &target)));
            command
        };
        assert_refused(&home, run(home.command(ginkgo()), &["TARGET"]), "ginkgo", &expected);
        assert_refused(&home, run(home.command(ginkgo()), &["-d", "TARGET"]), "ginkgo", &expected);
        for action in ["start", "restart"] {
            assert_refused(&home, run(home.command(ginkgoctl()), &["TARGET", action]), "ginkgoctl", &expected);
        }
    }
}
