//! The control protocol: one JSON object per line each way. Parsing a request and answering it
//! never panic; whatever is wrong with a request becomes an error reply.
//!
//! A new request is a variant of [`Request`], a line in [`parse`] that takes its fields, and an
//! arm in [`Answers::answer`].

use std::net::SocketAddr;
use std::sync::Arc;

use ginkgo::Config;
use serde_json::{Map, Value, json};

use super::settings::settings_reply;
use crate::requests::Inbox;
use crate::tree::{Tree, status_reply};

/// A request the daemon understands.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// Reload configuration, logging and the tree, and say how it went.
    Reload,
    /// The tree: every service's state, time in it, tasks and gauges.
    Status,
    /// Log at `level` (everything, or `module` and below) until the next reload.
    LogLevel { level: String, module: Option<String> },
    /// Every setting in force, its value and where it came from.
    Settings,
    /// Start the program again from its file with the listening sockets; once it is ready,
    /// stop. Answered with the new process's PID, or why there is none.
    Upgrade,
}

/// The names [`parse`] knows, for the error that answers an unknown one.
const KNOWN: &str = "reload, status, loglevel, settings, upgrade";

/// What a `loglevel` reply says of how long the level lasts.
const UNTIL_RELOAD: &str = "until the next reload, which applies the configured levels again";

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
        "status" => Request::Status,
        "settings" => Request::Settings,
        "upgrade" => Request::Upgrade,
        "loglevel" => {
            let level = match fields.remove("level") {
                Some(Value::String(level)) => level,
                _ => return Err(Refusal::new(Some(&name), "request `loglevel` needs a `level`, a string")),
            };
            let module = match fields.remove("module") {
                None | Some(Value::Null) => None,
                Some(Value::String(module)) => Some(module),
                Some(_) => return Err(Refusal::new(Some(&name), "request `loglevel`: `module` is a string")),
            };
            Request::LogLevel { level, module }
        }
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
    pub(crate) tree: Arc<Tree>,
    /// The configuration in force, reloads included.
    pub(crate) config: Config,
    /// Where the health endpoint listens, if it does.
    pub(crate) health: Option<SocketAddr>,
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
            Request::Status => match self.tree.look() {
                Some(look) => {
                    let mut fields = status_reply(&look, self.tree.uptime());
                    if let Some(address) = self.health {
                        fields.insert("health_address".into(), address.to_string().into());
                    }
                    self.reply("status", Value::Object(fields))
                }
                None => self.refuse(Refusal::new(Some("status"), "the service tree is not built yet")),
            },
            Request::LogLevel { level, module } => {
                let refuse = |error: String| self.refuse(Refusal::new(Some("loglevel"), error));
                let Ok(level) = crate::plan::parse_level(&level) else {
                    return refuse(format!("`{level}` is not a level (trace, debug, info, warn, error, off)"));
                };
                match crate::logging::set_level_live(level, module.as_deref()) {
                    Ok(filter) => self.reply("loglevel", json!({ "filter": filter, "lasts": UNTIL_RELOAD })),
                    Err(error) => refuse(error),
                }
            }
            Request::Settings => self.reply("settings", Value::Object(settings_reply(&self.config))),
            Request::Upgrade => match self.inbox.ask_upgrade().recv() {
                Ok(Ok(new_pid)) => self.reply("upgrade", json!({ "new_pid": new_pid })),
                Ok(Err(reason)) => self.refuse(Refusal::new(Some("upgrade"), reason)),
                Err(_) => self.refuse(Refusal::new(Some("upgrade"), "not upgraded: the daemon has stopped")),
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
        assert_eq!(
            error(br#"{"request": "dance"}"#),
            "unknown request `dance`; this daemon answers: reload, status, loglevel, settings, upgrade"
        );
        assert_eq!(parse(br#"{"request": "upgrade"}"#), Ok(Request::Upgrade));
        assert_eq!(parse(br#"{"request": "status"}"#), Ok(Request::Status));
        assert_eq!(
            parse(br#"{"request": "loglevel", "level": "debug", "module": "app::db"}"#),
            Ok(Request::LogLevel { level: "debug".into(), module: Some("app::db".into()) })
        );
        assert_eq!(error(br#"{"request": "loglevel"}"#), "request `loglevel` needs a `level`, a string");
        assert_eq!(
            error(br#"{"request": "loglevel", "level": "info", "module": 1}"#),
            "request `loglevel`: `module` is a string"
        );
        assert_eq!(error(br#"{"request": "settings", "all": true}"#), "request `settings` takes no field `all`");
        assert_eq!(
            parse(br#"{"request": "reload", "now": 1}"#).unwrap_err(),
            Refusal::new(Some("reload"), "request `reload` takes no field `now`")
        );
    }

    fn answers() -> Answers {
        let config = Config::builder().env(false).load().unwrap();
        Answers { pid: 42, inbox: Inbox::new(), tree: Tree::new(), config, health: None }
    }

    #[test]
    fn status_before_the_tree_is_built_and_a_bad_level_are_refused() {
        let answers = answers();
        let reply: Value = serde_json::from_str(&answers.answer_line(br#"{"request":"status"}"#)).unwrap();
        assert_eq!(
            reply,
            json!({"ok": false, "request": "status", "pid": 42, "error": "the service tree is not built yet"})
        );
        let reply: Value =
            serde_json::from_str(&answers.answer_line(br#"{"request":"loglevel","level":"loud"}"#)).unwrap();
        assert_eq!(reply["error"], "`loud` is not a level (trace, debug, info, warn, error, off)");
    }

    #[test]
    fn a_reload_is_answered_with_its_outcome() {
        let answers = answers();
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
