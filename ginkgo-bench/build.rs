//! Records the compiler's version, so that a run can print the toolchain its figures came from,
//! and writes the 1,000 settings of the reload case (`$OUT_DIR/reload_settings.rs`), which
//! `benches/ginkgo.rs` includes.

use std::fmt::Write as _;
use std::process::Command;

/// How many settings the reload case's file sets.
const RELOAD_SETTINGS: usize = 1_000;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=BENCH_RUSTC_VERSION={version}");

    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(format!("{out}/reload_settings.rs"), reload_settings()).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed=build.rs");
}

/// 1,000 `setting!` declarations in 20 groups of 50, of four types in turn:
/// `bench.reload.group_00.key_00: u32`, `…key_01: String`, `…key_02: bool`, `…key_03: f64`, …
fn reload_settings() -> String {
    let mut text = String::from("// Written by build.rs: the settings of the reload case.\n");
    for i in 0..RELOAD_SETTINGS {
        let (ty, default) = match i % 4 {
            0 => ("u32", format!("{i}")),
            1 => ("String", format!("String::from(\"default {i}\")")),
            2 => ("bool", "false".to_string()),
            _ => ("f64", format!("{i}.0")),
        };
        let name = format!("bench.reload.group_{:02}.key_{:02}", i / 50, i % 50);
        writeln!(
            text,
            "ginkgo::setting!(pub static S{i:04}: {ty} {{ name: \"{name}\", default: {default}, help: \"A setting of the reload benchmark\" }});"
        )
        .expect("writing to a String");
    }
    text
}
