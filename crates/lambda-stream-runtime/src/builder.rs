//! `Builder`: the settings of a [`Runtime`], from code or the Lambda environment.

use std::sync::Arc;
use std::time::Duration;

use lambda_stream::chunk::RechunkConfig;
use lambda_stream::{Dialect, ResponseConfig};

use crate::client::{DEFAULT_WRITE_BUFFER, MIN_WRITE_BUFFER};
use crate::endpoint::Endpoint;
use crate::error::ConfigError;
use crate::invocation::{FailedStatuses, Settings};
use crate::runtime::Runtime;
use crate::shutdown::DEFAULT_GRACE;

/// Settings for a [`Runtime`]; what is not set comes from the Lambda environment.
///
/// ```
/// use lambda_stream::chunk::RechunkConfig;
/// use lambda_stream::Dialect;
/// use lambda_stream_runtime::Runtime;
///
/// let mut function = lambda_runtime::Config::default();
/// function.function_name = "objects".to_owned();
/// let runtime = Runtime::builder()
///     .endpoint("127.0.0.1:9001")
///     .concurrency(4)
///     .max_bytes(50 * 1024 * 1024)
///     .window(256 * 1024)
///     .rechunk(RechunkConfig::new(16 * 1024, 128 * 1024)?)
///     .write_buffer(64 * 1024)
///     .dialect(Dialect::ApiGatewayRest)
///     .failed_statuses(500..=599)
///     .function_config(function)
///     .build()?;
/// assert_eq!(runtime.concurrency(), 4);
///
/// let e = Runtime::builder().endpoint("127.0.0.1:9001").write_buffer(100).build().unwrap_err();
/// assert_eq!(e.setting(), "write_buffer");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder {
    endpoint: Option<String>,
    concurrency: Option<usize>,
    response: ResponseConfig,
    dialect: Option<Dialect>,
    failed_statuses: FailedStatuses,
    shutdown_grace: Option<Duration>,
    function: Option<lambda_runtime::Config>,
    write_buffer: Option<usize>,
}

impl Builder {
    /// The Runtime API's address: `host:port` or `http://host:port[/base]` (default:
    /// `AWS_LAMBDA_RUNTIME_API`).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// How many invocations run at once (default: `AWS_LAMBDA_MAX_CONCURRENCY`, which Lambda
    /// Managed Instances set, or 1). Each has its own Runtime API connection.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = Some(concurrency);
        self
    }

    /// The budget of every response, prelude included (default: Lambda's 200 MiB).
    pub fn max_bytes(mut self, max_bytes: u64) -> Self {
        self.response = self.response.with_max_bytes(max_bytes);
        self
    }

    /// How far the body may be read ahead of the Runtime API connection (default: 64 KiB).
    pub fn window(mut self, window: usize) -> Self {
        self.response = self.response.with_window(window);
        self
    }

    /// The frame sizes and flush policy of bodies (default: 64 to 256 KiB, flushed when
    /// the body stalls).
    pub fn rechunk(mut self, rechunk: RechunkConfig) -> Self {
        self.response = self.response.with_rechunk(rechunk);
        self
    }

    /// How many bytes of body frames the Runtime API connection may hold before the socket
    /// takes them (default: 512 KiB; at least 8 KiB). Part of the memory bound; a smaller
    /// buffer costs CPU time in system calls.
    pub fn write_buffer(mut self, bytes: usize) -> Self {
        self.write_buffer = Some(bytes);
        self
    }

    /// The prelude layout of every response (default: chosen per event: API Gateway REST
    /// for its events, the function URL layout otherwise).
    pub fn dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = Some(dialect);
        self
    }

    /// Reports every response whose status is in `statuses` (`500..=599`, say) as a
    /// failed invocation, so that Lambda's `Errors` metric, alarms and error logs count
    /// them; may be called again to add more (default: none, as Lambda counts only
    /// failures).
    ///
    /// Nothing is buffered and nothing withheld: the response streams as ever (status,
    /// headers, the whole body), then ends with the error trailers, of type
    /// `Response.Status503` (for a `503`) and message `the handler answered 503 Service
    /// Unavailable`. The caller sees what any failure after the first byte gives: a
    /// function URL response that ends without its last chunk after the whole body, an
    /// `InvokeWithResponseStream` stream whose `InvokeComplete` carries that error code.
    ///
    /// `LAMBDA_STREAM_FAILED_STATUSES` in the function's environment adds more without a
    /// change of code: codes and ranges, comma-separated (`500-599,429`).
    pub fn failed_statuses(mut self, statuses: std::ops::RangeInclusive<u16>) -> Self {
        self.failed_statuses.add(*statuses.start(), *statuses.end());
        self
    }

    /// How long invocations in flight at shutdown may take to finish before they are cut,
    /// with [`Runtime::on_shutdown`] (default: 300 ms, of the 500 ms Lambda allows a
    /// function with internal extensions only; the rest is for the cut responses' trailers
    /// and the hook).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = Some(grace);
        self
    }

    /// The function's configuration, as each invocation's `Context` reports it (default:
    /// from `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`,
    /// `AWS_LAMBDA_FUNCTION_VERSION`, `AWS_LAMBDA_LOG_STREAM_NAME` and
    /// `AWS_LAMBDA_LOG_GROUP_NAME`; missing ones are empty).
    pub fn function_config(mut self, config: lambda_runtime::Config) -> Self {
        self.function = Some(config);
        self
    }

    /// The runtime.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the setting or environment variable that is missing or
    /// malformed: no endpoint, a concurrency of 0, a memory size that is not a number.
    pub fn build(self) -> Result<Runtime, ConfigError> {
        let var = |name: &str| std::env::var(name).ok();
        let endpoint = match self.endpoint {
            Some(e) => Endpoint::parse(&e)?,
            None => Endpoint::parse(
                &var("AWS_LAMBDA_RUNTIME_API")
                    .ok_or_else(|| ConfigError::missing("AWS_LAMBDA_RUNTIME_API"))?,
            )?,
        };
        let concurrency = match self.concurrency {
            Some(0) => {
                return Err(ConfigError::invalid(
                    "concurrency",
                    "0",
                    "at least one invocation at a time",
                ));
            }
            Some(n) => n,
            None => match var("AWS_LAMBDA_MAX_CONCURRENCY") {
                None => 1,
                Some(text) => text
                    .trim()
                    .parse::<usize>()
                    .map(|n| n.max(1))
                    .map_err(|_| {
                        ConfigError::invalid(
                            "AWS_LAMBDA_MAX_CONCURRENCY",
                            &text,
                            "a whole number of invocations",
                        )
                    })?,
            },
        };
        let function = match self.function {
            Some(f) => f,
            None => {
                let memory = var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").unwrap_or_default();
                lambda_runtime::Config {
                    function_name: var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
                    memory: if memory.is_empty() {
                        0
                    } else {
                        memory.trim().parse().map_err(|_| {
                            ConfigError::invalid(
                                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                &memory,
                                "a number of megabytes",
                            )
                        })?
                    },
                    version: var("AWS_LAMBDA_FUNCTION_VERSION").unwrap_or_default(),
                    log_stream: var("AWS_LAMBDA_LOG_STREAM_NAME").unwrap_or_default(),
                    log_group: var("AWS_LAMBDA_LOG_GROUP_NAME").unwrap_or_default(),
                }
            }
        };
        let mut failed_statuses = self.failed_statuses;
        if let Some(text) = var(FAILED_STATUSES_VAR) {
            for (first, last) in parse_statuses(&text)? {
                failed_statuses.add(first, last);
            }
        }
        let write_buffer = self.write_buffer.unwrap_or(DEFAULT_WRITE_BUFFER);
        if write_buffer < MIN_WRITE_BUFFER {
            return Err(ConfigError::invalid(
                "write_buffer",
                &write_buffer.to_string(),
                "at least 8192 bytes, hyper's smallest buffer",
            ));
        }
        Ok(Runtime {
            endpoint,
            concurrency,
            write_buffer,
            grace: self.shutdown_grace.unwrap_or(DEFAULT_GRACE),
            shutdown: None,
            settings: Settings {
                response: self.response,
                dialect: self.dialect,
                failed_statuses,
                function: Arc::new(function),
            },
        })
    }
}

/// The environment variable that adds statuses to report as failed invocations.
const FAILED_STATUSES_VAR: &str = "LAMBDA_STREAM_FAILED_STATUSES";

/// `500-599,429` as ranges of status codes.
fn parse_statuses(text: &str) -> Result<Vec<(u16, u16)>, ConfigError> {
    let invalid = || {
        ConfigError::invalid(
            FAILED_STATUSES_VAR,
            text,
            "status codes (100 to 999) and ranges of them, comma-separated: 500-599,429",
        )
    };
    let code = |t: &str| {
        t.trim()
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=999).contains(c))
    };
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (first, last) = match part.split_once('-') {
                Some((a, b)) => (code(a), code(b)),
                None => (code(part), code(part)),
            };
            match (first, last) {
                (Some(first), Some(last)) if first <= last => Ok((first, last)),
                _ => Err(invalid()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_statuses_from_the_environment_are_codes_and_ranges() {
        assert_eq!(
            parse_statuses("500-599, 429").unwrap(),
            [(500, 599), (429, 429)]
        );
        assert_eq!(parse_statuses("").unwrap(), []);
        for bad in ["5xx", "599-500", "42", "500-", "1000"] {
            let e = parse_statuses(bad).unwrap_err();
            assert_eq!(e.setting(), "LAMBDA_STREAM_FAILED_STATUSES", "{bad}");
            assert!(e.to_string().contains("500-599,429"), "{e}");
        }
    }
}
