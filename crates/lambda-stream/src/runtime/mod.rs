//! With feature `runtime`: running streamed HTTP handlers on the Lambda Runtime API.
//!
//! Three ways, from the most to the least faithful:
//!
//! - [`run_http`]: a handler loop on `lambda_runtime_api_client` (the client
//!   `lambda_runtime` itself uses) that receives `lambda_http::Request`s and sends each
//!   response with this crate's prelude and, when the body fails after the first byte, the
//!   `Lambda-Runtime-Function-Error-*` trailers, as the Node.js runtime does.
//! - [`http_response`], for a service run with `lambda_http::run_with_streaming_response`.
//! - [`stream_response`], for a handler run with `lambda_runtime::run`.
//!
//! The last two write the prelude with `lambda_runtime`'s own `MetadataPrelude` (the
//! [`Dialect::LambdaRuntime`](crate::Dialect) bytes: lowercase names,
//! `content-type: application/octet-stream` when none is set), so they convert the metadata
//! and stream the body raw: one prelude, never two. In every case the body goes through
//! `Prefetch`, `Rechunk` and the budget, which is reduced by the prelude's bytes.
//!
//! # What a client sees when the body fails
//!
//! On [`run_http`] the runtime request ends with the error trailers, as the Lambda Runtime
//! API documents: Lambda reads them and reports the error to the invoker. The client has
//! the status, the headers and the bytes sent before the failure, never the rest. Under
//! `cargo lambda watch` (1.9.2), which does not pass trailers on, the function URL
//! response then either stays open with no further byte, or ends there without trailers,
//! varying from run to run (the end-to-end test reads 2,200,000 of 4,400,000 bytes both
//! ways, with or without `TE: trailers`); a client sees the body is short only by its
//! length (`x-amzn-remapped-content-length`). The function goes on to its next invocation.
//!
//! `lambda_runtime` 1.x (and so `lambda_http`) does not send a failure as trailers. It
//! writes this text into the body, as data, and then ends the response normally:
//!
//! ```text
//! Lambda-Runtime-Function-Error-Type: Runtime.StreamError\r\n
//! Lambda-Runtime-Function-Error-Body: <base64 of the error's message>\r\n
//! ```
//!
//! So a client receives the status, the headers, the bytes sent before the failure, those
//! two lines (275 bytes in the end-to-end test), and a regular end of the chunked response:
//! a clean `200` whose body is not the object; the Runtime API records a success. The
//! error's message is [`StreamError`](crate::StreamError)'s `Display`. A client can tell
//! only from that text or from a length header such as `x-amzn-remapped-content-length`
//! (which the default hop-by-hop policy keeps). `lambda_http`'s adapter also drops trailer
//! frames, so [`http_response`] uses [`ErrorMode::Error`], which
//! at least gets the failure written.

mod run_http;
mod wire_body;

pub use run_http::run_http;

use std::error::Error as StdError;

use bytes::Bytes;
use futures_core::stream::TryStream;
use http::{HeaderMap, HeaderName, HeaderValue};
use lambda_stream_prelude::{DELIMITER, Dialect, MetadataPrelude, PreludeError};

use crate::body::{ErrorMode, ResponseBody};
use crate::config::ResponseConfig;
use crate::response_stream::ResponseStream;

/// The headers of `prelude` without its cookies, as `http` stores them.
fn headers(prelude: &MetadataPrelude) -> HeaderMap {
    let mut map = prelude.to_header_map();
    map.remove(http::header::SET_COOKIE);
    map
}

/// The budget left for the body once the prelude is written, in whichever layout (the
/// `lambda_runtime` one, or the function URL one of [`run_http`]) is longer.
fn body_config(
    prelude: &MetadataPrelude,
    config: &ResponseConfig,
) -> Result<ResponseConfig, PreludeError> {
    let json = prelude
        .encode(Dialect::LambdaRuntime)?
        .len()
        .max(prelude.encode(Dialect::FunctionUrl)?.len());
    let prelude_len = (json + DELIMITER.len()) as u64;
    Ok(config.max_bytes(config.max_bytes_value().saturating_sub(prelude_len)))
}

/// A `lambda_runtime::StreamResponse` for a streaming handler run with
/// `lambda_runtime::run`: `prelude` as that crate's `MetadataPrelude`, `body` as a raw
/// [`ResponseStream`].
///
/// ```no_run
/// use bytes::Bytes;
/// use futures_util::stream;
/// use lambda_runtime::{service_fn, LambdaEvent};
/// use lambda_stream::{runtime::stream_response, MetadataPrelude, ResponseConfig};
///
/// # async fn run() -> Result<(), lambda_runtime::Error> {
/// lambda_runtime::run(service_fn(|_: LambdaEvent<serde_json::Value>| async {
///     let prelude = MetadataPrelude::builder().status(200).header("Content-Type", "text/plain").build()?;
///     let body = stream::iter([Ok::<_, std::io::Error>(Bytes::from("hello"))]);
///     Ok::<_, lambda_runtime::Error>(stream_response(&prelude, body, &ResponseConfig::default())?)
/// }))
/// .await
/// # }
/// ```
///
/// # Errors
///
/// [`PreludeError::TooLarge`] if the prelude does not fit in 16 KiB.
pub fn stream_response<S>(
    prelude: &MetadataPrelude,
    body: S,
    config: &ResponseConfig,
) -> Result<lambda_runtime::StreamResponse<ResponseStream<S>>, PreludeError>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
    S::Error: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    let body = ResponseStream::raw(body, &body_config(prelude, config)?);
    let metadata_prelude = lambda_runtime::MetadataPrelude {
        status_code: prelude.status(),
        headers: headers(prelude),
        cookies: prelude.cookies().to_vec(),
    };
    Ok(lambda_runtime::StreamResponse {
        metadata_prelude,
        stream: body,
    })
}

/// An `http::Response` for a service run with `lambda_http::run_with_streaming_response`:
/// the status and headers of `prelude` (cookies as `set-cookie`, which `lambda_http` moves
/// to the prelude's `cookies`), and `body` as a raw [`ResponseBody`] that reports a failure
/// as an error.
///
/// ```no_run
/// use bytes::Bytes;
/// use futures_util::stream;
/// use lambda_http::{service_fn, Request};
/// use lambda_stream::{runtime::http_response, MetadataPrelude, ResponseConfig};
///
/// # async fn run() -> Result<(), lambda_http::Error> {
/// lambda_http::run_with_streaming_response(service_fn(|_: Request| async {
///     let prelude = MetadataPrelude::builder().status(200).header("Content-Type", "text/plain").build()?;
///     let body = stream::iter([Ok::<_, std::io::Error>(Bytes::from("hello"))]);
///     Ok::<_, lambda_http::Error>(http_response(&prelude, body, &ResponseConfig::default())?)
/// }))
/// .await
/// # }
/// ```
///
/// # Errors
///
/// [`PreludeError::TooLarge`] if the prelude does not fit in 16 KiB.
pub fn http_response<S>(
    prelude: &MetadataPrelude,
    body: S,
    config: &ResponseConfig,
) -> Result<http::Response<ResponseBody<S>>, PreludeError>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
    S::Error: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    let body = ResponseBody::new(
        ResponseStream::raw(body, &body_config(prelude, config)?),
        ErrorMode::Error,
    );
    let mut response = http::Response::new(body);
    *response.status_mut() = prelude.status();
    *response.headers_mut() = prelude.to_header_map();
    Ok(response)
}

/// The body of [`text_response`]: one chunk.
pub type TextBody = ResponseBody<
    futures_util::stream::Iter<std::option::IntoIter<Result<Bytes, std::convert::Infallible>>>,
>;

/// A short text response (an error page, say) for `lambda_http`, with
/// `content-type: text/plain; charset=utf-8`.
pub fn text_response(
    status: http::StatusCode,
    text: impl Into<String>,
) -> http::Response<TextBody> {
    let chunk = futures_util::stream::iter(Some(Ok(Bytes::from(text.into()))));
    let body = ResponseStream::raw(chunk, &ResponseConfig::default());
    let mut response = http::Response::new(ResponseBody::new(body, ErrorMode::Error));
    *response.status_mut() = status;
    response.headers_mut().insert(
        HeaderName::from_static("content-type"),
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
