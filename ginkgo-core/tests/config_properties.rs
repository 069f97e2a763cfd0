//! Property tests of the config loader and the `--set` parsing: random bytes, random TOML and
//! random values for every registered setting never make it panic, an error is one line that
//! names its source, and a text means the same from a file as from `--set`.

mod properties;

use std::path::{Path, PathBuf};

use ginkgo_core::config::{Config, ConfigError, MAX_FILE_SIZE, all_settings};
use proptest::prelude::*;

use properties::*;

/// A random TOML value, nested a little.
fn toml_value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(toml::Value::Integer),
        prop::sample::select(vec![0i64, 1, -1, 77, 511, 512, 60_000, 60_001, 86_400]).prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e20, -0.0, 0.001, 86_400.5])
            .prop_map(toml::Value::Float),
        any::<bool>().prop_map(toml::Value::Boolean),
        any_text().prop_map(toml::Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|map| toml::Value::Table(map.into_iter().collect())),
        ]
    })
}

/// A TOML document whose keys are mostly settings (dotted names become tables).
fn toml_document() -> impl Strategy<Value = String> {
    prop::collection::vec((setting_name(), toml_value()), 0..8).prop_map(|entries| {
        let mut root = toml::Table::new();
        for (name, value) in entries {
            let mut table = &mut root;
            let parts: Vec<&str> = name.split('.').collect();
            let (last, parents) = parts.split_last().unwrap();
            for part in parents {
                let entry = table.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
                if !entry.is_table() {
                    *entry = toml::Value::Table(toml::Table::new());
                }
                table = entry.as_table_mut().unwrap();
            }
            table.insert(last.to_string(), value);
        }
        toml::to_string(&root).unwrap_or_default()
    })
}

fn load_file(dir: &Path, name: &str, bytes: &[u8]) -> (PathBuf, Result<Config, ConfigError>) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let result = Config::builder().env(false).file(&path).load();
    (path, result)
}

proptest! {
    #![proptest_config(cases(192))]

    #[test]
    fn random_bytes_as_a_config_file(bytes in prop::collection::vec(any::<u8>(), 0..512), json in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let name = if json { "random.json" } else { "random.toml" };
        let (path, result) = load_file(dir.path(), name, &bytes);
        if let Err(err) = result {
            assert_one_line_from(&err, &path.display().to_string());
        }
    }

    #[test]
    fn random_toml_documents(document in toml_document()) {
        let dir = tempfile::tempdir().unwrap();
        let (path, result) = load_file(dir.path(), "random.toml", document.as_bytes());
        if let Err(err) = result {
            assert_one_line_from(&err, &path.display().to_string());
        }
    }

    #[test]
    fn random_set_pairs(pair in prop_oneof![
        "\\PC{0,40}",
        (setting_name(), any_text()).prop_map(|(name, text)| format!("{name}={text}")),
    ]) {
        match Config::builder().env(false).set_pair(&pair) {
            Err(err) => assert_one_line_from(&err, "bad --set"),
            Ok(builder) => {
                if let Err(err) = builder.load() {
                    assert_one_line_from(&err, "--set");
                }
            }
        }
    }

    /// A text means the same as a string in a file and as `--set`: both fail, or both load
    /// the same values (the help shows every value as its type read it).
    #[test]
    fn every_setting_reads_a_text_the_same_from_a_file_and_from_set(
        index in 0..all_settings().len(),
        text in any_text(),
    ) {
        let name = all_settings()[index].name();
        let from_set = Config::builder().env(false).set(name, text.clone()).load();
        if let Err(err) = &from_set {
            assert_one_line_from(err, "--set");
            assert!(err.to_string().contains(&format!("`{name}`")), "{err} does not name `{name}`");
        }
        // `--set` takes a text wholly in quotes as what is inside: a file's string does not.
        prop_assume!(!text.trim_start().starts_with(['"', '\'']));
        let document = format!("{name} = {}\n", toml::Value::String(text.clone()));
        let dir = tempfile::tempdir().unwrap();
        let (path, from_file) = load_file(dir.path(), "text.toml", document.as_bytes());
        match (&from_set, &from_file) {
            (Ok(set), Ok(file)) => prop_assert_eq!(set.help(), file.help()),
            (Err(_), Err(err)) => assert_one_line_from(err, &path.display().to_string()),
            (set, file) => prop_assert!(false, "{text:?} for {name}: --set gave {:?}, the file {:?}",
                set.as_ref().err().map(ToString::to_string), file.as_ref().err().map(ToString::to_string)),
        }
    }
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.toml");
    // Sparse: the loader must refuse it from its size, not by reading 50 MB of it.
    std::fs::File::create(&path).unwrap().set_len(50 * 1024 * 1024).unwrap();
    let err = Config::builder().env(false).file(&path).load().unwrap_err();
    assert_eq!(err.to_string(), format!("{}: config file larger than the limit of 1 MiB", path.display()));
    // At the limit exactly, a file is read.
    let at_limit = format!("rate = 5\n{}\n", "#".repeat(MAX_FILE_SIZE as usize - 10));
    assert_eq!(at_limit.len() as u64, MAX_FILE_SIZE);
    std::fs::write(&path, at_limit).unwrap();
    assert_eq!(RATE.get(&Config::builder().env(false).file(&path).load().unwrap()), 5);
}

#[test]
fn a_directory_or_a_fifo_is_no_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("folder.toml");
    std::fs::create_dir(&folder).unwrap();
    let err = Config::builder().env(false).file(&folder).load().unwrap_err();
    assert_eq!(err.to_string(), format!("{}: is a directory, not a config file", folder.display()));
    let fifo = dir.path().join("fifo.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|status| status.success()) {
        println!("skipped the FIFO case: mkfifo is missing");
        return;
    }
    // Refused without opening it (an open would wait for a writer).
    let err = Config::builder().env(false).file(&fifo).load().unwrap_err();
    assert_eq!(err.to_string(), format!("{}: not a regular file", fifo.display()));
}

#[test]
fn the_examples_of_the_properties_hold() {
    // One meaning per value: each spelling of the mask 0o077 in each source.
    let dir = tempfile::tempdir().unwrap();
    for (document, set) in [("mask = \"077\"", "077"), ("mask = 0o077", "0o077"), ("mask = 77", "\"077\"")] {
        let (_, from_file) = load_file(dir.path(), "mask.toml", document.as_bytes());
        assert_eq!(MASK.get(&from_file.unwrap()), Mask(0o077), "{document}");
        let from_set = Config::builder().env(false).set("mask", set).load().unwrap();
        assert_eq!(MASK.get(&from_set), Mask(0o077), "{set}");
    }
    let read = |name: &str, text: &str| Config::builder().env(false).set(name, text).load();
    assert!(FLAG.get(&read("flag", "yes").unwrap()));
    assert_eq!(WORDS.get(&read("words", "true").unwrap()), "true");
    assert_eq!(FILE.get(&read("file", "123").unwrap()), Some(PathBuf::from("123")));
    assert_eq!(WHO.get(&read("who", "0").unwrap()).as_deref(), Some("0"));
    assert_eq!(WHO.get(&read("who", "").unwrap()), None);
    assert_eq!(PEERS.get(&read("peers", "[80, 0x1bb]").unwrap()), [80, 443]);
    assert_eq!(LIMITS.get(&read("limits", "{a = -1}").unwrap())["a"], -1);
    assert_eq!(LETTER.get(&read("letter", "z").unwrap()), 'z');
    assert_eq!(MODE.get(&read("mode", "{slow = 2}").unwrap()), Mode::Slow(2));
    assert_eq!(ADDRESS.get(&read("net.address", "10.0.0.1:80").unwrap()).port(), 80);
    assert_eq!(SMALL.get(&read("small", "-128").unwrap()), -128);
    assert_eq!(HUGE.get(&read("huge", "18446744073709551615").unwrap()), u64::MAX);
    assert_eq!(RATIO.get(&read("ratio", "0.25").unwrap()), 0.25);
    assert_eq!(PAIR.get(&read("pair", "[2, two]").unwrap()), (2, "two".to_string()));
    assert_eq!(SECONDS.get(&read("seconds", "1e1").unwrap()), 10.0);
    let detail = LOG.get(&read("log", "{level = warn, outputs = [a.log, \"b, c.log\"]}").unwrap()).unwrap();
    assert_eq!(detail.outputs, ["a.log", "b, c.log"]);
    let backoff = BACKOFF.get(&read("client.backoff", "{initial_delay = 0.5}").unwrap());
    assert_eq!(backoff.initial_delay, std::time::Duration::from_millis(500));

    let error = |name: &str, text: &str| read(name, text).unwrap_err().to_string();
    assert_eq!(error("seconds", "1e20"), "--set: setting `seconds` expects a value from 0.001 to 86400.0, found 1e20");
    assert_eq!(error("seconds", "nan"), "--set: setting `seconds` expects a value from 0.001 to 86400.0, found NaN");
    assert_eq!(error("rate", "0"), "--set: setting `rate` expects a value from 1 to 60000, found 0");
    assert_eq!(error("rate", "-3"), "--set: setting `rate` expects u32, found signed int `-3`");
    assert_eq!(error("small", "128"), "--set: setting `small` expects i8, found unsigned int `128`");
    assert_eq!(error("name", "a/b"), "--set: setting `name`: `a/b` has a slash");
    assert_eq!(
        error("log.levle", "x"),
        "--set: setting `log`: unknown key `levle` (known keys: level, levels, outputs)"
    );
    assert_eq!(error("peers", "[1, x]"), "--set: setting `peers`: `peers.1` expects u16, found string \"x\"");
    assert_eq!(error("peers", "[1, 2"), "--set: setting `peers`: unclosed `[` in the list \"[1, 2\"");
    assert_eq!(
        error("client.backoff.initial_delay", "1e20"),
        "--set: setting `client.backoff`: 100000000000000000000 is not a number of seconds"
    );
    assert_eq!(error("mode", "slower"), "--set: setting `mode` expects one of fast, slow, found `slower`");
}

#[test]
fn a_file_of_many_unknown_keys_names_twenty_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let keys: String = (0..1000).map(|i| format!("key{i} = {i}\n")).collect();
    let (path, config) = load_file(dir.path(), "keys.toml", keys.as_bytes());
    let warnings = config.unwrap().warnings();
    assert_eq!(warnings.len(), 21, "{warnings:?}");
    assert_eq!(warnings[0], format!("{}: unknown setting `key0`", path.display()));
    assert_eq!(warnings[20], format!("{}: 980 more unknown settings", path.display()));
}
