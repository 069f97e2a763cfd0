//! Settings and configuration, end to end: files, environment, overrides, reload, help.

use std::path::PathBuf;

use ginkgo_core::config::{Config, all_settings};
use ginkgo_core::setting;

setting!(pub static RATE: u32 { name: "rate_per_minute", default: 60, help: "Rate at which to emit message" });
setting!(pub static MESSAGE: String {
    name: "message",
    default: "Hello World".to_string(),
    help: "Message to print out while running",
});
setting!(pub static DEBUG: bool { name: "flask.debug", default: false, help: "Flask debug mode" });
setting!(pub static PEERS: Vec<String> {
    name: "peers",
    default: vec!["a:1".to_string()],
    help: "Addresses to connect to,\none per entry",
});
setting!(pub static ADDRESS: std::net::SocketAddr {
    name: "address",
    default: "0.0.0.0:7000".parse().unwrap(),
    help: "Where to listen",
});
setting!(pub static UPSTREAMS: std::collections::BTreeMap<String, String> {
    name: "upstreams",
    default: std::collections::BTreeMap::new(),
    help: "Named upstream addresses",
});
setting!(pub static ONLY_ENV: u16 { name: "test_only_env", default: 1, help: "Set by the environment test" });
setting!(pub static NESTED_ENV: u16 { name: "envgroup.port", default: 2, help: "Set by the environment test" });

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Dir(tempfile::tempdir().unwrap())
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

#[test]
fn each_layer_overrides_the_one_below() {
    let dir = Dir::new();
    let file = dir.write("app.toml", "rate_per_minute = 120\nmessage = \"from file\"\n");
    assert_eq!(RATE.get(&Config::defaults()), 60);
    let from_file = Config::builder().env(false).file(&file).load().unwrap();
    assert_eq!(RATE.get(&from_file), 120);
    assert_eq!(MESSAGE.get(&from_file), "from file");
    let overridden = Config::builder().env(false).file(&file).set("rate_per_minute", "180").load().unwrap();
    assert_eq!(RATE.get(&overridden), 180);
    assert_eq!(MESSAGE.get(&overridden), "from file");
}

#[test]
fn the_environment_sits_between_file_and_overrides() {
    // SAFETY of the test: these variables are read only by this test's settings.
    unsafe_env_set("GINKGO_TEST_ONLY_ENV", "7");
    unsafe_env_set("GINKGO_ENVGROUP__PORT", "8080");
    let dir = Dir::new();
    let file = dir.write("env.toml", "test_only_env = 5\n");
    let config = Config::builder().file(&file).load().unwrap();
    assert_eq!(ONLY_ENV.get(&config), 7);
    assert_eq!(NESTED_ENV.get(&config), 8080);
    let config = Config::builder().file(&file).set("test_only_env", "9").load().unwrap();
    assert_eq!(ONLY_ENV.get(&config), 9);
    let without_env = Config::builder().env(false).file(&file).load().unwrap();
    assert_eq!(ONLY_ENV.get(&without_env), 5);
}

fn unsafe_env_set(key: &str, value: &str) {
    // Edition 2024 marks set_var unsafe because other threads may read the environment; the
    // variables set here are unique to one test and never read concurrently with their write.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(key, value)
    };
}

#[test]
fn json_files_work_like_toml_files() {
    let dir = Dir::new();
    let file = dir.write(
        "app.json",
        r#"{"rate_per_minute": 30, "peers": ["x:1", "y:2"], "flask": {"debug": true}, "address": "127.0.0.1:9"}"#,
    );
    let config = Config::builder().env(false).file(&file).load().unwrap();
    assert_eq!(RATE.get(&config), 30);
    assert_eq!(PEERS.get(&config), ["x:1", "y:2"]);
    assert!(DEBUG.get(&config));
    assert_eq!(ADDRESS.get(&config).port(), 9);
}

#[test]
fn reload_is_live_and_a_removed_key_returns_to_its_default() {
    let dir = Dir::new();
    let file = dir.write("live.toml", "rate_per_minute = 180\nmessage = \"Services all the way down.\"\n");
    let config = Config::builder().env(false).file(&file).load().unwrap();
    let mut watcher = RATE.watch(&config);
    let mut other = RATE.watch(&config);
    let mut message = MESSAGE.watch(&config);
    assert_eq!(RATE.get(&config), 180);
    dir.write("live.toml", "rate_per_minute = 240\n");
    config.reload().unwrap();
    assert_eq!(RATE.get(&config), 240);
    assert_eq!(MESSAGE.get(&config), "Hello World");
    // Each reader sees the change once, independently of the others.
    assert!(watcher.changed());
    assert!(!watcher.changed());
    assert!(other.changed());
    assert!(message.changed());
    // A reload that changes nothing is no change.
    config.reload().unwrap();
    assert!(!watcher.changed());
}

#[test]
fn a_broken_reload_keeps_the_old_values() {
    let dir = Dir::new();
    let file = dir.write("keep.toml", "rate_per_minute = 180\n");
    let config = Config::builder().env(false).file(&file).load().unwrap();
    dir.write("keep.toml", "rate_per_minute = \"fast\"\n");
    let err = config.reload().unwrap_err();
    assert!(
        err.to_string().ends_with("keep.toml:1: setting `rate_per_minute` expects u32, found string \"fast\""),
        "{err}"
    );
    assert_eq!(RATE.get(&config), 180);
    dir.write("keep.toml", "rate_per_minute = [\n");
    let err = config.reload().unwrap_err().to_string();
    assert!(err.ends_with("keep.toml:1:20: syntax error: unclosed array, expected `]`"), "{err}");
    assert_eq!(RATE.get(&config), 180);
}

#[test]
fn a_wrong_type_names_file_line_setting_type_and_value() {
    let dir = Dir::new();
    let file = dir.write("bad.toml", "message = \"ok\"\n\n[flask]\ndebug = \"yes please\"\n");
    let err = Config::builder().env(false).file(&file).load().unwrap_err();
    let expected = format!("{}:4: setting `flask.debug` expects bool, found string \"yes please\"", file.display());
    assert_eq!(err.to_string(), expected);

    // A bad value inside a table setting is named by its own key and line.
    let file = dir.write("nested.toml", "[upstreams]\ndb = \"10.0.0.1:5432\"\nusers = 5432\n");
    let err = Config::builder().env(false).file(&file).load().unwrap_err();
    let expected = format!(
        "{}:3: setting `upstreams`: `upstreams.users` expects a string, found signed int `5432`",
        file.display()
    );
    assert_eq!(err.to_string(), expected);

    let err = Config::builder().env(false).set("rate_per_minute", "-3").load().unwrap_err();
    assert_eq!(err.to_string(), "--set: setting `rate_per_minute` expects u32, found signed int `-3`");
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let dir = Dir::new();
    let file = dir.write("syntax.toml", "message = \"ok\"\nrate_per_minute = = 3\n");
    let err = Config::builder().env(false).file(&file).load().unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with(&format!("{}:2:19: syntax error", file.display())), "{text}");
    let file = dir.write("syntax.json", "{\"message\": \"ok\",\n \"rate_per_minute\": }");
    let text = Config::builder().env(false).file(&file).load().unwrap_err().to_string();
    assert!(text.starts_with(&format!("{}:2:21: syntax error", file.display())), "{text}");
    let text = Config::builder().env(false).file(dir.0.path().join("missing.toml")).load().unwrap_err().to_string();
    assert!(text.ends_with("missing.toml: cannot read config file"), "{text}");
    let text = Config::builder().env(false).file(dir.write("app.ini", "")).load().unwrap_err().to_string();
    assert!(text.ends_with("app.ini: unsupported config file format (use .toml or .json)"), "{text}");
}

#[test]
fn unknown_keys_are_warnings_with_suggestions() {
    let dir = Dir::new();
    let file = dir.write("typo.toml", "rate_per_minut = 3\ncolour = \"blue\"\nservice = \"service.HelloWorld\"\n");
    let config = Config::builder().env(false).file(&file).load().unwrap();
    let shown = file.display();
    assert_eq!(
        config.warnings(),
        [
            format!("{shown}: unknown setting `colour`"),
            format!("{shown}: unknown setting `rate_per_minut`; did you mean `rate_per_minute`?"),
        ]
    );
    assert_eq!(config.service().as_deref(), Some("service.HelloWorld"));
    assert_eq!(RATE.get(&config), 60);
}

#[test]
fn two_configurations_live_side_by_side() {
    let one = Config::builder().env(false).set("message", "one").load().unwrap();
    let two = Config::builder().env(false).set("message", "two").load().unwrap();
    assert_eq!(MESSAGE.get(&one), "one");
    assert_eq!(MESSAGE.get(&two), "two");
    assert_eq!(*MESSAGE.load(&one), "one");
}

#[test]
fn groups_read_subtrees_and_missing_keys_are_absent() {
    let dir = Dir::new();
    let file = dir.write("group.toml", "[flask]\ndebug = true\nsecret_key = \"s\"\n[flask.subgroup]\nfoo = \"bar\"\n");
    let config = Config::builder().env(false).file(&file).load().unwrap();
    let flask = config.group("flask");
    assert_eq!(flask.keys(), ["debug", "secret_key", "subgroup"]);
    assert_eq!(flask.get::<bool>("debug"), Some(true));
    assert_eq!(flask.group("subgroup").get::<String>("foo").as_deref(), Some("bar"));
    assert_eq!(flask.get::<String>("tree"), None);
    assert!(!flask.contains("tree"));
    assert_eq!(config.group("nothing").keys(), Vec::<String>::new());
}

#[test]
fn every_setting_is_discoverable_without_a_service() {
    let rate = all_settings().iter().find(|d| d.name() == "rate_per_minute").unwrap();
    assert_eq!(rate.type_name(), "u32");
    assert_eq!(rate.help(), "Rate at which to emit message");
    assert_eq!(rate.env_var(), "GINKGO_RATE_PER_MINUTE");
    let debug = all_settings().iter().find(|d| d.name() == "flask.debug").unwrap();
    assert_eq!(debug.env_var(), "GINKGO_FLASK__DEBUG");
    let peers = all_settings().iter().find(|d| d.name() == "peers").unwrap();
    assert_eq!(peers.type_name(), "Vec<String>");
}

#[test]
fn help_lists_every_setting_aligned_with_its_current_value() {
    let config = Config::builder().env(false).set("rate_per_minute", "600").load().unwrap();
    let expected = "\
config settings:
  address                     Where to listen [0.0.0.0:7000]
  envgroup.port               Set by the environment test [2]
  flask.debug                 Flask debug mode [false]
  http.header_read_timeout    Seconds a client has to send a request's headers, from their first byte [10]
  http.idle_timeout           Seconds an HTTP connection may wait for its next request before it is closed [75]
  http.max_concurrent_streams Most requests one HTTP/2 connection may have in progress at once [100]
  message                     Message to print out while running [Hello World]
  net.max_connections         Most connections each server holds open at once (then new clients wait);
                              \"auto\": the limit on open files less a quarter of it (at most 1024) [auto]
  net.tls_handshake_timeout   Seconds a client has to finish its TLS handshake, from its connection;
                              then the server closes it [10]
  net.unix_socket_mode        Permissions of the file of each server's Unix socket, in octal (\"0660\");
                              connecting takes write permission [0660]
  peers                       Addresses to connect to,
                              one per entry [[a:1]]
  rate_per_minute             Rate at which to emit message [600]
  test_only_env               Set by the environment test [1]
  upstreams                   Named upstream addresses [{}]
";
    assert_eq!(config.help(), expected);
}

#[test]
fn relative_paths_resolve_next_to_the_config_file() {
    let dir = Dir::new();
    let file = dir.write("paths.toml", "");
    let config = Config::builder().env(false).file(&file).load().unwrap();
    assert_eq!(config.resolve_path("app.pid"), dir.0.path().join("app.pid"));
    assert_eq!(config.resolve_path("/run/app.pid"), PathBuf::from("/run/app.pid"));
    assert_eq!(Config::defaults().resolve_path("app.pid"), PathBuf::from("app.pid"));
}
