#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Library code never panics on input: on top of `[workspace.lints]`, which every target
// shares, the library itself (not its tests, examples or benches) denies these.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod api;
mod builder;
mod client;
mod endpoint;
mod error;
mod event;
mod invocation;
mod runtime;
mod wire;

use std::error::Error as StdError;
use std::future::Future;

use bytes::Bytes;
use lambda_runtime::Diagnostic;
use tower_service::Service;

pub use builder::Builder;
pub use error::{ConfigError, RuntimeError, RuntimeErrorKind};
pub use event::{EventError, EventErrorKind, request_from_event};
pub use runtime::Runtime;

pub use lambda_http;
pub use lambda_runtime::{Context, Diagnostic as RuntimeDiagnostic};

// The workspace README's snippets, compiled with this crate's dev-dependencies (the
// quick start is a function on this runtime).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct WorkspaceReadme;

/// Runs `service` on the Runtime API of the Lambda environment ([`Runtime::from_env`]):
/// the drop-in replacement of `lambda_http::run_with_streaming_response`.
///
/// # Errors
///
/// A [`RuntimeError`] when the environment lacks the Runtime API's address, or the Runtime
/// API stops answering. Failing invocations do not stop it.
pub async fn run<S, B>(service: S) -> Result<(), RuntimeError>
where
    S: Service<lambda_http::Request, Response = http::Response<B>>,
    S::Error: Into<Diagnostic>,
    B: http_body::Body + 'static,
    B::Data: Into<Bytes>,
    B::Error: Into<Box<dyn StdError + Send + Sync + 'static>> + 'static,
{
    Runtime::from_env()?.run(service).await
}

/// Builds the service with `init` and runs it ([`Runtime::run_with_init`]): a failure to
/// start (a missing setting, an unreachable dependency) is reported to Lambda as the
/// function's init error instead of leaving callers waiting.
///
/// ```no_run
/// use lambda_http::{Body, Error, Request, Response, service_fn};
///
/// #[tokio::main]
/// async fn main() -> Result<(), lambda_stream_runtime::RuntimeError> {
///     lambda_stream_runtime::run_with_init(|| async {
///         let bucket = std::env::var("S3_BUCKET").map_err(|_| "S3_BUCKET must name a bucket")?;
///         Ok::<_, Error>(service_fn(move |_: Request| {
///             let bucket = bucket.clone();
///             async move { Ok::<_, Error>(Response::new(Body::from(bucket))) }
///         }))
///     })
///     .await
/// }
/// ```
///
/// # Errors
///
/// As [`run`], and [`RuntimeErrorKind::Init`] when `init` failed.
pub async fn run_with_init<F, Fut, S, E, B>(init: F) -> Result<(), RuntimeError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<S, E>>,
    E: Into<Diagnostic>,
    S: Service<lambda_http::Request, Response = http::Response<B>>,
    S::Error: Into<Diagnostic>,
    B: http_body::Body + 'static,
    B::Data: Into<Bytes>,
    B::Error: Into<Box<dyn StdError + Send + Sync + 'static>> + 'static,
{
    Runtime::from_env()?.run_with_init(init).await
}
