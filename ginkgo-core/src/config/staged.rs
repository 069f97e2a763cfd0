//! `StagedReload`: a reload read and checked, waiting to be committed or dropped.

use std::sync::MutexGuard;

use super::Config;

/// New values for a [`Config`], read from its sources and validated by
/// [`Config::stage_reload`], but not yet in force: the configuration still answers with its old
/// values. Read the new ones through [`config`](StagedReload::config), check whatever else must
/// agree with them, then [`commit`](StagedReload::commit) them all at once, or drop the staged
/// reload to keep the old ones.
///
/// It is how a reload becomes all or nothing when more than the values are at stake: a program
/// that also opens log files named by the new values, say, opens them first and commits only if
/// every one opened.
///
/// ```
/// use ginkgo::{setting, Config};
///
/// setting!(pub static LEVEL: String {
///     name: "example.staged_level",
///     default: "info".to_string(),
///     help: "How much to say",
/// });
///
/// // What this program can use, beyond what the setting's type accepts.
/// let usable = |level: &str| ["debug", "info", "warn"].contains(&level);
///
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("app.toml");
/// std::fs::write(&file, "[example]\nstaged_level = \"info\"\n")?;
/// let config = Config::builder().env(false).file(&file).load()?;
///
/// // A valid string, but not a level: staged, checked, dropped; nothing changes.
/// std::fs::write(&file, "[example]\nstaged_level = \"loud\"\n")?;
/// let staged = config.stage_reload()?;
/// assert_eq!(LEVEL.get(staged.config()), "loud");
/// assert_eq!(LEVEL.get(&config), "info"); // the old value is still in force
/// assert!(!usable(&LEVEL.get(staged.config())));
/// drop(staged);
/// assert_eq!(LEVEL.get(&config), "info");
///
/// // A usable one: committed, and every reader of the configuration sees it.
/// std::fs::write(&file, "[example]\nstaged_level = \"debug\"\n")?;
/// let staged = config.stage_reload()?;
/// assert!(usable(&LEVEL.get(staged.config())));
/// staged.commit();
/// assert_eq!(LEVEL.get(&config), "debug");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a staged reload changes nothing until it is committed"]
pub struct StagedReload<'a> {
    target: &'a Config,
    staged: Config,
    _one_at_a_time: MutexGuard<'a, ()>,
}

impl<'a> StagedReload<'a> {
    pub(super) fn new(target: &'a Config, staged: Config, one_at_a_time: MutexGuard<'a, ()>) -> Self {
        StagedReload { target, staged, _one_at_a_time: one_at_a_time }
    }

    /// The new values, as a configuration of their own: read them with
    /// [`Setting::get`](super::Setting::get), [`Config::value`] or [`Config::group`]. Relative
    /// paths resolve as in the configuration being reloaded ([`Config::resolve_path`]).
    pub fn config(&self) -> &Config {
        &self.staged
    }

    /// Puts the new values in force, all in one step, as [`Config::reload`] does: readers see
    /// them at their next read, and watches ([`Setting::watch`](super::Setting::watch)) of the
    /// settings that changed say so.
    pub fn commit(self) {
        self.target.commit_values_of(&self.staged);
    }
}

impl std::fmt::Debug for StagedReload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StagedReload").field("file", &self.target.file()).finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::setting;

    setting!(static COUNT: u32 { name: "staged_test.count", default: 1, help: "A count" });

    fn config_with(text: &str) -> (tempfile::TempDir, std::path::PathBuf, Config) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("staged.toml");
        std::fs::write(&file, text).unwrap();
        let config = Config::builder().env(false).file(&file).load().unwrap();
        (dir, file, config)
    }

    #[test]
    fn staged_values_are_invisible_until_committed() {
        let (_dir, file, config) = config_with("[staged_test]\ncount = 2\n");
        let mut watch = COUNT.watch(&config);
        std::fs::write(&file, "[staged_test]\ncount = 3\n").unwrap();
        let staged = config.stage_reload().unwrap();
        assert_eq!((COUNT.get(staged.config()), COUNT.get(&config)), (3, 2));
        assert!(!watch.changed(), "nothing changed before the commit");
        staged.commit();
        assert_eq!(COUNT.get(&config), 3);
        assert!(watch.changed());
    }

    #[test]
    fn a_dropped_stage_changes_nothing_and_the_next_reload_works() {
        let (_dir, file, config) = config_with("[staged_test]\ncount = 2\n");
        let mut watch = COUNT.watch(&config);
        std::fs::write(&file, "[staged_test]\ncount = 5\n").unwrap();
        drop(config.stage_reload().unwrap());
        assert_eq!(COUNT.get(&config), 2);
        assert!(!watch.changed());
        // The reload lock went with the stage: a plain reload goes through.
        config.reload().unwrap();
        assert_eq!(COUNT.get(&config), 5);
        assert!(watch.changed());
    }

    #[test]
    fn a_broken_source_stages_nothing() {
        let (_dir, file, config) = config_with("[staged_test]\ncount = 2\n");
        std::fs::write(&file, "[staged_test]\ncount = \"many\"\n").unwrap();
        let err = config.stage_reload().unwrap_err().to_string();
        assert!(
            err.ends_with("staged.toml:2: setting `staged_test.count` expects u32, found string \"many\""),
            "{err}"
        );
        assert_eq!(COUNT.get(&config), 2);
    }
}
