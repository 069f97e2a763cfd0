//! From parsed arguments to a checked plan: target, configuration, backend, files, identity.
//! Everything that can be wrong with the input is found here, before anything starts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ginkgo::{Backend, Config};
use nix::unistd::{AccessFlags, Gid, Group, Uid, User};
use tracing_core::LevelFilter;

use crate::error::chain;
use crate::registry::normalize;
use crate::settings::{
    CONTROL_SOCKET, DAEMON, GROUP, HEALTH_ADDRESS, LOGCONFIG, LOGFILE, LOGFORMAT, LOGLEVEL, LogConfig, LogFormat,
    PIDFILE, RUNDIR, STOP_TIMEOUT, UMASK, USER,
};
use crate::{App, Failure, Registry, control};

/// Everything needed to run (or control) one service process.
pub(crate) struct Plan {
    /// The target as given on the command line.
    pub(crate) target: String,
    /// The registered service name.
    pub(crate) service: String,
    pub(crate) config: Config,
    pub(crate) backend: Backend,
    pub(crate) daemon: bool,
    /// Where the pid is written, daemonized or not.
    pub(crate) pidfile: PathBuf,
    /// Where `ginkgoctl` reaches the running process.
    pub(crate) control_socket: PathBuf,
    /// Where the health endpoint listens, if it does.
    pub(crate) health_address: Option<std::net::SocketAddr>,
    /// Where the log goes; `None` is stderr.
    pub(crate) logfile: Option<PathBuf>,
    pub(crate) log: LogPlan,
    pub(crate) rundir: Option<PathBuf>,
    pub(crate) umask: u32,
    pub(crate) identity: Option<Identity>,
    pub(crate) stop_timeout: Duration,
}

/// How to log: the level, the optional detailed table, the line format, and `RUST_LOG`.
#[derive(Clone)]
pub(crate) struct LogPlan {
    pub(crate) level: LevelFilter,
    pub(crate) detail: Option<LogConfig>,
    pub(crate) format: LogFormat,
    /// `RUST_LOG`'s directives, when it is set (and not empty): they win over `loglevel` and
    /// `logconfig`'s levels.
    pub(crate) rust_log: Option<String>,
}

/// Who to become once the tree is ready.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub(crate) user: Option<User>,
    pub(crate) gid: Gid,
    pub(crate) uid: Option<Uid>,
}

impl Plan {
    /// Resolves `target` (a registered name or a config file) with `--set` pairs.
    pub(crate) fn resolve(app: &App, target: &str, sets: &[String], daemonize: bool) -> Result<Plan, Failure> {
        Plan::from_config(app, target, load_config(app, target, sets)?, daemonize)
    }

    /// Checks `config` for running `target` and resolves what it names: the plan for a start,
    /// and the check of a reload's new values.
    pub(crate) fn from_config(app: &App, target: &str, config: Config, daemonize: bool) -> Result<Plan, Failure> {
        let service = match is_config_file(target) {
            true => config
                .service()
                .ok_or_else(|| Failure::usage(format!("{target}: no `service` key: set it to the service to run")))?,
            false => normalize(target),
        };
        if !app.registry.contains(&service) {
            return Err(unknown_service(&app.registry, &service));
        }
        let backend = Backend::from_config(&config).map_err(|err| Failure::usage(format!("setting `async`: {err}")))?;
        let daemon = daemonize || DAEMON.get(&config);
        // Default files are named after the whole registered name, so services of the same type
        // name in different modules (hello.HelloWorld, service.HelloWorld) do not share them;
        // after the application, for the service of its default target.
        let name = app.file_stem(&service);
        let path = |p: Option<PathBuf>| p.map(|p| absolute(&config.resolve_path(p)));
        // In the foreground too, so that `ginkgoctl TARGET reload` finds the process.
        let pidfile = match path(PIDFILE.get(&config)) {
            Some(explicit) => explicit,
            None => home()?.join(format!(".{name}.pid")),
        };
        let control_socket = match path(CONTROL_SOCKET.get(&config)) {
            Some(explicit) => explicit,
            None => control::beside(&pidfile),
        };
        if let Some(why) = control::too_long(&control_socket) {
            return Err(Failure::usage(format!("setting `control_socket`: {why}")));
        }
        let logfile = match path(LOGFILE.get(&config)) {
            Some(explicit) => Some(explicit),
            None if daemon => Some(home()?.join(format!(".{name}.log"))),
            None => None,
        };
        let log = LogPlan {
            level: parse_level(&LOGLEVEL.get(&config))?,
            detail: log_detail(&config),
            format: LOGFORMAT.get(&config),
            rust_log: rust_log()?,
        };
        if let Some(detail) = &log.detail {
            check_log_config(detail)?;
        }
        // Loading checked the range; a conversion that cannot panic all the same.
        let stop_timeout = STOP_TIMEOUT.get(&config);
        let stop_timeout = Duration::try_from_secs_f64(stop_timeout).map_err(|_| {
            Failure::usage(format!("setting `stop_timeout`: {stop_timeout} is not a number of seconds"))
        })?;
        Ok(Plan {
            target: target.to_string(),
            service,
            rundir: path(RUNDIR.get(&config)),
            umask: UMASK.get(&config).0,
            identity: identity(USER.get(&config).as_deref(), GROUP.get(&config).as_deref())?,
            stop_timeout,
            health_address: HEALTH_ADDRESS.get(&config),
            config,
            backend,
            daemon,
            pidfile,
            control_socket,
            logfile,
            log,
        })
    }
}

impl Plan {
    /// What starting needs from the file system, checked before anything is written: `rundir`
    /// is a folder; the pidfile, the log file and every `logconfig` output file name a file (not
    /// a folder) in a folder that exists and is writable; the pidfile is none of the log files;
    /// and none of them breaks the rules for files opened as root ([`crate::files::check`]).
    pub(crate) fn check_files(&self) -> Result<(), Failure> {
        if let Some(dir) = &self.rundir {
            check_folder("rundir", dir, AccessFlags::X_OK)?;
        }
        let mut files = vec![("pidfile", self.pidfile.clone())];
        files.extend(self.logfile.iter().map(|log| ("logfile", log.clone())));
        let outputs = self.log.detail.iter().flat_map(|detail| &detail.outputs);
        files.extend(outputs.filter(|o| *o != "stderr" && *o != "stdout").map(|o| ("logconfig.outputs", o.into())));
        for (setting, path) in &files {
            check_file(setting, path)?;
        }
        if let Some((setting, _)) = files[1..].iter().find(|(_, path)| *path == self.pidfile) {
            return Err(Failure::usage(format!(
                "setting `pidfile`: {} is also the `{setting}` file",
                self.pidfile.display()
            )));
        }
        // Then the rules for files opened as root: no planted links, no files of others.
        crate::files::check(self)
    }
}

/// `path` can be created or appended to: it names a file that is not a folder, in a writable
/// folder.
fn check_file(setting: &str, path: &Path) -> Result<(), Failure> {
    let culprit = |what: String| Failure::usage(format!("setting `{setting}`: {what}"));
    let (Some(folder), Some(_)) = (path.parent(), path.file_name()) else {
        return Err(culprit(format!("{} names no file", path.display())));
    };
    if path.is_dir() {
        return Err(culprit(format!("{} is a directory", path.display())));
    }
    check_folder(setting, folder, AccessFlags::W_OK | AccessFlags::X_OK)
}

/// `folder` exists, is a folder, and allows `access`.
fn check_folder(setting: &str, folder: &Path, access: AccessFlags) -> Result<(), Failure> {
    let culprit = |what: String| Failure::usage(format!("setting `{setting}`: {what}"));
    match std::fs::metadata(folder) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            Err(culprit(format!("directory {} does not exist", folder.display())))
        }
        Err(err) => Err(culprit(format!("cannot use directory {}: {err}", folder.display()))),
        Ok(meta) if !meta.is_dir() => Err(culprit(format!("{} is not a directory", folder.display()))),
        Ok(_) => nix::unistd::access(folder, access)
            .map_err(|err| culprit(format!("cannot use directory {}: {}", folder.display(), err.desc()))),
    }
}

/// True for a target that names a config file rather than a service.
pub(crate) fn is_config_file(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    [".toml", ".json", ".yaml", ".yml"].iter().any(|ext| lower.ends_with(ext)) || target.contains('/')
}

/// The configuration for `target`: its file (if it is one), the environment, `--set` pairs.
pub(crate) fn load_config(app: &App, target: &str, sets: &[String]) -> Result<Config, Failure> {
    let mut builder = Config::builder().env_prefix(app.env_prefix.clone());
    if is_config_file(target) {
        match std::fs::metadata(target) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(Failure::usage(format!("config file {target} does not exist")));
            }
            Ok(meta) if meta.is_dir() => return Err(Failure::usage(format!("config file {target} is a directory"))),
            // Anything else wrong with it (not a regular file, too large, unreadable) the loader says.
            _ => builder = builder.file(target),
        }
    }
    for pair in sets {
        builder = builder.set_pair(pair).map_err(|err| Failure::usage(err.to_string()))?;
    }
    builder.load().map_err(|err| Failure::usage(chain(&err)))
}

fn unknown_service(registry: &Registry, service: &str) -> Failure {
    let names = registry.names();
    let listed = if names.is_empty() { "none".to_string() } else { names.join(", ") };
    Failure::usage(format!("unknown service `{service}`; registered: {listed}"))
}

fn home() -> Result<PathBuf, Failure> {
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    match User::from_uid(Uid::current()) {
        Ok(Some(user)) => Ok(user.dir),
        _ => Err(Failure::usage("no home directory for the default pidfile and logfile; set `pidfile` and `logfile`")),
    }
}

/// `path` made absolute against the current directory, so a later `rundir` does not move it.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The `logconfig` table, its output files made absolute next to the config file like every
/// other path setting.
pub(crate) fn log_detail(config: &Config) -> Option<LogConfig> {
    LOGCONFIG.get(config).map(|mut detail| {
        for output in &mut detail.outputs {
            if output != "stderr" && output != "stdout" {
                *output = absolute(&config.resolve_path(&*output)).display().to_string();
            }
        }
        detail
    })
}

pub(crate) fn parse_level(text: &str) -> Result<LevelFilter, Failure> {
    match text.to_ascii_lowercase().as_str() {
        "trace" => Ok(LevelFilter::TRACE),
        "debug" => Ok(LevelFilter::DEBUG),
        "info" => Ok(LevelFilter::INFO),
        "warn" | "warning" => Ok(LevelFilter::WARN),
        "error" | "critical" => Ok(LevelFilter::ERROR),
        "off" => Ok(LevelFilter::OFF),
        _ => Err(Failure::usage(format!("setting `loglevel`: `{text}` is not a level (debug, info, warn, error)"))),
    }
}

fn check_log_config(detail: &LogConfig) -> Result<(), Failure> {
    if let Some(level) = &detail.level {
        parse_level(level)
            .map_err(|_| Failure::usage(format!("setting `logconfig.level`: `{level}` is not a level")))?;
    }
    for (module, level) in &detail.levels {
        crate::logging::level_directive(module, level)?;
    }
    Ok(())
}

/// `RUST_LOG`, checked, when it is set to something.
fn rust_log() -> Result<Option<String>, Failure> {
    let Some(value) = std::env::var_os("RUST_LOG").filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    let directives =
        value.into_string().map_err(|_| Failure::usage("environment variable RUST_LOG: not valid UTF-8"))?;
    crate::logging::parse_rust_log(&directives)?;
    Ok(Some(directives))
}

/// Looks up `user` and `group` now, so an unknown one is an error before anything starts.
fn identity(user: Option<&str>, group: Option<&str>) -> Result<Option<Identity>, Failure> {
    if user.is_none() && group.is_none() {
        return Ok(None);
    }
    let user = match user {
        None => None,
        Some(name) => Some(find_user(name)?),
    };
    let gid = match (group, &user) {
        (Some(name), _) => find_group(name)?,
        (None, Some(user)) => user.gid,
        (None, None) => Gid::current(),
    };
    let uid = user.as_ref().map(|u| u.uid);
    Ok(Some(Identity { user, gid, uid }))
}

fn find_user(name: &str) -> Result<User, Failure> {
    let found = match name.parse::<u32>() {
        Ok(uid) => User::from_uid(Uid::from_raw(uid)),
        Err(_) => User::from_name(name),
    };
    match found {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(Failure::usage(format!("setting `user`: unknown user `{name}`"))),
        Err(err) => Err(Failure::usage(format!("setting `user`: cannot look up `{name}`: {err}"))),
    }
}

fn find_group(name: &str) -> Result<Gid, Failure> {
    let found = match name.parse::<u32>() {
        Ok(gid) => Group::from_gid(Gid::from_raw(gid)),
        Err(_) => Group::from_name(name),
    };
    match found {
        Ok(Some(group)) => Ok(group.gid),
        Ok(None) => Err(Failure::usage(format!("setting `group`: unknown group `{name}`"))),
        Err(err) => Err(Failure::usage(format!("setting `group`: cannot look up `{name}`: {err}"))),
    }
}

#[cfg(test)]
mod tests {
    use ginkgo::config::all_settings;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn config_files_are_told_from_service_names() {
        assert!(is_config_file("service.conf.toml"));
        assert!(is_config_file("conf/app.json"));
        assert!(is_config_file("./hello"));
        assert!(!is_config_file("hello.HelloWorld"));
        assert!(!is_config_file("hello::HelloWorld"));
    }

    #[test]
    fn levels_parse_and_bad_ones_name_the_setting() {
        assert_eq!(parse_level("WARN").unwrap(), LevelFilter::WARN);
        assert_eq!(
            parse_level("loud").unwrap_err().message(),
            "setting `loglevel`: `loud` is not a level (debug, info, warn, error)"
        );
    }

    #[test]
    fn unknown_users_and_groups_are_usage_errors() {
        let err = identity(Some("no-such-user-ginkgo"), None).unwrap_err();
        assert_eq!((err.code(), err.message()), (2, "setting `user`: unknown user `no-such-user-ginkgo`"));
        let err = identity(None, Some("no-such-group-ginkgo")).unwrap_err();
        assert_eq!(err.message(), "setting `group`: unknown group `no-such-group-ginkgo`");
        let root = identity(Some("0"), None).unwrap().unwrap();
        assert_eq!(root.uid, Some(Uid::from_raw(0)));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever text any setting of the runner (and `async`) is given, resolving a plan gives
        /// a plan or one line of usage error: never a panic.
        #[test]
        fn any_text_for_any_setting_resolves_or_is_one_usage_line(
            index in 0..all_settings().len(),
            text in prop_oneof![
                prop::sample::select(vec![
                    "nan", "inf", "-inf", "-1", "0", "1e20", "1e400", "86400.0001", "0.0001", "077", "0o777", "0o1000",
                    "yes", "[", "{", "[a, b]", "{level = loud}", "{outputs = [\"\"]}", "{levels = {x = 1}}", "\"\"",
                    "18446744073709551616", "root", "65534", "/", "..", "",
                ]).prop_map(String::from),
                "\\PC{0,24}",
                any::<f64>().prop_map(|f| format!("{f:?}")),
            ],
        ) {
            let app = App::new("t", Registry::new().register("t.T", || Idle));
            let name = all_settings()[index].name();
            if let Err(failure) = Plan::resolve(&app, "t.T", &[format!("{name}={text}")], false) {
                prop_assert_eq!(failure.code(), 2);
                prop_assert!(!failure.message().contains('\n'), "{}", failure.message());
            }
        }
    }

    struct Idle;
    impl ginkgo::Service for Idle {}
}
