//! A reload, all or nothing: the new configuration is read and checked, the runner's own parts
//! are checked against it and every new log output is opened, and only when every part can
//! apply does any of it apply. Then the tree reloads.

use std::time::Duration;

use ginkgo::config::all_settings;
use ginkgo::{Config, Context};
use serde::Serialize;

use crate::error::chain;
use crate::plan::Plan;
use crate::{App, logging, notify};

/// What a reload that applied changed beyond the values services read.
pub(crate) struct Reloaded {
    /// One line for each setting that changed but waits for a restart.
    pub(crate) warnings: Vec<String>,
    /// The new `stop_timeout`, which applies at once.
    pub(crate) stop_timeout: Duration,
}

/// Reloads configuration, logging and the tree, as SIGHUP and the control socket's `reload`
/// ask. On `Err` (one line naming the culprit, logged once) nothing was applied, unless the
/// configuration applied and a service's `do_reload` failed, which the line says.
pub(crate) async fn reload(app: &App, plan: &Plan, root: &Context) -> Result<Reloaded, String> {
    log::info!(target: "runner", "reloading");
    notify::reloading();
    let outcome = match apply(app, plan) {
        Err(reason) => {
            log::error!(target: "runner", "configuration not reloaded, keeping the old one: {reason}");
            Err(reason)
        }
        Ok(reloaded) => {
            for warning in &reloaded.warnings {
                log::warn!(target: "runner", "{warning}");
            }
            // A failing do_reload has logged its error where it happened.
            match root.reload().await {
                Ok(()) => {
                    log::info!(target: "runner", "reloaded");
                    Ok(reloaded)
                }
                Err(err) => Err(format!("the new configuration is in force, but {}", err.chain())),
            }
        }
    };
    notify::ready("ready");
    outcome
}

/// Everything of a reload but the tree's: checks every part, then applies them all.
fn apply(app: &App, plan: &Plan) -> Result<Reloaded, String> {
    let staged = plan.config.stage_reload().map_err(|err| chain(&err))?;
    // The checks a start makes, on the new values: levels, identity, backend, paths...
    let new = Plan::from_config(app, &plan.target, staged.config().clone(), plan.daemon)
        .map_err(|failure| failure.to_string())?;
    let warnings = restart_only_changes(&plan.config, staged.config());
    // The new levels and outputs; the log file stays the one the process started with (a new
    // `logfile` waits for a restart), opened anew for logrotate.
    // A daemon's standard output and error follow: they are a pipe into the log file's writer
    // (see `logging::capture_stdio`), which the new logger brings.
    let logger = logging::build(&new.log, plan.logfile.as_deref()).map_err(|failure| failure.to_string())?;
    logging::install(logger).map_err(|failure| failure.to_string())?;
    staged.commit();
    Ok(Reloaded { warnings, stop_timeout: new.stop_timeout })
}

/// The settings read only as the program starts (declared `restart: true`, the runner's own
/// among them): a reload keeps their new values in the configuration, but the process goes on
/// as it started until a restart. One warning for each that changed. (`loglevel`, `logconfig`,
/// `logformat` and `stop_timeout` apply at once.)
///
/// The runner's: `async` and `daemon` decide the runtime and the process; `user` and `group`
/// are given up for good once the tree is ready; the pidfile, the log file, the control socket,
/// the health endpoint and `rundir` are made, bound or entered at the start (and `ginkgoctl`
/// looks for the first three where the configuration says); `umask` shaped the files made at
/// the start. `service`, not a setting, decides what runs.
fn restart_only_changes(old: &Config, new: &Config) -> Vec<String> {
    let service = changed("service", &old.service(), &new.service());
    let settings = all_settings().iter().filter(|declared| declared.needs_restart()).filter_map(|declared| {
        let (before, after) = (old.shown(declared), new.shown(declared));
        match (before == after, declared.is_secret()) {
            (true, _) => None,
            (false, true) => Some(format!("setting `{}` changed: takes effect on restart", declared.name())),
            (false, false) => changed(declared.name(), &before, &after),
        }
    });
    service.into_iter().chain(settings).collect()
}

fn changed<T: Serialize + PartialEq>(name: &str, old: &T, new: &T) -> Option<String> {
    (old != new)
        .then(|| format!("setting `{name}` changed from {} to {}: takes effect on restart", shown(old), shown(new)))
}

/// A value as configuration spells it: `"077"`, `true`, `unset`.
fn shown(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Null) | Err(_) => "unset".to_string(),
        Ok(value) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_only_changes_name_the_setting_and_both_values() {
        let old = Config::builder().env(false).load().unwrap();
        let new = Config::builder().env(false).set("umask", "0o077").set("user", "nobody").set("loglevel", "debug");
        let new = new.load().unwrap();
        assert_eq!(
            restart_only_changes(&old, &new),
            [
                "setting `umask` changed from \"022\" to \"077\": takes effect on restart",
                "setting `user` changed from unset to \"nobody\": takes effect on restart",
            ]
        );
        assert!(restart_only_changes(&new, &new).is_empty());
    }

    ginkgo::setting!(static LISTEN: String {
        name: "reload_test.listen",
        default: "127.0.0.1:1".to_string(),
        help: "A service's address, read as it starts",
        restart: true,
    });

    ginkgo::setting!(static KEY: String {
        name: "reload_test.key",
        default: String::new(),
        help: "A secret read as the service starts",
        secret: true,
        restart: true,
    });

    #[test]
    fn any_setting_declared_restart_only_is_reported_and_a_secret_one_without_its_values() {
        let old = Config::builder().env(false).load().unwrap();
        let new =
            Config::builder().env(false).set("reload_test.listen", "127.0.0.1:2").set("reload_test.key", "s3cr3t");
        let warnings = restart_only_changes(&old, &new.load().unwrap());
        assert_eq!(
            warnings,
            [
                "setting `reload_test.key` changed: takes effect on restart",
                "setting `reload_test.listen` changed from \"127.0.0.1:1\" to \"127.0.0.1:2\": takes effect on restart",
            ]
        );
        assert!(LISTEN.declared().needs_restart() && KEY.declared().is_secret());
    }
}
