//! One invocation: the event as a `lambda_http::Request`, the handler's response as the
//! frames to send, a `400` for an event that is a bad HTTP request, and every failure
//! before the first byte as a `Diagnostic`.

use std::error::Error as StdError;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderMap;
use http_body_util::Full;
use lambda_http::RequestExt;
use lambda_runtime::Diagnostic;
use lambda_stream::{DELIMITER, Dialect, MetadataPrelude, ResponseConfig, ResponseStream};

use crate::event::{self, EventError, EventErrorKind};
use crate::wire::{BodyChunks, BoxWire, WireBody};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

pub(crate) const REQUEST_ID: &str = "lambda-runtime-aws-request-id";
const DEADLINE: &str = "lambda-runtime-deadline-ms";

/// A diagnostic of our own making.
pub(crate) fn diagnostic(error_type: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        error_type: error_type.to_owned(),
        error_message: message.into(),
    }
}

/// `error`'s message followed by its causes', for a diagnostic (which has no trace).
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

/// Why an invocation's handler is not called.
pub(crate) enum Refusal {
    /// The event is an HTTP request that cannot be read: answered `400`.
    BadRequest(EventError),
    /// Reported to `.../error`.
    Failed(Diagnostic),
}

/// The event of one invocation, as `lambda_http::run_with_streaming_response` hands it to
/// its service: a `lambda_http::Request` with the invocation's `lambda_runtime::Context`
/// and the `x-amzn-trace-id` header; and the prelude dialect of the event's source (API
/// Gateway REST for its events, the function URL one otherwise). Never panics, whatever
/// the event holds (see [`event::request_from_event`]).
pub(crate) fn request(
    headers: &HeaderMap,
    event: &Bytes,
    config: &Arc<lambda_runtime::Config>,
) -> Result<(lambda_http::Request, lambda_runtime::Context, Dialect), Refusal> {
    let invalid = |what: String| Refusal::Failed(diagnostic("Runtime.InvalidEvent", what));
    let request_id = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // `Context::new` panics without it.
    if headers.get(DEADLINE).is_none() {
        return Err(invalid(format!(
            "the Runtime API sent invocation {request_id} without a `{DEADLINE}` header"
        )));
    }
    let context = lambda_runtime::Context::new(request_id, config.clone(), headers)
        .map_err(|e| invalid(format!("the invocation's headers: {}", chain(e.as_ref()))))?;
    let (mut request, dialect) = event::parse(event).map_err(|e| match e.kind() {
        EventErrorKind::BadRequest => Refusal::BadRequest(e),
        _ => invalid(chain(&e)),
    })?;
    if let Some(trace) = context
        .xray_trace_id
        .as_deref()
        .and_then(|t| http::HeaderValue::from_str(t).ok())
    {
        request.headers_mut().insert("x-amzn-trace-id", trace);
    }
    Ok((
        request.with_lambda_context(context.clone()),
        context,
        dialect,
    ))
}

/// The frames of the `400` that answers an event which is a bad HTTP request: its reason,
/// and its causes, as one line of text.
pub(crate) fn bad_request(
    error: &EventError,
    defaults: &ResponseConfig,
    dialect: Dialect,
) -> Result<BoxWire, Diagnostic> {
    let mut response = http::Response::new(Full::new(Bytes::from(chain(error) + "\n")));
    *response.status_mut() = http::StatusCode::BAD_REQUEST;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    frames(response, defaults, dialect)
}

/// The frames of a handler's response, or why it cannot be sent (before any byte).
///
/// The prelude is the response's status and headers, spelled as the `MetadataPrelude` in
/// its extensions says where there is one; the framing and budget are a `ResponseConfig` in
/// its extensions, or `defaults` in `dialect`. A body whose size hint says it cannot fit the
/// budget is refused here rather than cut later.
pub(crate) fn frames<B>(
    response: http::Response<B>,
    defaults: &ResponseConfig,
    dialect: Dialect,
) -> Result<BoxWire, Diagnostic>
where
    B: http_body::Body + 'static,
    B::Data: Into<Bytes>,
    B::Error: Into<BoxError>,
{
    let (parts, body) = response.into_parts();
    let prelude = match parts.extensions.get::<MetadataPrelude>() {
        Some(spelled) => spelled.for_parts(&parts),
        None => MetadataPrelude::try_from(&parts),
    };
    let invalid = |e: &dyn StdError| {
        diagnostic(
            "Response.InvalidPrelude",
            format!("the response's status and headers cannot be sent: {e}"),
        )
    };
    let prelude = prelude.map_err(|e| invalid(&e))?;
    let config = parts
        .extensions
        .get::<ResponseConfig>()
        .copied()
        .unwrap_or_else(|| defaults.dialect(dialect));
    let prelude_len = prelude
        .encode(config.dialect_value())
        .map_err(|e| invalid(&e))?
        .len()
        + DELIMITER.len();
    let body_len = body.size_hint().lower();
    let limit = config.max_bytes_value();
    if (prelude_len as u64).saturating_add(body_len) > limit {
        return Err(diagnostic(
            "Response.TooLarge",
            format!(
                "response too large: expected at most {limit} bytes (prelude included), \
                 the body alone has {body_len} and the prelude {prelude_len}; nothing was sent"
            ),
        ));
    }
    let stream = ResponseStream::with_config(&prelude, BodyChunks::new(body), &config)
        .map_err(|e| invalid(&e))?;
    Ok(Box::pin(WireBody::new(stream)))
}
