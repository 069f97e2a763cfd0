//! `Watch`: one reader's view of whether a setting has changed.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Config, Setting};

/// Follows one setting in one configuration for one reader: [`changed`](Watch::changed) says
/// whether a reload changed the value since this reader last looked. Every reader has its own
/// watch, so one reader noticing a change does not hide it from another.
///
/// ```
/// use ginkgo::{setting, Config};
///
/// setting!(pub static LEVEL: u8 { name: "example.watch_level", default: 1, help: "A level" });
///
/// let config = Config::defaults();
/// let mut first = LEVEL.watch(&config);
/// let mut second = LEVEL.watch(&config);
/// assert!(!first.changed());
/// assert_eq!(*first.load(), 1);
/// # let _ = &mut second;
/// ```
pub struct Watch<T: 'static> {
    setting: &'static Setting<T>,
    config: Config,
    seen: u64,
}

impl<T> Watch<T>
where
    T: DeserializeOwned + Serialize + Clone + Send + Sync + 'static,
{
    pub(crate) fn new(setting: &'static Setting<T>, config: Config) -> Self {
        let seen = config.version(setting.declared());
        Watch { setting, config, seen }
    }

    /// True once after each change of the value since this watch last said so.
    pub fn changed(&mut self) -> bool {
        let now = self.config.version(self.setting.declared());
        let changed = now != self.seen;
        self.seen = now;
        changed
    }

    /// The current value.
    pub fn load(&self) -> Arc<T> {
        self.setting.load(&self.config)
    }

    /// Waits until a reload changes the value, then returns the new value.
    pub async fn next_change(&mut self) -> Arc<T> {
        loop {
            if self.changed() {
                return self.load();
            }
            let config = self.config.clone();
            event_listener::listener!(config.changed_event() => reloaded);
            if self.changed() {
                return self.load();
            }
            reloaded.await;
        }
    }
}
