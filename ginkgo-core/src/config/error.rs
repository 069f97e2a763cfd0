//! `ConfigError`: what went wrong loading or reloading a configuration, or using a part of it.

use std::fmt;

use crate::BoxError;

/// A configuration that could not be loaded, or a part of it a service could not use: one line
/// that names the culprit (file, line, setting, value), plus the cause when there is one.
///
/// A service whose start fails because of its configuration (a file a setting names cannot be
/// read, say) says so by failing with a `ConfigError` ([`unusable`](ConfigError::unusable));
/// whoever started it finds one among the error's sources ([`found_in`](ConfigError::found_in)):
/// the runner then exits with status 2, a configuration error, rather than 1.
///
/// ```
/// use ginkgo::config::ConfigError;
///
/// let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "certificate file /etc/app/cert.pem: no such file");
/// let err = ConfigError::unusable(missing);
/// assert_eq!(err.to_string(), "certificate file /etc/app/cert.pem: no such file");
/// assert!(ConfigError::found_in(&err));
/// assert!(!ConfigError::found_in(&std::io::Error::other("connection refused")));
/// ```
#[derive(Debug)]
pub struct ConfigError {
    message: String,
    source: Option<BoxError>,
    /// Made by `unusable`: the error it wraps reads as it does, its message this one's.
    wraps: bool,
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ConfigError { message: message.into(), source: None, wraps: false }
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// A part of the configuration a service cannot use, found when it starts or reloads: `err`,
    /// which names the culprit. It reads as `err` does (its message, then its sources).
    pub fn unusable(err: impl Into<BoxError>) -> Self {
        let err = err.into();
        ConfigError { message: err.to_string(), source: Some(err), wraps: true }
    }

    /// True if `err` or one of its sources is a `ConfigError`: the configuration is at fault.
    pub fn found_in(err: &(dyn std::error::Error + 'static)) -> bool {
        let mut next = Some(err);
        while let Some(err) = next {
            if err.is::<ConfigError>() {
                return true;
            }
            next = err.source();
        }
        false
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let source = self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static));
        if self.wraps { source.and_then(std::error::Error::source) } else { source }
    }
}
