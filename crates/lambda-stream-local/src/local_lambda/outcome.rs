//! What both fronts share: Lambda's error codes and limits as the local Lambda applies
//! them, how the function URL front behaves, the record of an invocation, and the error a
//! function's answer reports.

use std::time::Duration;

use base64::Engine as _;
use lambda_stream_prelude::limits;

/// The error code the local Lambda reports when the function's response request broke off
/// without error trailers (Lambda's own code for it is not documented).
pub const INCOMPLETE_RESPONSE: &str = "Runtime.IncompleteResponse";

/// The error code of a response over the size Lambda allows.
pub const TOO_LARGE: &str = "Function.ResponseSizeTooLarge";

/// The most a buffered Lambda response may carry (see `lambda_stream_prelude::limits`).
pub const BUFFERED_LIMIT: u64 = limits::MAX_BUFFERED_RESPONSE_BYTES;

/// How the function URL front behaves, beyond passing bytes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How many function processes serve invocations (each one at a time, as Lambda runs
    /// one sandbox per concurrent request).
    pub processes: usize,
    /// Read the function's streamed response as fast as it comes, whatever the client's
    /// pace, as Lambda does: the function's busy time does not grow with a slow client.
    /// Off: the client's pace reaches the function (no buffering at all).
    pub buffer_responses: bool,
    /// Lambda's rate for streamed responses: the first 6 MB (10 MB through the API Gateway
    /// REST front) at full speed, then at most 2 MB/s.
    pub lambda_rate: bool,
    /// The most a streamed response may carry (Lambda's is 200 MiB); past it the response is
    /// cut and the invocation reported as [`TOO_LARGE`].
    pub streamed_limit: u64,
    /// The function URL front's port on 127.0.0.1; 0 for any free one.
    pub url_port: u16,
    /// The `InvokeWithResponseStream` front's port on 127.0.0.1; 0 for any free one.
    pub invoke_port: u16,
    /// The API Gateway REST front's port on 127.0.0.1; 0 for any free one.
    pub rest_port: u16,
    /// The function's timeout (Lambda's default for a new function is 3 s, its most 15
    /// minutes): an invocation unanswered by then fails as `Sandbox.Timedout`, one still
    /// streaming is cut and fails so; a single function process is then started again.
    pub timeout: Duration,
    /// `AWS_LAMBDA_MAX_CONCURRENCY` for the function, as Lambda Managed Instances set it:
    /// that many invocations at once in one process (the Runtime API hands them out to
    /// its concurrent `next` requests). `None`: not set, one at a time.
    pub max_concurrency: Option<usize>,
}

impl Default for Options {
    /// One process, no buffering, no rate, Lambda's 200 MiB, free ports, a 15-minute
    /// timeout.
    fn default() -> Self {
        Options {
            processes: 1,
            buffer_responses: false,
            lambda_rate: false,
            streamed_limit: limits::MAX_STREAMED_RESPONSE_BYTES,
            url_port: 0,
            invoke_port: 0,
            rest_port: 0,
            timeout: crate::runtime_api::MAX_TIMEOUT,
            max_concurrency: None,
        }
    }
}

/// One invocation through the function URL front, as the local Lambda saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The path asked for.
    pub path: String,
    /// The status the client got.
    pub status: u16,
    /// From the invocation to the first body byte written to the client, if one was.
    pub first_byte: Option<Duration>,
    /// From the invocation to the end of the function's response request: the function's
    /// busy time, what Lambda bills.
    pub busy: Duration,
    /// Body bytes the function sent (after the prelude, or the buffered body).
    pub body_bytes: u64,
    /// The error the invocation reported, as `(type, message)`: its `/error` report, its
    /// error trailers, an incomplete response, or a response over a limit.
    pub error: Option<(String, String)>,
}

/// `(errorType, errorMessage)` of an error report: from its JSON body, with the header's
/// type when the body has none (`lambda_runtime` sends `unhandled` in the header, and the
/// type in the body).
pub(super) fn report(error_type: &str, json: &str) -> (String, String) {
    let value = serde_json::from_str::<serde_json::Value>(json).ok();
    let field = |name: &str| {
        value
            .as_ref()
            .and_then(|v| v.get(name).and_then(|m| m.as_str()).map(str::to_owned))
    };
    (
        field("errorType").unwrap_or_else(|| error_type.to_owned()),
        field("errorMessage").unwrap_or_else(|| json.to_owned()),
    )
}

/// The error the trailers carry, if any.
pub(super) fn trailer_error(trailers: &http::HeaderMap) -> Option<(String, String)> {
    let error_type = trailers.get("lambda-runtime-function-error-type")?;
    let body = trailers
        .get("lambda-runtime-function-error-body")
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.as_bytes())
                .ok()
        })
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    Some(report(
        &String::from_utf8_lossy(error_type.as_bytes()),
        &body,
    ))
}

/// The trace id a caller's `X-Amzn-Trace-Id` header gives an invocation: Lambda continues a
/// caller's trace. Only a header of visible ASCII with a `Root=` field is one; otherwise
/// the invocation gets a trace id of its own.
pub(super) fn caller_trace_id<'a>(
    mut headers: impl Iterator<Item = (&'a str, &'a str)>,
) -> Option<String> {
    headers
        .find(|(name, _)| name.eq_ignore_ascii_case("x-amzn-trace-id"))
        .map(|(_, value)| value.trim())
        // A value that cannot be a header again would leave the invocation without one.
        .filter(|value| value.bytes().all(|b| b == b' ' || b.is_ascii_graphic()))
        .filter(|value| {
            value
                .split(';')
                .any(|field| field.trim().starts_with("Root="))
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_trace_id_is_continued_only_when_it_is_one() {
        let of = |value: &str| caller_trace_id([("X-Amzn-Trace-Id", value)].into_iter());
        assert_eq!(
            of("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1").as_deref(),
            Some("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
        );
        assert_eq!(of("Parent=53995c3f42cd8ad8"), None, "no Root");
        assert_eq!(of("Root=1-\u{e9}"), None, "not visible ASCII");
        assert_eq!(of("Root=1-a\tb"), None, "a control character");
    }
}
