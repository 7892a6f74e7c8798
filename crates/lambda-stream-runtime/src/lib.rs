//! The Lambda Runtime API loop for streamed HTTP responses: runs any
//! `tower::Service<lambda_http::Request>` (an axum `Router`, a `lambda_http::service_fn`, a
//! service behind layers) and puts each response on the wire exactly as the Node.js runtime
//! does, with a failure after the first byte sent as the Runtime API's error trailers.
//!
//! It replaces `lambda_http::run_with_streaming_response` in one line:
//!
//! ```no_run
//! use lambda_http::{Body, Error, Request, Response, service_fn};
//!
//! async fn handler(_request: Request) -> Result<Response<Body>, Error> {
//!     Ok(Response::new(Body::from("hello")))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     // Was: lambda_http::run_with_streaming_response(service_fn(handler)).await
//!     lambda_stream_runtime::run(service_fn(handler)).await?;
//!     Ok(())
//! }
//! ```
//!
//! # Why
//!
//! `lambda_runtime` 1.x (so also `lambda_http`) writes a body's failure into the body as
//! text and ends the response normally: the caller gets a clean, complete-looking `200`
//! whose body is not the object, and the invocation is recorded as a success. This runtime
//! ends the request with the `Lambda-Runtime-Function-Error-Type` and
//! `Lambda-Runtime-Function-Error-Body` trailers instead, as the Node.js runtime does: Lambda
//! records the error and ends the caller's response abnormally, so the failure stays
//! visible. See [`Runtime`] for the wire, the errors reported before the first byte,
//! panics, concurrency and the memory bound.
//!
//! Bodies get `lambda-stream`'s read-ahead, framing and 200 MiB budget; return
//! [`lambda_stream::response`] to keep the spelling of header names (an `http::HeaderMap`
//! lowercases them) and to stream any `Stream` of bytes.
//!
//! # Example
//!
//! An axum router, with a route that streams:
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use bytes::Bytes;
//! use futures_util::stream;
//! use lambda_stream::MetadataPrelude;
//!
//! async fn numbers() -> http::Response<lambda_stream::ResponseBody<impl futures_util::Stream<Item = Result<Bytes, std::io::Error>>>> {
//!     let prelude = MetadataPrelude::builder()
//!         .header("Content-Type", "text/plain")
//!         .build()
//!         .expect("a valid prelude");
//!     let body = stream::iter((0..1000).map(|i| Ok(Bytes::from(format!("{i}\n")))));
//!     lambda_stream::response(prelude, body)
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), lambda_stream_runtime::RuntimeError> {
//!     let app = Router::new().route("/numbers", get(numbers));
//!     lambda_stream_runtime::run(app).await
//! }
//! ```
#![deny(
    unsafe_code,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms
)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod client;
mod endpoint;
mod error;
mod invocation;
mod runtime;
mod wire;

use std::error::Error as StdError;
use std::future::Future;

use bytes::Bytes;
use lambda_runtime::Diagnostic;
use tower_service::Service;

pub use error::{ConfigError, RuntimeError, RuntimeErrorKind};
pub use runtime::{Builder, Runtime};

pub use lambda_http;
pub use lambda_runtime::{Context, Diagnostic as RuntimeDiagnostic};

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
    B::Error: Into<Box<dyn StdError + Send + Sync + 'static>>,
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
    B::Error: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    Runtime::from_env()?.run_with_init(init).await
}
