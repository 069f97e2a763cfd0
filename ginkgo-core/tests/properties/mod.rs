//! What the property tests share: settings of every shape the runner and the examples declare
//! (numbers with a range, a mask read in octal, paths, options, lists, tables, a struct that
//! refuses unknown keys, a `Backoff`) and a few more; strategies for texts and setting names.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use ginkgo_core::config::{ConfigError, all_settings};
use ginkgo_core::{Backoff, setting};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

setting!(pub static SECONDS: f64 { name: "seconds", default: 10.0, help: "A duration", range: 0.001..=86_400.0 });
setting!(pub static RATE: u32 { name: "rate", default: 60, help: "A rate", range: 1..=60_000 });
setting!(pub static MASK: Mask { name: "mask", default: Mask(0o022), help: "A mask in octal" });
setting!(pub static FLAG: bool { name: "flag", default: false, help: "A flag" });
setting!(pub static WORDS: String { name: "words", default: String::new(), help: "Words" });
setting!(pub static FILE: Option<PathBuf> { name: "file", default: None, help: "A path" });
setting!(pub static WHO: Option<String> { name: "who", default: None, help: "A name or an id" });
setting!(pub static LOG: Option<Detail> { name: "log", default: None, help: "A table of known keys" });
setting!(pub static BACKOFF: Backoff { name: "client.backoff", default: Backoff::default(), help: "A backoff" });
setting!(pub static PEERS: Vec<u16> { name: "peers", default: vec![1], help: "Ports" });
setting!(pub static LIMITS: BTreeMap<String, i64> { name: "limits", default: BTreeMap::new(), help: "Limits" });
setting!(pub static LETTER: char { name: "letter", default: 'a', help: "A letter" });
setting!(pub static MODE: Mode { name: "mode", default: Mode::Fast, help: "A mode" });
setting!(pub static ADDRESS: SocketAddr { name: "net.address", default: "127.0.0.1:1".parse().unwrap(), help: "An address" });
setting!(pub static SMALL: i8 { name: "small", default: 0, help: "A small number" });
setting!(pub static HUGE: u64 { name: "huge", default: 0, help: "A large number" });
setting!(pub static RATIO: f32 { name: "ratio", default: 0.5, help: "A ratio" });
setting!(pub static PAIR: (u8, String) { name: "pair", default: (1, "one".into()), help: "A pair" });
setting!(pub static NAME: String {
    name: "name",
    default: "x".into(),
    help: "A checked name",
    check: |name: &String| if name.contains('/') { Err(format!("`{name}` has a slash")) } else { Ok(()) },
});

/// Read like the runner's `Umask`: whatever it is given, through `deserialize_any`, as octal
/// digits; written back as them.
#[derive(Clone, Debug, PartialEq)]
pub struct Mask(pub u32);

impl Serialize for Mask {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{:03o}", self.0))
    }
}

impl<'de> Deserialize<'de> for Mask {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        let digits = match Raw::deserialize(deserializer)? {
            Raw::Number(n) => n.to_string(),
            Raw::Text(text) => text.trim().trim_start_matches("0o").to_string(),
        };
        match u32::from_str_radix(&digits, 8) {
            Ok(mask) if mask <= 0o777 => Ok(Mask(mask)),
            _ => Err(serde::de::Error::custom(format!("`{digits}` is not an octal mask"))),
        }
    }
}

/// Like the runner's `LogConfig`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detail {
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub levels: BTreeMap<String, String>,
    #[serde(default)]
    pub outputs: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Fast,
    Slow(u8),
}

/// Few enough cases that the suite stays fast; no regression files in the source tree.
pub fn cases(count: u32) -> ProptestConfig {
    ProptestConfig { cases: count, failure_persistence: None, ..ProptestConfig::default() }
}

/// An error is one line that starts by naming its source.
pub fn assert_one_line_from(err: &ConfigError, source: &str) {
    let text = err.to_string();
    assert!(!text.contains('\n') && !text.contains('\r'), "more than one line: {text:?}");
    assert!(text.starts_with(source), "{text:?} does not start with {source:?}");
}

/// Texts as people and attackers write them: numbers of every form, words that look like
/// bools, lists, tables, quotes, and anything at all.
pub fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        prop::sample::select(vec![
            "0",
            "1",
            "-1",
            "077",
            "0o077",
            "0x1f",
            "0b101",
            "1e20",
            "-1e20",
            "1e400",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "+inf",
            "86400",
            "86400.5",
            "0.001",
            "1_000",
            "_1",
            "18446744073709551616",
            "-9223372036854775809",
            "yes",
            "no",
            "on",
            "off",
            "true",
            "FALSE",
            "none",
            "[]",
            "{}",
            "[1, 2]",
            "[a, \"b, c\"]",
            "{a = 1}",
            "{level = warn, outputs = [x.log]}",
            "{slow = 3}",
            "fast",
            "[1, \"x\"]",
            "[",
            "{",
            "[[[[",
            "{a = }",
            "\"077\"",
            "'077'",
            "\"\\u0000\"",
            "\"\\uD800\"",
            "127.0.0.1:80",
            "{initial_delay = 1e20}",
            "{factor = nan, jitter = -1}",
            "a/b",
            "é",
            "\u{0}",
        ])
        .prop_map(String::from),
        "[ -~]{0,24}",
        any::<i128>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        "\\PC{0,16}",
        prop::collection::vec("[a-z0-9\\[\\]{}=,\" .-]", 0..20).prop_map(|parts| parts.concat()),
    ]
}

pub fn setting_name() -> impl Strategy<Value = String> {
    let names: Vec<String> = all_settings().iter().map(|d| d.name().to_string()).collect();
    prop_oneof![
        4 => prop::sample::select(names),
        1 => "[a-z]{1,8}(\\.[a-z_]{1,8}){0,2}",
        1 => Just("log.levle".to_string()),
        1 => Just("client.backoff.initial_delay".to_string()),
    ]
}
