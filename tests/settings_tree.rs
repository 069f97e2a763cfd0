//! A service tree reading settings live, reloaded with its configuration, on every backend.

use std::sync::{Arc, Mutex};

use ginkgo::testing::each_backend;
use ginkgo::{Backend, BoxError, Config, Context, ErrorKind, Service, setting};

setting!(static GREETING: String { name: "tree_test.greeting", default: "hello".to_string(), help: "A greeting" });

/// Records the greeting it sees at each reload.
struct Greeter {
    seen: Arc<Mutex<Vec<String>>>,
}

#[ginkgo::async_trait]
impl Service for Greeter {
    async fn do_reload(&self, ctx: &Context) -> Result<(), BoxError> {
        self.seen.lock().unwrap().push(GREETING.get(ctx.config()));
        Ok(())
    }
}

#[test]
fn a_broken_reload_leaves_values_and_tree_untouched_and_a_good_one_reaches_do_reload() {
    each_backend(|backend| async move {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tree.toml");
        std::fs::write(&file, "[tree_test]\ngreeting = \"hi\"\n").unwrap();
        let config = Config::builder().env(false).file(&file).load().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let root = backend.service(Greeter { seen: seen.clone() }).with_config(config.clone());
        let child = root.add_service(Greeter { seen: seen.clone() });
        assert_eq!(GREETING.get(child.config()), "hi");
        root.start().await.unwrap();

        std::fs::write(&file, "[tree_test]\ngreeting = 42\n").unwrap();
        let err = root.reload_config().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConfigFailed);
        assert!(
            err.chain()
                .to_string()
                .ends_with("tree.toml:2: setting `tree_test.greeting` expects String, found signed int `42`"),
            "{}",
            err.chain()
        );
        assert!(seen.lock().unwrap().is_empty(), "no do_reload after a broken file");
        assert_eq!(GREETING.get(root.config()), "hi");

        std::fs::write(&file, "").unwrap();
        root.reload_config().await.unwrap();
        assert_eq!(*seen.lock().unwrap(), ["hello", "hello"]);
        root.stop().await.unwrap();
    });
}

#[test]
fn the_async_setting_picks_a_compiled_in_backend() {
    let config = Config::builder().env(false).set("async", "threads").load().unwrap();
    assert_eq!(Backend::from_config(&config).unwrap().name(), "threads");
    let config = Config::builder().env(false).set("async", "gevent").load().unwrap();
    assert_eq!(
        Backend::from_config(&config).unwrap_err().to_string(),
        "unknown async backend `gevent`; available: tokio, smol, async-std, threads"
    );
    assert_eq!(Backend::from_config(&Config::defaults()).unwrap(), Backend::default());
}
