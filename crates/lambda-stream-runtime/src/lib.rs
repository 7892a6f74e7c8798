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
mod current;
mod endpoint;
mod error;
mod event;
mod failure;
mod invocation;
mod runtime;
mod shutdown;
mod wire;

use std::error::Error as StdError;
use std::future::Future;

use bytes::Bytes;
use lambda_runtime::Diagnostic;
use tower_service::Service;

pub use builder::Builder;
pub use current::current_context;
pub use error::{ConfigError, RuntimeError, RuntimeErrorKind};
pub use event::{EventError, EventErrorKind, request_from_event};
pub use runtime::Runtime;

#[doc(inline)]
pub use lambda_http;
/// `tracing` and `tracing-subscriber` as `lambda_runtime` gives them:
/// [`init_default_subscriber`](tracing::init_default_subscriber) sets up logging the way
/// Lambda's logging controls expect (`AWS_LAMBDA_LOG_FORMAT=JSON`: a JSON object a line;
/// `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`: the level). Every line logged during an
/// invocation carries its span, `Lambda runtime invoke`, with its `requestId` (and
/// `xrayTraceId` when there is one).
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub use lambda_runtime::tracing;
pub use lambda_runtime::{Context, Diagnostic as RuntimeDiagnostic};

// The workspace README's snippets, compiled with this crate's dev-dependencies (the
// quick start is a function on this runtime).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct WorkspaceReadme;

/// Runs `service` on the Runtime API of the Lambda environment ([`Runtime::from_env`]):
/// the drop-in replacement of `lambda_http::run_with_streaming_response`.
///
/// It returns what that function returns, `Result<(), lambda_http::Error>`, so that
/// `main` changes by one line whatever its shape:
///
/// ```no_run
/// use lambda_stream_runtime::lambda_http::{Body, Error, Request, Response, service_fn};
///
/// async fn handler(_: Request) -> Result<Response<Body>, Error> {
///     Ok(Response::new(Body::from("hello")))
/// }
///
/// // The tail expression.
/// async fn tail() -> Result<(), Error> {
///     lambda_stream_runtime::run(service_fn(handler)).await
/// }
///
/// // `?`, then `Ok(())`.
/// async fn question_mark() -> Result<(), Error> {
///     lambda_stream_runtime::run(service_fn(handler)).await?;
///     Ok(())
/// }
///
/// // `unwrap`.
/// async fn unwrapped() {
///     lambda_stream_runtime::run(service_fn(handler)).await.unwrap();
/// }
/// ```
///
/// The error is a [`RuntimeError`] (`downcast_ref` it); [`Runtime::run`] returns it typed.
///
/// # Errors
///
/// A [`RuntimeError`] when the environment lacks the Runtime API's address, or the Runtime
/// API stops answering. Failing invocations do not stop it.
pub async fn run<S, B>(service: S) -> Result<(), lambda_runtime::Error>
where
    S: Service<lambda_http::Request, Response = http::Response<B>>,
    S::Error: Into<Diagnostic> + 'static,
    B: http_body::Body + 'static,
    B::Data: Into<Bytes>,
    B::Error: Into<Box<dyn StdError + Send + Sync + 'static>> + 'static,
{
    Ok(Runtime::from_env()?.run(service).await?)
}

/// Builds the service with `init` and runs it ([`Runtime::run_with_init`]): a failure to
/// start (a missing setting, an unreachable dependency) is reported to Lambda as the
/// function's init error instead of leaving callers waiting.
///
/// ```no_run
/// use lambda_http::{Body, Error, Request, Response, service_fn};
///
/// #[tokio::main]
/// async fn main() -> Result<(), lambda_http::Error> {
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
/// As [`run`], and a [`RuntimeError`] of kind [`RuntimeErrorKind::Init`] when `init`
/// failed.
pub async fn run_with_init<F, Fut, S, E, B>(init: F) -> Result<(), lambda_runtime::Error>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<S, E>>,
    E: Into<Diagnostic> + 'static,
    S: Service<lambda_http::Request, Response = http::Response<B>>,
    S::Error: Into<Diagnostic> + 'static,
    B: http_body::Body + 'static,
    B::Data: Into<Bytes>,
    B::Error: Into<Box<dyn StdError + Send + Sync + 'static>> + 'static,
{
    Ok(Runtime::from_env()?.run_with_init(init).await?)
}
