//! The runtime's errors: a configuration it cannot run with, and a Runtime API it cannot
//! talk to.

use std::error::Error as StdError;
use std::fmt;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A setting the runtime cannot run with: a missing or malformed environment variable, or a
/// builder value out of range.
///
/// ```
/// use lambda_stream_runtime::Runtime;
///
/// let e = Runtime::builder().endpoint("127.0.0.1:9001").concurrency(0).build().unwrap_err();
/// assert_eq!(e.setting(), "concurrency");
/// assert_eq!(e.to_string(), "`concurrency` is \"0\": at least one invocation at a time");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    setting: String,
    value: Option<String>,
    expected: String,
}

impl ConfigError {
    pub(crate) fn missing(variable: &str) -> Self {
        ConfigError {
            setting: variable.to_owned(),
            value: None,
            expected: "it to be set (the Lambda environment sets it)".to_owned(),
        }
    }

    pub(crate) fn invalid(setting: &str, value: &str, expected: &str) -> Self {
        ConfigError {
            setting: setting.to_owned(),
            value: Some(value.to_owned()),
            expected: expected.to_owned(),
        }
    }

    /// The environment variable or builder setting.
    pub fn setting(&self) -> &str {
        &self.setting
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            None => write!(
                f,
                "`{}` is not set: expected {}",
                self.setting, self.expected
            ),
            Some(v) => write!(f, "`{}` is {v:?}: {}", self.setting, self.expected),
        }
    }
}

impl StdError for ConfigError {}

/// Why the runtime stopped.
///
/// A failing handler, body or event never stops it: those are reported to the Runtime API
/// for their invocation, and the next one is served. The runtime stops when it cannot run
/// at all, or when the Runtime API stops answering.
///
/// ```
/// use lambda_stream_runtime::lambda_http::{Body, Error, Request, Response, service_fn};
/// use lambda_stream_runtime::{Runtime, RuntimeErrorKind};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let handler = service_fn(|_: Request| async { Ok::<_, Error>(Response::new(Body::Empty)) });
/// // Nothing listens on port 1: the runtime gives up after a few attempts.
/// let runtime = Runtime::builder().endpoint("127.0.0.1:1").build()?;
/// let e = runtime.run(handler).await.unwrap_err();
/// assert_eq!(e.kind(), &RuntimeErrorKind::Unreachable);
/// assert_eq!(e.to_string(), "the Lambda Runtime API is unreachable");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct RuntimeError {
    kind: RuntimeErrorKind,
    source: Option<BoxError>,
}

/// The kinds of [`RuntimeError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeErrorKind {
    /// A setting is missing or malformed; the [`ConfigError`] is the source.
    Config,
    /// The Runtime API could not be reached, or broke the connection, while asking for the
    /// next invocation; the I/O or HTTP error is the source.
    Unreachable,
    /// The Runtime API answered the request for the next invocation with this status (it
    /// does so when the environment is shutting down).
    Status(u16),
    /// Starting the function failed; it was reported to the Runtime API as an init error.
    Init {
        /// The error type reported.
        error_type: String,
        /// The message reported.
        message: String,
    },
}

impl RuntimeError {
    pub(crate) fn new(kind: RuntimeErrorKind, source: Option<BoxError>) -> Self {
        RuntimeError { kind, source }
    }

    /// What stopped the runtime.
    pub fn kind(&self) -> &RuntimeErrorKind {
        &self.kind
    }
}

impl From<ConfigError> for RuntimeError {
    fn from(e: ConfigError) -> Self {
        RuntimeError::new(RuntimeErrorKind::Config, Some(Box::new(e)))
    }
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            RuntimeErrorKind::Config => f.write_str("the Lambda runtime cannot start"),
            RuntimeErrorKind::Unreachable => f.write_str("the Lambda Runtime API is unreachable"),
            RuntimeErrorKind::Status(status) => write!(
                f,
                "the Lambda Runtime API answered the next-invocation request with status {status}"
            ),
            RuntimeErrorKind::Init {
                error_type,
                message,
            } => write!(f, "the function failed to start ({error_type}): {message}"),
        }
    }
}

impl StdError for RuntimeError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}
