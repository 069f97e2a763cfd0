//! Property test of the environment (`GINKGO_…`) parsing: random values for every registered
//! setting never make the loader panic, an error is one line naming the variable, and a value
//! means the same from the environment as from `--set`.
//!
//! Its own test binary, with one test: it changes the process's environment, which nothing else
//! may read meanwhile.

mod properties;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use ginkgo_core::config::{Config, MAX_TEXT_SIZE, all_settings};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

use properties::*;

fn set_env(name: &str, value: impl Into<OsString>) {
    // SAFETY of the test: it is the only test in this binary, and no thread of it reads the
    // environment while it is changed.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(name, value.into())
    };
}

fn remove_env(name: &str) {
    // SAFETY: as for `set_env`.
    #[allow(unsafe_code)]
    unsafe {
        std::env::remove_var(name)
    };
}

#[test]
fn every_setting_reads_an_environment_value_as_it_reads_set() {
    let strategy =
        (0..all_settings().len(), any_text().prop_filter("no NUL in the environment", |t| !t.contains('\0')));
    let mut runner = TestRunner::new(cases(192));
    let outcome = runner.run(&strategy, |(index, text)| {
        let declared = all_settings()[index];
        let variable = declared.env_var();
        set_env(&variable, &text);
        let from_env = Config::builder().load();
        remove_env(&variable);
        let from_set = Config::builder().env(false).set(declared.name(), text.clone()).load();
        match (&from_env, &from_set) {
            (Ok(env), Ok(set)) => prop_assert_eq!(env.help(), set.help()),
            (Err(err), Err(_)) => assert_one_line_from(err, &format!("environment variable {variable}: ")),
            (env, set) => prop_assert!(
                false,
                "{text:?} for {variable}: the environment gave {:?}, --set {:?}",
                env.as_ref().err().map(ToString::to_string),
                set.as_ref().err().map(ToString::to_string)
            ),
        }
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }

    // What the environment cannot be trusted with: bytes that are no text, and too many of them.
    set_env("GINKGO_WORDS", OsString::from_vec(vec![b'a', 0xff]));
    let err = Config::builder().load().unwrap_err();
    remove_env("GINKGO_WORDS");
    assert_eq!(err.to_string(), "environment variable GINKGO_WORDS: not valid UTF-8");
    set_env("GINKGO_WORDS", "x".repeat(MAX_TEXT_SIZE + 1));
    let err = Config::builder().load().unwrap_err();
    remove_env("GINKGO_WORDS");
    assert_eq!(err.to_string(), "environment variable GINKGO_WORDS: value longer than 65536 bytes");
    // A list given as text is named by its own variable, not by a part of it.
    set_env("GINKGO_PEERS", "[1, x]");
    let err = Config::builder().load().unwrap_err();
    remove_env("GINKGO_PEERS");
    assert_eq!(
        err.to_string(),
        "environment variable GINKGO_PEERS: setting `peers`: `peers.1` expects u16, found string \"x\""
    );
}
