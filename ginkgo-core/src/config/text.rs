//! Values given as text, by the environment (`GINKGO_…`) and by `--set`: kept as written, for
//! each setting's type to read ([`read`](super::read)), never guessed into a number or a bool.
//!
//! Text has one syntax of its own, for settings whose type asks for a list or a table:
//! `[a, b, "c, d"]` and `{level = "warn", outputs = [app.log]}`. Its leaves stay text too.

use figment::value::{Dict, Tag, Value};
use figment::{Metadata, Profile, Provider};

use super::ConfigError;
use super::source::insert_dotted;

/// The longest text one environment variable or one `--set` may give, in bytes.
pub const MAX_TEXT_SIZE: usize = 64 * 1024;

/// How deeply lists and tables may nest inside one text.
const MAX_DEPTH: usize = 32;

/// The values one source gives as text, ready to merge over the file's: the environment's
/// `GINKGO_…` variables, or the `--set` pairs.
pub(crate) struct Texts {
    /// The source's name, which errors show: `environment` or `--set`.
    source: &'static str,
    values: Dict,
}

impl Texts {
    /// Every variable that starts with `prefix` ([`ENV_PREFIX`](super::ENV_PREFIX) unless the
    /// application chose another): `GINKGO_WEB__ADDRESS` sets `web.address`. A value that is
    /// not UTF-8 or longer than [`MAX_TEXT_SIZE`] is an error.
    pub(crate) fn from_environment(prefix: &str) -> Result<Texts, ConfigError> {
        let mut values = Dict::new();
        for (name, value) in std::env::vars_os() {
            let Some(key) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else { continue };
            if key.is_empty() {
                continue;
            }
            let source = format!("environment variable {}", name.to_string_lossy());
            let text = value.into_string().map_err(|_| ConfigError::new(format!("{source}: not valid UTF-8")))?;
            let key = key.to_lowercase().replace("__", ".");
            insert_dotted(&mut values, &key, Value::from(intake(&text, &source)?));
        }
        Ok(Texts { source: "environment", values })
    }

    /// The `--set` pairs, each text no longer than [`MAX_TEXT_SIZE`].
    pub(crate) fn from_pairs(pairs: &[(String, String)]) -> Result<Texts, ConfigError> {
        let mut values = Dict::new();
        for (key, text) in pairs {
            insert_dotted(&mut values, key, Value::from(intake(text, &format!("--set {key}"))?));
        }
        Ok(Texts { source: "--set", values })
    }

    pub(crate) fn values(&self) -> &Dict {
        &self.values
    }
}

impl Provider for Texts {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.source)
    }

    fn data(&self) -> Result<figment::value::Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.values.clone()))
    }
}

/// A text as the setting's type will read it: not too long, and without the quotes around it
/// if the whole text is one quoted string (`"077"` is `077`, as in a file).
fn intake(text: &str, source: &str) -> Result<String, ConfigError> {
    if text.len() > MAX_TEXT_SIZE {
        return Err(ConfigError::new(format!("{source}: value longer than {MAX_TEXT_SIZE} bytes")));
    }
    let mut parser = Parser { text, at: 0, tag: Tag::Default };
    parser.skip_spaces();
    if matches!(parser.peek(), Some('"' | '\'')) {
        if let Ok(unquoted) = parser.quoted() {
            parser.skip_spaces();
            if parser.at == text.len() {
                return Ok(unquoted);
            }
        }
    }
    Ok(text.to_string())
}

/// What a text was expected to hold.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    List,
    Table,
}

/// Reads `text` as a list (`[a, b]`) or a table (`{k = v}`), its leaves as strings tagged
/// `tag`. `None` when the text does not even start like one; otherwise the value, or why
/// it is malformed.
pub(crate) fn parse(text: &str, shape: Shape, tag: Tag) -> Option<Result<Value, String>> {
    let mut parser = Parser { text, at: 0, tag };
    parser.skip_spaces();
    let open = match shape {
        Shape::List => '[',
        Shape::Table => '{',
    };
    if parser.peek() != Some(open) {
        return None;
    }
    let parsed = parser.value(0).and_then(|value| {
        parser.skip_spaces();
        match parser.peek() {
            None => Ok(value),
            Some(c) => Err(format!("unexpected `{c}` after the closing bracket")),
        }
    });
    Some(parsed)
}

struct Parser<'t> {
    text: &'t str,
    /// Byte offset of the next character.
    at: usize,
    tag: Tag,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        Some(c)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth >= MAX_DEPTH {
            return Err(format!("lists and tables nested deeper than {MAX_DEPTH}"));
        }
        self.skip_spaces();
        match self.peek() {
            Some('[') => self.list(depth),
            Some('{') => self.table(depth),
            Some('"' | '\'') => Ok(Value::String(self.tag, self.quoted()?)),
            _ => Ok(Value::String(self.tag, self.bare(&[',', ']', '}']).to_string())),
        }
    }

    fn list(&mut self, depth: usize) -> Result<Value, String> {
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip_spaces();
            if self.peek() == Some(']') {
                self.bump();
                return Ok(Value::Array(self.tag, items));
            }
            items.push(self.value(depth + 1)?);
            if self.closed_after_item('[', ']')? {
                return Ok(Value::Array(self.tag, items));
            }
        }
    }

    /// After an item: `,` (more may follow) or the closing bracket (true).
    fn closed_after_item(&mut self, open: char, close: char) -> Result<bool, String> {
        self.skip_spaces();
        match self.bump() {
            Some(',') => Ok(false),
            Some(c) if c == close => Ok(true),
            Some(c) => Err(format!("expected `,` or `{close}`, found `{c}`")),
            None => Err(format!("unclosed `{open}`")),
        }
    }

    fn table(&mut self, depth: usize) -> Result<Value, String> {
        self.bump();
        let mut dict = Dict::new();
        loop {
            self.skip_spaces();
            match self.peek() {
                Some('}') => {
                    self.bump();
                    return Ok(Value::Dict(self.tag, dict));
                }
                None => return Err("unclosed `{`".to_string()),
                _ => {}
            }
            let key = match self.peek() {
                Some('"' | '\'') => self.quoted()?,
                _ => self.bare(&['=', ',', '}', '[', ']', '{']).to_string(),
            };
            if key.is_empty() {
                return Err("a key is missing before `=`".to_string());
            }
            self.skip_spaces();
            if self.bump() != Some('=') {
                return Err(format!("expected `=` after `{key}`"));
            }
            let value = self.value(depth + 1)?;
            if dict.insert(key.clone(), value).is_some() {
                return Err(format!("`{key}` is given twice"));
            }
            if self.closed_after_item('{', '}')? {
                return Ok(Value::Dict(self.tag, dict));
            }
        }
    }

    /// Everything up to one of `stops`, without the spaces around it.
    fn bare(&mut self, stops: &[char]) -> &str {
        let start = self.at;
        while self.peek().is_some_and(|c| !stops.contains(&c)) {
            self.bump();
        }
        self.text[start..self.at].trim()
    }

    /// A string in double quotes (with TOML's escapes) or single quotes (taken as written).
    fn quoted(&mut self) -> Result<String, String> {
        let quote = self.bump().unwrap_or('"');
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(format!("unclosed `{quote}`")),
                Some(c) if c == quote => return Ok(out),
                Some('\\') if quote == '"' => out.push(self.escape()?),
                Some(c) => out.push(c),
            }
        }
    }

    fn escape(&mut self) -> Result<char, String> {
        let code_point = |parser: &mut Self, digits: usize| -> Result<char, String> {
            let start = parser.at;
            for _ in 0..digits {
                parser.bump().filter(char::is_ascii_hexdigit).ok_or("a bad `\\u` escape")?;
            }
            let code = u32::from_str_radix(&parser.text[start..parser.at], 16).map_err(|_| "a bad `\\u` escape")?;
            char::from_u32(code).ok_or_else(|| format!("`\\u{code:x}` is no character"))
        };
        match self.bump() {
            Some('b') => Ok('\u{8}'),
            Some('t') => Ok('\t'),
            Some('n') => Ok('\n'),
            Some('f') => Ok('\u{c}'),
            Some('r') => Ok('\r'),
            Some('e') => Ok('\u{1b}'),
            Some('"') => Ok('"'),
            Some('\\') => Ok('\\'),
            Some('u') => code_point(self, 4),
            Some('U') => code_point(self, 8),
            Some(c) => Err(format!("unknown escape `\\{c}`")),
            None => Err("unclosed `\"`".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(value: &Value) -> String {
        super::super::help::render_value(value)
    }

    #[test]
    fn a_text_in_quotes_means_what_is_inside() {
        assert_eq!(intake("\"077\"", "t").unwrap(), "077");
        assert_eq!(intake(" 'C:\\x' ", "t").unwrap(), "C:\\x");
        assert_eq!(intake("\"a\\tb\"", "t").unwrap(), "a\tb");
        // Not one quoted string: taken as written.
        assert_eq!(intake("\"a\" and \"b\"", "t").unwrap(), "\"a\" and \"b\"");
        assert_eq!(intake("077", "t").unwrap(), "077");
        let long = "x".repeat(MAX_TEXT_SIZE + 1);
        assert_eq!(intake(&long, "--set k").unwrap_err().to_string(), "--set k: value longer than 65536 bytes");
    }

    #[test]
    fn lists_and_tables_keep_their_leaves_as_text() {
        let list = parse("[a:1, \"b, c\", 077, [x]]", Shape::List, Tag::Default).unwrap().unwrap();
        assert_eq!(strings(&list), "[a:1, b, c, 077, [x]]");
        let Value::Array(_, items) = &list else { panic!("a list") };
        assert_eq!(items[2], Value::from("077"));
        let table = parse("{ level = warn, outputs = [a.log, stderr] }", Shape::Table, Tag::Default).unwrap().unwrap();
        assert_eq!(strings(&table), "{level = warn, outputs = [a.log, stderr]}");
        assert_eq!(strings(&parse("[]", Shape::List, Tag::Default).unwrap().unwrap()), "[]");
        assert!(parse("a, b", Shape::List, Tag::Default).is_none());
    }

    #[test]
    fn malformed_lists_and_tables_say_why() {
        let error = |text: &str, shape| parse(text, shape, Tag::Default).unwrap().unwrap_err();
        assert_eq!(error("[a, b", Shape::List), "unclosed `[`");
        assert_eq!(error("[a] x", Shape::List), "unexpected `x` after the closing bracket");
        assert_eq!(error("{a = 1, a = 2}", Shape::Table), "`a` is given twice");
        assert_eq!(error("{= 1}", Shape::Table), "a key is missing before `=`");
        assert_eq!(error("{a}", Shape::Table), "expected `=` after `a`");
        assert_eq!(error("[\"\\q\"]", Shape::List), "unknown escape `\\q`");
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(error(&deep, Shape::List), "lists and tables nested deeper than 32");
    }
}
