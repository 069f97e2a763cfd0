//! The control protocol: one JSON object per line each way. Parsing a request and answering it
//! never panic; whatever is wrong with a request becomes an error reply.
//!
//! A new request is a variant of [`Request`], a line in [`parse`] that takes its fields, and an
//! arm in [`Answers::answer`].

use serde_json::{Map, Value, json};

use crate::requests::Inbox;

/// A request the daemon understands.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// Reload configuration, logging and the tree, and say how it went.
    Reload,
}

/// The names [`parse`] knows, for the error that answers an unknown one.
const KNOWN: &str = "reload";

/// A request that cannot be answered: its name when it had one, and why.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) request: Option<String>,
    pub(crate) error: String,
}

impl Refusal {
    fn new(request: Option<&str>, error: impl Into<String>) -> Refusal {
        Refusal { request: request.map(String::from), error: error.into() }
    }
}

/// Reads one request line (without its newline).
pub(crate) fn parse(line: &[u8]) -> Result<Request, Refusal> {
    let text = std::str::from_utf8(line).map_err(|_| Refusal::new(None, "a request is one line of UTF-8 JSON"))?;
    let value: Value =
        serde_json::from_str(text).map_err(|err| Refusal::new(None, format!("not a JSON request: {err}")))?;
    let not_a_request = || Refusal::new(None, "a request is a JSON object with a `request` field");
    let Value::Object(mut fields) = value else { return Err(not_a_request()) };
    let Some(Value::String(name)) = fields.remove("request") else { return Err(not_a_request()) };
    let request = match name.as_str() {
        "reload" => Request::Reload,
        _ => return Err(Refusal::new(Some(&name), format!("unknown request `{name}`; this daemon answers: {KNOWN}"))),
    };
    // Each arm above takes the fields it knows; anything left is a mistake worth naming.
    if let Some(field) = fields.keys().next() {
        return Err(Refusal::new(Some(&name), format!("request `{name}` takes no field `{field}`")));
    }
    Ok(request)
}

/// What a request can reach in the daemon.
pub(crate) struct Answers {
    pub(crate) pid: u32,
    pub(crate) inbox: Inbox,
}

impl Answers {
    /// The reply line (without its newline) to one request line. Blocks the calling connection
    /// (and only it) as long as the answer takes: a reload's, until the reload is done.
    pub(crate) fn answer_line(&self, line: &[u8]) -> String {
        match parse(line) {
            Ok(request) => self.answer(request),
            Err(refusal) => self.refuse(refusal),
        }
    }

    fn answer(&self, request: Request) -> String {
        match request {
            Request::Reload => match self.inbox.ask_reload().recv() {
                Ok(Ok(warnings)) => self.reply("reload", json!({ "warnings": warnings })),
                Ok(Err(reason)) => self.refuse(Refusal::new(Some("reload"), reason)),
                Err(_) => self.refuse(Refusal::new(Some("reload"), "not reloaded: the daemon is stopping")),
            },
        }
    }

    /// A success: `{"ok": true, "request": …, "pid": …}` and `fields`.
    fn reply(&self, request: &str, fields: Value) -> String {
        let mut reply = Map::new();
        reply.insert("ok".into(), Value::Bool(true));
        reply.insert("request".into(), request.into());
        reply.insert("pid".into(), self.pid.into());
        if let Value::Object(fields) = fields {
            reply.extend(fields);
        }
        Value::Object(reply).to_string()
    }

    /// A refusal: `{"ok": false, "request": …, "pid": …, "error": …}`.
    pub(crate) fn refuse(&self, refusal: Refusal) -> String {
        let mut reply = Map::new();
        reply.insert("ok".into(), Value::Bool(false));
        if let Some(request) = refusal.request {
            reply.insert("request".into(), request.into());
        }
        reply.insert("pid".into(), self.pid.into());
        reply.insert("error".into(), refusal.error.into());
        Value::Object(reply).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_and_every_mistake_is_named() {
        assert_eq!(parse(br#"{"request": "reload"}"#), Ok(Request::Reload));
        let error = |line: &[u8]| parse(line).unwrap_err().error;
        assert_eq!(error(b"\xff"), "a request is one line of UTF-8 JSON");
        assert_eq!(error(b"nope"), "not a JSON request: expected ident at line 1 column 2");
        assert_eq!(error(b"[]"), "a request is a JSON object with a `request` field");
        assert_eq!(error(br#"{"request": 1}"#), "a request is a JSON object with a `request` field");
        assert_eq!(error(br#"{"request": "dance"}"#), "unknown request `dance`; this daemon answers: reload");
        assert_eq!(
            parse(br#"{"request": "reload", "now": 1}"#).unwrap_err(),
            Refusal::new(Some("reload"), "request `reload` takes no field `now`")
        );
    }

    #[test]
    fn a_reload_is_answered_with_its_outcome() {
        let answers = Answers { pid: 42, inbox: Inbox::new() };
        let inbox = answers.inbox.clone();
        let serve_loop = std::thread::spawn(move || {
            while inbox.try_take().is_none() {
                std::thread::yield_now();
            }
            crate::requests::answer(inbox.take_reload_waiters(), &Ok(vec!["setting `user` changed".into()]));
        });
        let reply: Value = serde_json::from_str(&answers.answer_line(br#"{"request":"reload"}"#)).unwrap();
        serve_loop.join().unwrap();
        assert_eq!(reply, json!({"ok": true, "request": "reload", "pid": 42, "warnings": ["setting `user` changed"]}));
        let refused: Value = serde_json::from_str(&answers.answer_line(b"{")).unwrap();
        assert_eq!(refused["ok"], false);
        assert_eq!(refused["pid"], 42);
        assert!(refused["error"].as_str().unwrap().starts_with("not a JSON request: "), "{refused}");
    }
}
