//! A reload, all or nothing: the new configuration is read and checked, the runner's own parts
//! are checked against it and every new log output is opened, and only when every part can
//! apply does any of it apply. Then the tree reloads.

use std::time::Duration;

use ginkgo::{ASYNC, Config, Context, Setting};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::chain;
use crate::plan::Plan;
use crate::settings::{CONTROL_SOCKET, DAEMON, GROUP, HEALTH_ADDRESS, LOGFILE, PIDFILE, RUNDIR, UMASK, USER};
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

/// The settings the runner uses only while it starts: a reload keeps their new values in the
/// configuration, but the process goes on as it started until a restart. (`loglevel`,
/// `logconfig` and `stop_timeout` apply at once.)
///
/// `service`, `async` and `daemon` decide what runs, on which runtime, in which process;
/// `user` and `group` are given up for good once the tree is ready; the pidfile, the log file,
/// the control socket and `rundir` are made or entered at the start (and `ginkgoctl` looks for
/// the first three where the configuration says), and so is the health endpoint's listening
/// socket; `umask` shaped the files made at the start.
fn restart_only_changes(old: &Config, new: &Config) -> Vec<String> {
    [
        changed("service", &old.service(), &new.service()),
        changed_setting(&ASYNC, old, new),
        changed_setting(&DAEMON, old, new),
        changed_setting(&USER, old, new),
        changed_setting(&GROUP, old, new),
        changed_setting(&PIDFILE, old, new),
        changed_setting(&LOGFILE, old, new),
        changed_setting(&CONTROL_SOCKET, old, new),
        changed_setting(&HEALTH_ADDRESS, old, new),
        changed_setting(&RUNDIR, old, new),
        changed_setting(&UMASK, old, new),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn changed_setting<T>(setting: &'static Setting<T>, old: &Config, new: &Config) -> Option<String>
where
    T: DeserializeOwned + Serialize + Clone + PartialEq + Send + Sync + 'static,
{
    changed(setting.name(), &setting.get(old), &setting.get(new))
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
                "setting `user` changed from unset to \"nobody\": takes effect on restart",
                "setting `umask` changed from \"022\" to \"077\": takes effect on restart",
            ]
        );
        assert!(restart_only_changes(&new, &new).is_empty());
    }
}
