//! One log line, from a record: as text (a template, coloured on a terminal) or as JSON (one
//! object, written by serde_json, so that no message can break the line or the syntax).

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Local};
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;
use tracing_core::Level;

/// The text template after the original runner's: `2012-04-28 17:21:32,608    INFO service: …`.
pub(crate) const DEFAULT_TEMPLATE: &str = "{time} {level} {module}: {message}";

/// A record: a `log` record or a `tracing` event, with the spans it happened in.
pub(crate) struct Entry {
    pub(crate) time: DateTime<Local>,
    pub(crate) level: Level,
    pub(crate) target: String,
    pub(crate) message: String,
    /// The event's own fields, in the order they were written.
    pub(crate) fields: Fields,
    /// The spans the event happened in, outermost first.
    pub(crate) spans: Vec<Span>,
}

/// A span: its name and fields.
pub(crate) struct Span {
    pub(crate) name: &'static str,
    pub(crate) fields: Fields,
}

/// Fields by name, in order.
pub(crate) type Fields = Vec<(&'static str, FieldValue)>;

/// A field's value, keeping its type for JSON.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FieldValue {
    Str(String),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    /// Written with `{:?}` (or `%` for `Display`) by the code that logged it.
    Shown(String),
}

impl FieldValue {
    fn json(&self) -> Value {
        match self {
            FieldValue::Str(text) | FieldValue::Shown(text) => Value::from(text.as_str()),
            FieldValue::I64(number) => Value::from(*number),
            FieldValue::U64(number) => Value::from(*number),
            // NaN and the infinities are no JSON numbers: serde_json makes them null.
            FieldValue::F64(number) => Value::from(*number),
            FieldValue::Bool(value) => Value::from(*value),
        }
    }

    /// As `tracing`'s own text output shows it: strings quoted, the rest as written.
    fn text(&self, out: &mut String) {
        let _ = match self {
            FieldValue::Str(text) => write!(out, "{text:?}"),
            FieldValue::Shown(text) => write!(out, "{text}"),
            FieldValue::I64(number) => write!(out, "{number}"),
            FieldValue::U64(number) => write!(out, "{number}"),
            FieldValue::F64(number) => write!(out, "{number}"),
            FieldValue::Bool(value) => write!(out, "{value}"),
        };
    }
}

/// How the lines of one output look.
#[derive(Clone)]
pub(crate) enum LineFormat {
    /// `template`'s `{time}`, `{level}`, `{module}`, `{target}` and `{message}` filled in; the
    /// level coloured if `colour`.
    Text { template: Arc<str>, colour: bool },
    /// One JSON object a line.
    Json,
}

impl LineFormat {
    /// The line for `entry`, without its newline.
    pub(crate) fn render(&self, entry: &Entry) -> String {
        match self {
            LineFormat::Text { template, colour } => text(template, *colour, entry),
            LineFormat::Json => json(entry),
        }
    }
}

fn text(template: &str, colour: bool, entry: &Entry) -> String {
    let target = entry.target.as_str();
    let module = target.rsplit("::").next().unwrap_or(target);
    let time = entry.time.format("%Y-%m-%d %H:%M:%S,%3f").to_string();
    let level = format!("{:>7}", entry.level.as_str());
    let level = match colour {
        true => format!("\x1b[{}m{level}\x1b[0m", colour_of(entry.level)),
        false => level,
    };
    template
        .replace("{time}", &time)
        .replace("{level}", &level)
        .replace("{module}", module)
        .replace("{target}", target)
        .replace("{message}", &text_message(entry))
}

/// env_logger's colours: error red, warn yellow, info green, debug blue, trace cyan.
fn colour_of(level: Level) -> u8 {
    match level {
        Level::ERROR => 31,
        Level::WARN => 33,
        Level::INFO => 32,
        Level::DEBUG => 34,
        Level::TRACE => 36,
    }
}

/// `request{method=GET}:conn: message key=value`, as `tracing`'s own text output writes it.
fn text_message(entry: &Entry) -> String {
    let mut out = String::new();
    for span in &entry.spans {
        out.push_str(span.name);
        if !span.fields.is_empty() {
            out.push('{');
            text_fields(&span.fields, &mut out);
            out.push('}');
        }
        out.push(':');
    }
    if !entry.spans.is_empty() {
        out.push(' ');
    }
    out.push_str(&entry.message);
    if !entry.fields.is_empty() {
        out.push(' ');
        text_fields(&entry.fields, &mut out);
    }
    out
}

fn text_fields(fields: &Fields, out: &mut String) {
    for (at, (name, value)) in fields.iter().enumerate() {
        if at > 0 {
            out.push(' ');
        }
        out.push_str(name);
        out.push('=');
        value.text(out);
    }
}

fn json(entry: &Entry) -> String {
    let line = JsonLine {
        timestamp: entry.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        level: entry.level.as_str(),
        target: &entry.target,
        message: &entry.message,
        fields: JsonFields(&entry.fields),
        spans: entry.spans.iter().map(|span| JsonSpan { name: span.name, fields: JsonFields(&span.fields) }).collect(),
        service: service_of(entry),
    };
    // Strings, numbers and maps of them always serialize.
    serde_json::to_string(&line).unwrap_or_default()
}

/// A JSON line, its keys in this order.
#[derive(Serialize)]
struct JsonLine<'a> {
    timestamp: String,
    level: &'static str,
    target: &'a str,
    message: &'a str,
    fields: JsonFields<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    spans: Vec<JsonSpan<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<String>,
}

#[derive(Serialize)]
struct JsonSpan<'a> {
    name: &'static str,
    fields: JsonFields<'a>,
}

/// Fields as a JSON object, in the order they were written.
struct JsonFields<'a>(&'a Fields);

impl Serialize for JsonFields<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, &value.json())?;
        }
        map.end()
    }
}

/// The path of the service the record is about, where it is known: a `service` field of the
/// event or of the innermost span that has one; else, for the framework's own records (which
/// begin with it, `Greeter/StreamServer: listening on …`), the path its message begins with.
pub(crate) fn service_of(entry: &Entry) -> Option<String> {
    let named = |fields: &Fields| {
        fields.iter().find(|(name, _)| *name == "service").map(|(_, value)| match value {
            FieldValue::Str(text) | FieldValue::Shown(text) => text.clone(),
            other => {
                let mut text = String::new();
                other.text(&mut text);
                text
            }
        })
    };
    if let Some(service) = named(&entry.fields).or_else(|| entry.spans.iter().rev().find_map(|s| named(&s.fields))) {
        return Some(service);
    }
    let crate_name = entry.target.split("::").next().unwrap_or_default();
    // The configuration's records name a source, not a service.
    if !FRAMEWORK_CRATES.contains(&crate_name) || entry.target.split("::").any(|part| part == "config") {
        return None;
    }
    let (path, _) = entry.message.split_once(": ")?;
    let is_path = !path.is_empty()
        && path.split('/').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    is_path.then(|| path.to_string())
}

/// The crates whose records name their service by its path at the start of the message.
const FRAMEWORK_CRATES: [&str; 5] = ["ginkgo", "ginkgo_core", "ginkgo_tokio", "ginkgo_asyncstd", "ginkgo_threads"];

/// A line of what a daemon wrote to its standard output or error, as a JSON record.
pub(crate) fn json_stdio_line(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let entry = Entry {
        time: Local::now(),
        level: Level::INFO,
        target: "stdio".into(),
        message: text.trim_end_matches(['\n', '\r']).to_string(),
        fields: Vec::new(),
        spans: Vec::new(),
    };
    json(&entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(target: &str, message: &str) -> Entry {
        Entry {
            time: Local::now(),
            level: Level::INFO,
            target: target.into(),
            message: message.into(),
            fields: Vec::new(),
            spans: Vec::new(),
        }
    }

    fn plain(template: &str) -> LineFormat {
        LineFormat::Text { template: template.into(), colour: false }
    }

    #[test]
    fn the_default_line_looks_like_the_original() {
        let line = plain(DEFAULT_TEMPLATE).render(&entry("ginkgo_examples::service", "Starting up!"));
        let (time, rest) = line.split_at(23);
        assert_eq!(rest, "    INFO service: Starting up!");
        assert_eq!(time.as_bytes()[19], b',');
        assert!(time[..19].chars().all(|c| c.is_ascii_digit() || "- :".contains(c)), "{time}");
    }

    #[test]
    fn spans_and_fields_are_written_as_tracing_writes_them() {
        let mut record = entry("app", "greeted");
        record.fields = vec![("peer", FieldValue::Shown("127.0.0.1:5".into())), ("n", FieldValue::U64(3))];
        record.spans = vec![
            Span { name: "conn", fields: vec![("id", FieldValue::I64(-1)), ("who", FieldValue::Str("a b".into()))] },
            Span { name: "inner", fields: Vec::new() },
        ];
        assert_eq!(plain("{message}").render(&record), "conn{id=-1 who=\"a b\"}:inner: greeted peer=127.0.0.1:5 n=3");
    }

    #[test]
    fn colour_is_on_the_level_only() {
        let format = LineFormat::Text { template: "{level} {message}".into(), colour: true };
        let mut record = entry("app", "x");
        record.level = Level::WARN;
        assert_eq!(format.render(&record), "\x1b[33m   WARN\x1b[0m x");
    }

    #[test]
    fn json_is_one_parsable_line_whatever_the_message() {
        let hostile =
            "quote \" backslash \\ newline \n return \r tab \t nul \0 escape \x1b bell \x07 \u{fffd} {\"a\":1}";
        let mut record = entry("ginkgo_core::net::listen", &format!("Greeter/StreamServer: {hostile}"));
        record.fields = vec![("n", FieldValue::F64(f64::NAN)), ("ok", FieldValue::Bool(true))];
        record.spans = vec![Span { name: "req", fields: vec![("path", FieldValue::Str(hostile.into()))] }];
        let line = LineFormat::Json.render(&record);
        assert!(!line.contains('\n'), "{line}");
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["message"], format!("Greeter/StreamServer: {hostile}"));
        assert_eq!(parsed["level"], "INFO");
        assert_eq!(parsed["target"], "ginkgo_core::net::listen");
        assert_eq!(parsed["fields"]["n"], Value::Null);
        assert_eq!(parsed["fields"]["ok"], true);
        assert_eq!(parsed["spans"][0]["fields"]["path"], hostile);
        assert_eq!(parsed["service"], "Greeter/StreamServer");
        assert!(DateTime::parse_from_rfc3339(parsed["timestamp"].as_str().unwrap()).is_ok(), "{line}");
        let line = json_stdio_line(b"caf\xe9 \"x\"\n");
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!((parsed["message"].as_str(), parsed["target"].as_str()), (Some("caf\u{fffd} \"x\""), Some("stdio")));
    }

    #[test]
    fn the_service_is_a_field_a_span_s_field_or_a_framework_record_s_path() {
        let mut record = entry("app", "Not/A: path, not the framework's");
        assert_eq!(service_of(&record), None);
        record.spans = vec![Span { name: "s", fields: vec![("service", FieldValue::Str("Outer".into()))] }];
        assert_eq!(service_of(&record).as_deref(), Some("Outer"));
        record.fields = vec![("service", FieldValue::Shown("Own".into()))];
        assert_eq!(service_of(&record).as_deref(), Some("Own"));
        assert_eq!(service_of(&entry("ginkgo_core::lifecycle", "App/Db: ready")).as_deref(), Some("App/Db"));
        assert_eq!(service_of(&entry("ginkgo_core::lifecycle", "a setting's default: x")), None);
        assert_eq!(service_of(&entry("ginkgo_core::config::config", "environment: unknown")), None);
        assert_eq!(service_of(&entry("ginkgo_core::config", "environment: unknown")), None);
    }
}
