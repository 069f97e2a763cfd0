//! `Origin`: where a setting's value came from, for the people who ask why it is what it is.

use std::fmt;
use std::path::PathBuf;

use figment::value::{Tag, Value};
use figment::{Figment, Metadata};

use super::source::ConfigFile;

/// Where a value came from: the layer that gave it, as [`Config::origins`](super::Config::origins)
/// tells it. Its `Display` is what an operator reads: `default`, `/etc/app.toml:12`,
/// `environment variable GINKGO_LOGLEVEL`, `--set`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// No layer gave it: the setting's declared default.
    Default,
    /// A config file, with the value's line when the format keeps lines (TOML does, JSON does
    /// not).
    File {
        /// The file, as the configuration was given it.
        path: PathBuf,
        /// The value's line, from 1.
        line: Option<usize>,
    },
    /// An environment variable, with the configuration's prefix: `GINKGO_LOGLEVEL`.
    Environment {
        /// The variable's name.
        variable: String,
    },
    /// An override: `--set KEY=VALUE`, or [`ConfigBuilder::set`](super::ConfigBuilder::set).
    Set,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { path, line: Some(line) } => write!(f, "{}:{line}", path.display()),
            Origin::File { path, line: None } => write!(f, "{}", path.display()),
            Origin::Environment { variable } => write!(f, "environment variable {variable}"),
            Origin::Set => f.write_str("--set"),
        }
    }
}

/// What the origin of a value is found from: the merged layers, the file (for lines), the
/// environment's prefix (for variable names).
pub(crate) struct Layers<'a> {
    pub(crate) figment: &'a Figment,
    pub(crate) file: Option<&'a ConfigFile>,
    pub(crate) env_prefix: &'a str,
}

impl Layers<'_> {
    /// The origin of the value tagged `tag`, found at the dotted `path`.
    pub(crate) fn origin(&self, tag: Tag, path: &[String]) -> Origin {
        self.origin_of(self.figment.get_metadata(tag), path)
    }

    /// The origin of a value from the layer `metadata` describes (none: the default).
    pub(crate) fn origin_of(&self, metadata: Option<&Metadata>, path: &[String]) -> Origin {
        let Some(metadata) = metadata else { return Origin::Default };
        match (&metadata.source, self.file) {
            (Some(figment::Source::File(from)), Some(file)) if *from == file.path => {
                Origin::File { path: file.path.clone(), line: file.line_of(path) }
            }
            _ if metadata.name == "environment" => Origin::Environment { variable: env_var_of(path, self.env_prefix) },
            _ if metadata.name == "--set" => Origin::Set,
            _ => Origin::Default,
        }
    }

    /// The origins of a setting's value `raw`, named `name`: one, under the setting's name, when
    /// a single layer gave all of it; else one for each key of a table, under its dotted name,
    /// for a table whose keys came from different layers (a file's `[logconfig]` with one level
    /// overridden by the environment, say).
    pub(crate) fn origins(&self, name: &str, raw: &Value) -> Vec<(String, Origin)> {
        let mut leaves = Vec::new();
        leaves_of(dotted(name), raw, &mut leaves);
        let origins: Vec<(String, Origin)> =
            leaves.into_iter().map(|(path, tag)| (path.join("."), self.origin(tag, &path))).collect();
        let whole = || vec![(name.to_string(), self.origin(raw.tag(), &dotted(name)))];
        match origins.first() {
            Some((_, first)) if origins.iter().all(|(_, origin)| origin.same_layer(first)) => whole(),
            Some(_) => origins,
            None => whole(),
        }
    }
}

fn dotted(name: &str) -> Vec<String> {
    name.split('.').map(String::from).collect()
}

impl Origin {
    /// The same layer, wherever in it: one file (any line), or the same variable, or both
    /// overrides, or both defaults.
    fn same_layer(&self, other: &Origin) -> bool {
        match (self, other) {
            (Origin::File { path, .. }, Origin::File { path: other, .. }) => path == other,
            _ => self == other,
        }
    }
}

/// Every value of `value` that is not a non-empty table, with its path and tag.
fn leaves_of(path: Vec<String>, value: &Value, out: &mut Vec<(Vec<String>, Tag)>) {
    match value {
        Value::Dict(_, dict) if !dict.is_empty() => {
            for (key, inner) in dict {
                let mut deeper = path.clone();
                deeper.push(key.clone());
                leaves_of(deeper, inner, out);
            }
        }
        _ => out.push((path, value.tag())),
    }
}

/// The environment variable (starting with `prefix`) that set the value at `path`: the one for
/// the longest part of the path that names a variable (a list or table given as text is one
/// variable).
pub(crate) fn env_var_of(path: &[String], prefix: &str) -> String {
    let name = |parts: &[String]| format!("{prefix}{}", parts.join("__").to_uppercase());
    (1..=path.len())
        .rev()
        .map(|len| name(&path[..len]))
        .find(|var| std::env::var_os(var).is_some())
        .unwrap_or_else(|| name(path))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::Config;

    crate::setting!(static TABLE: BTreeMap<String, i64> {
        name: "origin_tests.table",
        default: BTreeMap::new(),
        help: "A table for the origin tests",
    });

    #[test]
    fn a_table_from_several_layers_has_an_origin_for_each_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("app.toml");
        std::fs::write(&file, "[origin_tests.table]\na = 1\nb = 2\n").unwrap();
        let config = Config::builder().env(false).file(&file).load().unwrap();
        let line = |line| Origin::File { path: file.clone(), line: Some(line) };
        // One layer gave all of it: the table's own line, its header.
        assert_eq!(config.origins(TABLE.declared()), [("origin_tests.table".to_string(), line(1))]);
        let config = Config::builder().env(false).file(&file).set("origin_tests.table.b", "3").load().unwrap();
        assert_eq!(
            config.origins(TABLE.declared()),
            [("origin_tests.table.a".to_string(), line(2)), ("origin_tests.table.b".to_string(), Origin::Set)]
        );
        let defaults = Config::builder().env(false).load().unwrap();
        assert_eq!(defaults.origins(TABLE.declared()), [("origin_tests.table".to_string(), Origin::Default)]);
    }

    #[test]
    fn an_origin_reads_as_a_place() {
        let file = |line| Origin::File { path: "/etc/app.toml".into(), line };
        assert_eq!(file(Some(12)).to_string(), "/etc/app.toml:12");
        assert_eq!(file(None).to_string(), "/etc/app.toml");
        let variable = Origin::Environment { variable: "GINKGO_LOGLEVEL".into() };
        assert_eq!(variable.to_string(), "environment variable GINKGO_LOGLEVEL");
        assert_eq!((Origin::Default.to_string(), Origin::Set.to_string()), ("default".into(), "--set".into()));
    }
}
