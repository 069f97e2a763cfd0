//! `Group`: a read-only view of the values under one dotted prefix.

use std::sync::Arc;

use figment::value::Value;
use serde::de::DeserializeOwned;

use super::config::Values;
use super::read::read;

/// The values under a dotted prefix, such as every `flask.*` key. A missing key reads as
/// `None`, never a panic. The view keeps the values of the moment it was made.
///
/// ```
/// use ginkgo::Config;
///
/// let config = Config::builder().env(false).set("flask.debug", "true").set("flask.port", "5000").load().unwrap();
/// let flask = config.group("flask");
/// assert_eq!(flask.get::<bool>("debug"), Some(true));
/// assert_eq!(flask.get::<u16>("port"), Some(5000));
/// assert_eq!(flask.get::<String>("missing"), None);
/// assert_eq!(flask.keys(), ["debug", "port"]);
/// ```
#[derive(Clone)]
pub struct Group {
    values: Arc<Values>,
    prefix: String,
}

impl Group {
    pub(crate) fn new(values: Arc<Values>, prefix: &str) -> Self {
        Group { values, prefix: prefix.trim_matches('.').to_string() }
    }

    fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() { key.to_string() } else { format!("{}.{key}", self.prefix) }
    }

    /// The dotted prefix of this group.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The value at `key` read as `T`, as a setting of that type would read it; `None` if it
    /// is missing or is not a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        read(&self.value(key)?).ok()
    }

    /// The raw value at `key`, if any.
    pub fn value(&self, key: &str) -> Option<Value> {
        self.values.figment.find_value(&self.path(key)).ok()
    }

    /// The group under `key`.
    pub fn group(&self, key: &str) -> Group {
        Group::new(self.values.clone(), &self.path(key))
    }

    /// The names directly under this group (values and subgroups), sorted.
    pub fn keys(&self) -> Vec<String> {
        let dict = if self.prefix.is_empty() {
            Some(&self.values.merged)
        } else {
            let mut at = Some(&self.values.merged);
            for part in self.prefix.split('.') {
                at = at.and_then(|d| d.get(part)).and_then(Value::as_dict);
            }
            at
        };
        dict.map(|d| d.keys().cloned().collect()).unwrap_or_default()
    }

    /// True if there is a value or a subgroup at `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.value(key).is_some()
    }
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group").field("prefix", &self.prefix).field("keys", &self.keys()).finish()
    }
}
