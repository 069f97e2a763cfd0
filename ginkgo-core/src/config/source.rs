//! Reading a config file into a dictionary, with errors that say where.

use std::io::Read;
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

/// The largest config file read, in bytes. A real one is a few kilobytes; this is a thousand
/// times that, and bounds what a file can cost to load (its parsed values take some twenty
/// times its size in memory).
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

impl ConfigFile {
    /// Reads and parses `path`; a syntax error names the file, line and column. A file that is
    /// no regular file, or larger than [`MAX_FILE_SIZE`], is refused before it is read.
    pub(crate) fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        let format = Format::of(path)?;
        let text = read_bounded(path)?;
        let values = match format {
            Format::Toml => {
                let table = toml::de::DeTable::parse(&text).map_err(|err| {
                    let at = err.span().map(|span| line_col(&text, span.start)).unwrap_or((1, 1));
                    let message = err.message().trim_end().replace('\n', " ");
                    ConfigError::new(format!("{}:{}:{}: syntax error: {message}", path.display(), at.0, at.1))
                })?;
                toml_table(table.get_ref())
            }
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

/// The text of the file at `path`, if it is a regular file within the size limit; never more
/// than the limit is read, even from a file that grows meanwhile.
fn read_bounded(path: &Path) -> Result<String, ConfigError> {
    let shown = path.display();
    let cannot_read =
        |err: std::io::Error| ConfigError::new(format!("{shown}: cannot read config file")).with_source(err);
    let meta = std::fs::metadata(path).map_err(cannot_read)?;
    if meta.is_dir() {
        return Err(ConfigError::new(format!("{shown}: is a directory, not a config file")));
    }
    if !meta.is_file() {
        return Err(ConfigError::new(format!("{shown}: not a regular file")));
    }
    let too_large =
        || ConfigError::new(format!("{shown}: config file larger than the limit of {} MiB", MAX_FILE_SIZE >> 20));
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes))
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|err| {
        let at = err.utf8_error().valid_up_to();
        ConfigError::new(format!("{shown}: not UTF-8 text (byte {at} is not)"))
    })
}

/// A parsed TOML table as configuration values. An integer written in hexadecimal, octal or
/// binary keeps its text (`0o027`), so that a setting whose type reads digits in a base of its
/// own (a umask) sees what was written; other types read it as the number it is.
fn toml_table(table: &toml::de::DeTable<'_>) -> Dict {
    table.iter().map(|(key, value)| (key.get_ref().to_string(), toml_value(value.get_ref()))).collect()
}

fn toml_value(value: &toml::de::DeValue<'_>) -> Value {
    use toml::de::DeValue;
    match value {
        DeValue::String(text) => Value::from(text.to_string()),
        DeValue::Integer(integer) => match (integer.radix(), integer.as_str().parse::<i64>()) {
            (10, Ok(number)) => Value::from(number),
            _ => Value::from(integer.to_string()),
        },
        DeValue::Float(float) => match float.as_str().parse::<f64>() {
            Ok(number) => Value::from(number),
            Err(_) => Value::from(float.to_string()),
        },
        DeValue::Boolean(truth) => Value::from(*truth),
        DeValue::Datetime(datetime) => Value::from(datetime.to_string()),
        DeValue::Array(items) => Value::from(items.iter().map(|item| toml_value(item.get_ref())).collect::<Vec<_>>()),
        DeValue::Table(table) => Value::from(toml_table(table)),
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
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
