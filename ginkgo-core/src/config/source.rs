//! Reading a config file into a dictionary, with errors that say where.

use std::path::{Path, PathBuf};

use figment::value::{Dict, Value};
use figment::{Metadata, Profile, Provider, Source};

use super::ConfigError;

/// A config file, parsed: its values and its text (to find lines in later errors).
#[derive(Clone)]
pub(crate) struct ConfigFile {
    pub(crate) path: PathBuf,
    pub(crate) text: String,
    pub(crate) values: Dict,
}

/// The formats a config file may have, by extension.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Toml,
    Json,
}

impl Format {
    pub(crate) fn of(path: &Path) -> Result<Format, ConfigError> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Ok(Format::Toml),
            Some("json") => Ok(Format::Json),
            _ => Err(ConfigError::new(format!(
                "{}: unsupported config file format (use .toml or .json)",
                path.display()
            ))),
        }
    }
}

impl ConfigFile {
    /// Reads and parses `path`; a syntax error names the file, line and column.
    pub(crate) fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        let format = Format::of(path)?;
        let text = std::fs::read_to_string(path)
            .map_err(|err| ConfigError::new(format!("{}: cannot read config file", path.display())).with_source(err))?;
        let values = match format {
            Format::Toml => toml::from_str::<Dict>(&text).map_err(|err| {
                let at = err.span().map(|span| line_col(&text, span.start)).unwrap_or((1, 1));
                let message = err.message().trim_end().to_string();
                ConfigError::new(format!("{}:{}:{}: syntax error: {message}", path.display(), at.0, at.1))
            })?,
            Format::Json => serde_json::from_str::<Dict>(&text).map_err(|err| {
                let message = err.to_string();
                let message = message.split(" at line ").next().unwrap_or(&message).to_string();
                ConfigError::new(format!("{}:{}:{}: syntax error: {message}", path.display(), err.line(), err.column()))
            })?,
        };
        Ok(ConfigFile { path: path.to_path_buf(), text, values })
    }

    /// The line of the value at dotted `key`, when the format keeps positions (TOML does).
    pub(crate) fn line_of(&self, key: &[String]) -> Option<usize> {
        if Format::of(&self.path).ok()? != Format::Toml {
            return None;
        }
        let table = toml::de::DeTable::parse(&self.text).ok()?;
        let mut table = table.get_ref();
        let (last, parents) = key.split_last()?;
        for part in parents {
            let value = table.get(part.as_str())?;
            match value.get_ref() {
                toml::de::DeValue::Table(inner) => table = inner,
                _ => return Some(line_col(&self.text, value.span().start).0),
            }
        }
        let value = table.get(last.as_str())?;
        Some(line_col(&self.text, value.span().start).0)
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Provider for ConfigFile {
    fn metadata(&self) -> Metadata {
        Metadata::from(self.path.display().to_string(), Source::File(self.path.clone()))
    }

    fn data(&self) -> Result<figment::value::Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.values.clone()))
    }
}

/// Values given on the command line (`--set key=value`), parsed like environment values.
#[derive(Clone, Default)]
pub(crate) struct Overrides {
    pub(crate) pairs: Vec<(String, String)>,
}

impl Overrides {
    pub(crate) fn dict(&self) -> Dict {
        let mut dict = Dict::new();
        for (key, raw) in &self.pairs {
            let value: Value = raw.parse().unwrap_or_else(|_| Value::from(raw.clone()));
            insert_dotted(&mut dict, key, value);
        }
        dict
    }
}

impl Provider for Overrides {
    fn metadata(&self) -> Metadata {
        Metadata::named("--set")
    }

    fn data(&self) -> Result<figment::value::Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict()))
    }
}

/// Puts `value` at dotted `key` in `dict`, making tables on the way.
pub(crate) fn insert_dotted(dict: &mut Dict, key: &str, value: Value) {
    let mut parts = key.split('.').peekable();
    let mut at = dict;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            at.insert(part.to_string(), value);
            return;
        }
        let entry = at.entry(part.to_string()).or_insert_with(|| Value::from(Dict::new()));
        if entry.as_dict().is_none() {
            *entry = Value::from(Dict::new());
        }
        match entry {
            Value::Dict(_, inner) => at = inner,
            _ => return,
        }
    }
}

/// The dotted paths of every leaf value in `dict`.
pub(crate) fn leaf_paths(dict: &Dict) -> Vec<String> {
    fn walk(prefix: &str, dict: &Dict, out: &mut Vec<String>) {
        for (key, value) in dict {
            let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            match value {
                Value::Dict(_, inner) if !inner.is_empty() => walk(&path, inner, out),
                _ => out.push(path),
            }
        }
    }
    let mut out = Vec::new();
    walk("", dict, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("a = 1\nb = x\n", 10), (2, 5));
        assert_eq!(line_col("abc", 0), (1, 1));
    }

    #[test]
    fn dotted_keys_make_tables() {
        let mut dict = Dict::new();
        insert_dotted(&mut dict, "flask.debug", Value::from(true));
        insert_dotted(&mut dict, "flask.port", Value::from(80));
        insert_dotted(&mut dict, "top", Value::from("x"));
        let mut paths = leaf_paths(&dict);
        paths.sort();
        assert_eq!(paths, ["flask.debug", "flask.port", "top"]);
    }
}
