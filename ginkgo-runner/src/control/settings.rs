//! The `settings` request's answer: every setting in force in the daemon, its value, and where
//! the value came from (see [`ginkgo::config::Origin`]). A setting declared secret is named, and
//! its origin given, but its value is not.

use ginkgo::Config;
use ginkgo::config::{Declared, Origin, all_settings};
use serde_json::{Map, Value, json};

/// The fields of a `settings` reply: `settings`, a list, by name.
pub(crate) fn settings_reply(config: &Config) -> Map<String, Value> {
    let mut all: Vec<&Declared> = all_settings().to_vec();
    all.dedup_by_key(|declared| declared.name());
    let settings = all.into_iter().map(|declared| setting_fields(config, declared)).collect();
    let mut fields = Map::new();
    fields.insert("settings".into(), Value::Array(settings));
    fields
}

/// `{"name", "value", "origins": [{"key", "from", "source", …}]}`, and `"secret": true` with a
/// `null` value for a secret setting.
fn setting_fields(config: &Config, declared: &Declared) -> Value {
    let origins: Vec<Value> =
        config.origins(declared).into_iter().map(|(key, origin)| origin_fields(&key, &origin)).collect();
    let mut fields = json!({ "name": declared.name(), "origins": origins });
    if declared.is_secret() {
        fields["value"] = Value::Null;
        fields["secret"] = Value::Bool(true);
    } else {
        let value = config.shown(declared).unwrap_or_else(|| declared.default_value());
        fields["value"] = serde_json::to_value(value).unwrap_or(Value::Null);
    }
    fields
}

/// Where one value came from: `from` as an operator reads it, and the same in parts.
fn origin_fields(key: &str, origin: &Origin) -> Value {
    let mut fields = json!({ "key": key, "from": origin.to_string() });
    match origin {
        Origin::File { path, line } => {
            fields["source"] = "file".into();
            fields["file"] = path.display().to_string().into();
            fields["line"] = line.map_or(Value::Null, Value::from);
        }
        Origin::Environment { variable } => {
            fields["source"] = "environment".into();
            fields["variable"] = variable.clone().into();
        }
        Origin::Set => fields["source"] = "--set".into(),
        _ => fields["source"] = "default".into(),
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{LOGLEVEL, STOP_TIMEOUT};

    #[test]
    fn every_setting_is_listed_with_its_value_and_origin() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("app.toml");
        std::fs::write(&file, "# the runner\nloglevel = \"debug\"\n").unwrap();
        let config = Config::builder().env(false).file(&file).set("stop_timeout", "7").load().unwrap();
        let reply = settings_reply(&config);
        let settings = reply["settings"].as_array().unwrap();
        assert_eq!(settings.len(), all_settings().len());
        let find = |name: &str| settings.iter().find(|s| s["name"] == name).unwrap().clone();
        assert_eq!(
            find(LOGLEVEL.name()),
            json!({"name": "loglevel", "value": "debug", "origins": [
                {"key": "loglevel", "from": format!("{}:2", file.display()), "source": "file", "file": file.display().to_string(), "line": 2}
            ]})
        );
        assert_eq!(
            find(STOP_TIMEOUT.name())["origins"],
            json!([{"key": "stop_timeout", "from": "--set", "source": "--set"}])
        );
        assert_eq!(find(STOP_TIMEOUT.name())["value"], 7.0);
        assert_eq!(
            find("umask"),
            json!({"name": "umask", "value": "022", "origins": [{"key": "umask", "from": "default", "source": "default"}]})
        );
    }
}
