//! How `ginkgoctl` prints what a daemon answered: the tree of `status`, the settings of
//! `settings`. Only what the reply holds is shown, so a field an older daemon leaves out is
//! simply not printed.

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// The tree, one service a line, indented two spaces a level: name, state, time in it, in
/// parentheses its tasks, restarts (once it has been restarted) and gauges, then its last
/// failure, if it ever failed.
///
/// ```text
/// Observed ready for 12s (1 task, connections 3)
///   Steady ready for 12s (2 tasks, queue 7)
///   Broken failed for 11s (0 tasks)
/// ```
pub(crate) fn tree_lines(reply: &Map<String, Value>) -> Vec<String> {
    let services = reply.get("services").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut lines: Vec<String> = services.iter().map(service_line).collect();
    let omitted = reply.get("omitted").and_then(Value::as_u64).unwrap_or(0);
    if omitted > 0 {
        let total = reply.get("total").and_then(Value::as_u64).unwrap_or(0);
        lines.push(format!("({omitted} more services not shown, {total} in all)"));
    }
    lines
}

fn service_line(service: &Value) -> String {
    let text = |key: &str| service.get(key).and_then(Value::as_str).unwrap_or("?");
    let number = |key: &str| service.get(key).and_then(Value::as_u64);
    let depth = number("depth").unwrap_or(0) as usize;
    let mut line = format!("{:indent$}{} {}", "", text("name"), text("state"), indent = depth * 2);
    if let Some(seconds) = number("seconds_in_state") {
        let _ = write!(line, " for {}", span(seconds));
    }
    let mut details = Vec::new();
    if let Some(tasks) = number("tasks") {
        details.push(counted(tasks, "task"));
    }
    if let Some(restarts) = number("restarts").filter(|restarts| *restarts > 0) {
        details.push(counted(restarts, "restart"));
    }
    if let Some(gauges) = service.get("gauges").and_then(Value::as_object) {
        details.extend(gauges.iter().map(|(name, value)| format!("{name} {value}")));
    }
    if let Some(omitted) = number("gauges_omitted") {
        details.push(format!("{omitted} more gauges"));
    }
    if !details.is_empty() {
        let _ = write!(line, " ({})", details.join(", "));
    }
    if let Some(error) = service.pointer("/last_failure/error").and_then(Value::as_str) {
        let _ = write!(line, "; last failure: {error}");
    }
    line
}

fn counted(count: u64, what: &str) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {what}{plural}")
}

/// A time in a state, to the second, in its two largest units: `42s`, `5m 3s`, `2h 0m`, `3d 4h`.
pub(crate) fn span(seconds: u64) -> String {
    let (days, hours, minutes, seconds) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, _) => format!("{minutes}m {seconds}s"),
        (0, _, _) => format!("{hours}h {minutes}m"),
        _ => format!("{days}d {hours}h"),
    }
}

/// The settings, one a line, like a config file: `name = value  # where it came from`; names
/// aligned, a secret one's value `(secret)`.
pub(crate) fn settings_lines(reply: &Map<String, Value>) -> Vec<String> {
    let settings = reply.get("settings").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let name = |setting: &Value| setting.get("name").and_then(Value::as_str).unwrap_or("?").to_string();
    let width = settings.iter().map(|setting| name(setting).len()).max().unwrap_or(0);
    settings
        .iter()
        .map(|setting| {
            let value = match (setting.get("secret"), setting.get("value")) {
                (Some(Value::Bool(true)), _) => ginkgo::config::SECRET.to_string(),
                (_, None | Some(Value::Null)) => "none".to_string(),
                (_, Some(value)) => value.to_string(),
            };
            format!("{:<width$} = {value}  # {}", name(setting), origins(setting, &name(setting)))
        })
        .collect()
}

/// `default`, `/etc/app.toml:3`; for a table whose keys came from several places, each key's.
fn origins(setting: &Value, name: &str) -> String {
    let origins = setting.get("origins").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let from = |origin: &Value| origin.get("from").and_then(Value::as_str).unwrap_or("?").to_string();
    match origins {
        [one] if one.get("key").and_then(Value::as_str) == Some(name) => from(one),
        several => several
            .iter()
            .map(|origin| format!("{}: {}", origin.get("key").and_then(Value::as_str).unwrap_or("?"), from(origin)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn the_tree_is_indented_by_depth_and_shows_what_the_reply_has() {
        let reply = fields(json!({"services": [
            {"path": "A", "name": "A", "depth": 0, "state": "ready", "seconds_in_state": 3725, "tasks": 1, "gauges": {"connections": 3}},
            {"path": "A/B", "name": "B", "depth": 1, "state": "failed", "seconds_in_state": 0, "tasks": 0, "gauges": {}, "restarts": 2,
             "last_failure": {"error": "A/B: task failed: connection reset", "at": 1764500000.5}},
            {"path": "A/B/C", "name": "C", "depth": 2, "state": "starting", "seconds_in_state": 61, "tasks": 2, "gauges": {}, "restarts": 0},
        ], "total": 5, "omitted": 2}));
        assert_eq!(
            tree_lines(&reply),
            [
                "A ready for 1h 2m (1 task, connections 3)",
                "  B failed for 0s (0 tasks, 2 restarts); last failure: A/B: task failed: connection reset",
                "    C starting for 1m 1s (2 tasks)",
                "(2 more services not shown, 5 in all)",
            ]
        );
        assert_eq!((span(59), span(86_400 * 2 + 3600 * 5 + 7)), ("59s".to_string(), "2d 5h".to_string()));
    }

    #[test]
    fn settings_read_like_a_config_file_with_where_each_came_from() {
        let reply = fields(json!({"settings": [
            {"name": "loglevel", "value": "debug", "origins": [{"key": "loglevel", "from": "/etc/app.toml:3"}]},
            {"name": "db.password", "value": null, "secret": true, "origins": [{"key": "db.password", "from": "environment variable APP_DB__PASSWORD"}]},
            {"name": "rundir", "value": null, "origins": [{"key": "rundir", "from": "default"}]},
            {"name": "logconfig", "value": {"level": "warn"}, "origins": [
                {"key": "logconfig.level", "from": "--set"}, {"key": "logconfig.outputs", "from": "/etc/app.toml:9"}
            ]},
        ]}));
        assert_eq!(
            settings_lines(&reply),
            [
                "loglevel    = \"debug\"  # /etc/app.toml:3",
                "db.password = (secret)  # environment variable APP_DB__PASSWORD",
                "rundir      = none  # default",
                "logconfig   = {\"level\":\"warn\"}  # logconfig.level: --set; logconfig.outputs: /etc/app.toml:9",
            ]
        );
    }
}
