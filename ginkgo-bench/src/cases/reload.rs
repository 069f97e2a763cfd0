//! Reloading a configuration file of 1,000 settings: `Config::reload`. No baseline: the figure
//! is reported.
//!
//! The settings are those whose names begin with [`PREFIX`]. The bench target declares 1,000
//! (`build.rs` writes their `setting!` lines, `benches/ginkgo.rs` includes them), so that only
//! the bench's own process has them: the daemon the other cases start loads its usual few. A
//! run rewrites the file with other values (not timed), then times `reload()`, which reads the
//! file, merges it over the defaults and the environment, and checks and stores every setting.

use std::path::Path;
use std::time::{Duration, Instant};

use ginkgo::Config;
use ginkgo::config::{Declared, all_settings};

use crate::Mode;
use crate::measure::{Rounds, repeat};
use crate::report::{Row, Target, count};

/// The names of the settings the reloaded file sets begin with this.
pub const PREFIX: &str = "bench.reload.";

/// Runs the case: 30 reloads (10 in quick mode), after warm-up reloads.
pub fn run(mode: Mode) -> Vec<Row> {
    let settings = declared();
    if settings.is_empty() {
        eprintln!("no `{PREFIX}…` settings in this process: the reload case runs from the bench target");
        return Vec::new();
    }
    let rounds = mode.pick(Rounds { warmup: 2, measured: 10 }, Rounds { warmup: 3, measured: 30 });
    let folder = tempfile::Builder::new().prefix("ginkgo-bench-").tempdir().expect("a scratch folder");
    let file = folder.path().join("reload.toml");
    write(&file, &settings, 0);
    let config = Config::builder().file(&file).load().expect("the configuration loads");
    let mut variant = 0;
    let reloads = repeat(rounds, || {
        variant += 1;
        reload(&config, &settings, variant)
    });
    vec![Row::single(
        format!("Config::reload of a {}-setting file", count(settings.len() as u64)),
        &reloads,
        Target::Report,
    )]
}

/// The settings of this process whose names begin with [`PREFIX`].
pub fn declared() -> Vec<&'static Declared> {
    all_settings().iter().copied().filter(|setting| setting.name().starts_with(PREFIX)).collect()
}

/// One run: rewrites `config`'s file with values of `variant` for `settings`, then reloads it.
/// Returns how long the reload took.
///
/// # Panics
///
/// If the file cannot be written or the reload fails.
pub fn reload(config: &Config, settings: &[&Declared], variant: u64) -> Duration {
    write(config.file().expect("the configuration has a file"), settings, variant);
    let began = Instant::now();
    config.reload().expect("the configuration reloads");
    began.elapsed()
}

/// Writes a TOML file setting each of `settings` (of the types `build.rs` declares: `u32`,
/// `String`, `bool`, `f64`) to a value that depends on `variant`.
///
/// # Panics
///
/// If a setting has another type, or the file cannot be written.
pub fn write(file: &Path, settings: &[&Declared], variant: u64) {
    let mut text = String::new();
    for (i, setting) in settings.iter().enumerate() {
        let value = match setting.type_name().as_str() {
            "u32" => format!("{}", i as u64 + variant),
            "bool" => format!("{}", variant % 2 == 1),
            "f64" => format!("{}.5", i as u64 + variant),
            "String" => format!("\"value {i} of round {variant}\""),
            other => panic!("setting `{}`: the reload case writes no {other}", setting.name()),
        };
        text.push_str(&format!("{} = {value}\n", setting.name()));
    }
    std::fs::write(file, text).expect("the configuration file is written");
}

#[cfg(test)]
mod tests {
    use super::*;

    ginkgo::setting!(static NUMBER: u32 { name: "bench.reload.test.number", default: 7, help: "A number" });
    ginkgo::setting!(static WORDS: String { name: "bench.reload.test.words", default: String::new(), help: "Words" });
    ginkgo::setting!(static FLAG: bool { name: "bench.reload.test.flag", default: false, help: "A flag" });
    ginkgo::setting!(static RATIO: f64 { name: "bench.reload.test.ratio", default: 0.0, help: "A ratio" });

    #[test]
    fn a_reload_takes_the_new_values() {
        let settings = declared();
        assert_eq!(settings.len(), 4);
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("reload.toml");
        write(&file, &settings, 0);
        let config = Config::builder().env(false).file(&file).load().unwrap();
        assert!(!FLAG.get(&config));
        reload(&config, &settings, 1);
        assert!(FLAG.get(&config));
        assert_eq!(WORDS.get(&config), format!("value {} of round 1", index(&settings, "words")));
        assert_eq!(NUMBER.get(&config), index(&settings, "number") as u32 + 1);
        assert_eq!(RATIO.get(&config), index(&settings, "ratio") as f64 + 1.5);
    }

    fn index(settings: &[&Declared], name: &str) -> usize {
        settings.iter().position(|s| s.name().ends_with(name)).unwrap()
    }
}
