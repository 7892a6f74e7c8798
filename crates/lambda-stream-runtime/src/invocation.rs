//! One invocation: the event as a `lambda_http::Request`, the handler's response as the
//! frames to send, a `400` for an event that is a bad HTTP request, and every failure
//! before the first byte as a `Diagnostic`.

use std::error::Error as StdError;
use std::future::poll_fn;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::StreamExt;
use http::HeaderMap;
use http_body_util::Full;
use lambda_http::RequestExt;
use lambda_runtime::Diagnostic;
use lambda_stream::{
    Dialect, MetadataPrelude, ResponseConfig, ResponseStream, StreamError, message_of,
};
use tokio_util::sync::CancellationToken;
use tower_service::Service;

use crate::api::{self, DEADLINE, REQUEST_ID};
use crate::client::{Answer, Client};
use crate::current::CURRENT;
use crate::endpoint::Endpoint;
use crate::event::{self, EventError, EventErrorKind};
use crate::failure::{self, diagnostic};
use crate::shutdown::SHUTDOWN_ERROR;
use crate::wire::{BodyChunks, BoxWire, Cut, WireBody, panic_message};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why an invocation's handler is not called.
pub(crate) enum Refusal {
    /// The event is an HTTP request that cannot be read: answered `400`.
    BadRequest(EventError),
    /// Reported to `.../error`.
    Failed(Diagnostic),
}

/// The invocation's `lambda_runtime::Context` (its request id, deadline, trace id, tenant
/// id and the function's configuration), or why it cannot be had (before the handler runs).
pub(crate) fn context(
    headers: &HeaderMap,
    config: &Arc<lambda_runtime::Config>,
) -> Result<lambda_runtime::Context, Diagnostic> {
    let invalid = |what: String| diagnostic("Runtime.InvalidEvent", what);
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
    lambda_runtime::Context::new(request_id, config.clone(), headers).map_err(|e| {
        invalid(format!(
            "the invocation's headers: {}",
            message_of(e.as_ref())
        ))
    })
}

/// The event of one invocation, as `lambda_http::run_with_streaming_response` hands it to
/// its service: a `lambda_http::Request` with the invocation's `lambda_runtime::Context`
/// and the `x-amzn-trace-id` header; and the prelude dialect of the event's source (API
/// Gateway REST for its events, the function URL one otherwise). Never panics, whatever
/// the event holds (see [`event::request_from_event`]).
pub(crate) fn request(
    event: &Bytes,
    context: &lambda_runtime::Context,
) -> Result<(lambda_http::Request, Dialect), Refusal> {
    let (mut request, dialect) = event::parse(event).map_err(|e| match e.kind() {
        EventErrorKind::BadRequest => Refusal::BadRequest(e),
        _ => Refusal::Failed(diagnostic("Runtime.InvalidEvent", message_of(&e))),
    })?;
    if let Some(trace) = context
        .xray_trace_id
        .as_deref()
        .and_then(|t| http::HeaderValue::from_str(t).ok())
    {
        request.headers_mut().insert("x-amzn-trace-id", trace);
    }
    Ok((request.with_lambda_context(context.clone()), dialect))
}

/// The frames of the `400` that answers an event which is a bad HTTP request: its reason,
/// and its causes, as one line of text.
pub(crate) fn bad_request(
    error: &EventError,
    defaults: &ResponseConfig,
    dialect: Dialect,
    request_id: &str,
) -> Result<BoxWire, Diagnostic> {
    let mut response = http::Response::new(Full::new(Bytes::from(message_of(error) + "\n")));
    *response.status_mut() = http::StatusCode::BAD_REQUEST;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    let none = FailedStatuses::default();
    wire_body(
        response,
        &http::Method::GET,
        defaults,
        dialect,
        &none,
        request_id,
    )
}

/// Whether a response to `method` with `status` has no content (RFC 9110, 6.4.1): the
/// answer to `HEAD`, and every `1xx`, `204` and `304`. Its prelude is sent and its request
/// ends at once; a body the handler gave it anyway is dropped unread.
pub(crate) fn bodyless(method: &http::Method, status: http::StatusCode) -> bool {
    method == http::Method::HEAD
        || status.is_informational()
        || status == http::StatusCode::NO_CONTENT
        || status == http::StatusCode::NOT_MODIFIED
}

/// A handler's response as the body of the Runtime API request: the prelude (encoded
/// here, once), its delimiter and the body's frames; or why it cannot be sent (before any
/// byte). A response to `method` that has no content ([`bodyless`]) is its prelude alone.
///
/// The prelude is the response's status and headers, spelled as the `HeaderCase` in its
/// extensions says where there is one; the framing and budget are a `ResponseConfig` in
/// its extensions, or `defaults` in `dialect`. A body whose size hint says it cannot fit the
/// budget is refused here rather than cut later.
pub(crate) fn wire_body<B>(
    response: http::Response<B>,
    method: &http::Method,
    defaults: &ResponseConfig,
    dialect: Dialect,
    failed: &FailedStatuses,
    request_id: &str,
) -> Result<BoxWire, Diagnostic>
where
    B: http_body::Body + 'static,
    B::Data: Into<Bytes>,
    B::Error: Into<BoxError> + 'static,
{
    let (parts, body) = response.into_parts();
    // The response's head as it is now, spelled as its `HeaderCase` says where it has one.
    let prelude = MetadataPrelude::try_from(&parts).map_err(|e| invalid_prelude(&e))?;
    let config = parts
        .extensions
        .get::<ResponseConfig>()
        .copied()
        .unwrap_or_else(|| defaults.with_dialect(dialect));
    let failure = failed.failure(parts.status);
    if bodyless(method, parts.status) {
        if !body.is_end_stream() {
            tracing::debug!(target: "lambda_stream_runtime", status = parts.status.as_u16(), %method, "a response without content: its body is dropped unread");
        }
        drop(body);
        let empty = http_body_util::Empty::<Bytes>::new();
        return framed(&prelude, empty, failure, &config, request_id);
    }
    framed(&prelude, body, failure, &config, request_id)
}

/// A prelude that cannot be sent, as the invocation's failure.
fn invalid_prelude(e: &dyn StdError) -> Diagnostic {
    diagnostic(
        "Response.InvalidPrelude",
        format!("the response's status and headers cannot be sent: {e}"),
    )
}

/// The prelude, its delimiter and `body`'s frames, within `config`'s budget; then, when the
/// body has ended, `failure` as the error trailers.
fn framed<B>(
    prelude: &MetadataPrelude,
    body: B,
    failure: Option<StreamError>,
    config: &ResponseConfig,
    request_id: &str,
) -> Result<BoxWire, Diagnostic>
where
    B: http_body::Body + 'static,
    B::Data: Into<Bytes>,
    B::Error: Into<BoxError> + 'static,
{
    let body_len = body.size_hint().lower();
    // The prelude is encoded here, once.
    let chunks = BodyChunks::new(body).chain(futures_util::stream::iter(failure.map(Err)));
    let stream =
        ResponseStream::with_config(prelude, chunks, config).map_err(|e| invalid_prelude(&e))?;
    let prelude_len = stream.prelude_len();
    let limit = config.max_bytes();
    if (prelude_len as u64).saturating_add(body_len) > limit {
        return Err(diagnostic(
            "Response.TooLarge",
            format!(
                "response too large: expected at most {limit} bytes (prelude included), \
                 the body alone has {body_len} and the prelude {prelude_len}; nothing was sent"
            ),
        ));
    }
    Ok(Box::pin(WireBody::new(stream, request_id)))
}

/// What every invocation of a runtime shares: the function's configuration and the
/// response defaults.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) response: ResponseConfig,
    pub(crate) dialect: Option<Dialect>,
    pub(crate) failed_statuses: FailedStatuses,
    pub(crate) function: Arc<lambda_runtime::Config>,
}

/// The statuses a runtime reports as failed invocations ([`Builder::failed_statuses`]).
///
/// [`Builder::failed_statuses`]: crate::Builder::failed_statuses
#[derive(Debug, Clone, Default)]
pub(crate) struct FailedStatuses(Vec<(u16, u16)>);

impl FailedStatuses {
    pub(crate) fn add(&mut self, first: u16, last: u16) {
        self.0.push((first, last));
    }

    /// The failure a response with `status` ends with, if its status is one of them.
    fn failure(&self, status: http::StatusCode) -> Option<StreamError> {
        let code = status.as_u16();
        self.0
            .iter()
            .any(|&(first, last)| (first..=last).contains(&code))
            .then(|| {
                StreamError::new(
                    format!("Response.Status{code}"),
                    format!("the handler answered {status}"),
                )
            })
    }
}

impl Settings {
    /// Calls the service for one invocation and posts its outcome. Never fails: what goes
    /// wrong is reported to the Runtime API, or logged when even that fails.
    ///
    /// The invocation's `Context` is [`current_context`](crate::current_context) while the service's
    /// future and the body are polled: it lives in this future, never in the process, so
    /// that invocations running at once each see their own.
    pub(crate) async fn invoke<S, B>(
        &self,
        service: &Mutex<S>,
        client: &mut Client,
        endpoint: &Endpoint,
        request_id: &str,
        (parts, event): &Answer,
        cut: Option<&CancellationToken>,
    ) where
        S: Service<lambda_http::Request, Response = http::Response<B>>,
        S::Error: Into<Diagnostic> + 'static,
        B: http_body::Body + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<BoxError> + 'static,
    {
        let context = match context(&parts.headers, &self.function) {
            Ok(context) => context,
            Err(d) => return self.post(client, endpoint, request_id, Err(d)).await,
        };
        let served = CURRENT.scope(Arc::new(context.clone()), async {
            let outcome = async {
                let (request, dialect) = match request(event, &context) {
                    Ok(parsed) => parsed,
                    Err(Refusal::BadRequest(e)) => {
                        tracing::warn!(target: "lambda_stream_runtime", error = %e, "the event is not a valid HTTP request: answered 400");
                        let dialect = self.dialect.unwrap_or(e.dialect());
                        return bad_request(&e, &self.response, dialect, request_id);
                    }
                    Err(Refusal::Failed(d)) => return Err(d),
                };
                let method = request.method().clone();
                let response = match cut {
                    None => call(service, request).await?,
                    Some(cut) => tokio::select! {
                        response = call(service, request) => response?,
                        () = cut.cancelled() => return Err(diagnostic(
                            SHUTDOWN_ERROR,
                            "the function shut down before the response started",
                        )),
                    },
                };
                let dialect = self.dialect.unwrap_or(dialect);
                let failed = &self.failed_statuses;
                wire_body(response, &method, &self.response, dialect, failed, request_id)
                    .map(|wire| match cut {
                        Some(cut) => Box::pin(Cut::new(wire, cut.clone(), request_id)) as BoxWire,
                        None => wire,
                    })
            }
            .await;
            // The body is polled while it is posted: inside the scope too.
            self.post(client, endpoint, request_id, outcome).await;
        });
        served.await;
    }

    /// Posts an invocation's outcome: its response, or its failure before the first byte.
    async fn post(
        &self,
        client: &mut Client,
        endpoint: &Endpoint,
        request_id: &str,
        outcome: Result<BoxWire, Diagnostic>,
    ) {
        let request = match outcome {
            Ok(wire) => api::response(endpoint, request_id, wire).map_err(BoxError::from),
            Err(d) => {
                failure::log(
                    Some(request_id),
                    "the invocation failed before its response started",
                    &d.error_type,
                    &d.error_message,
                );
                api::invocation_error(endpoint, request_id, &d)
            }
        };
        let request = match request {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(target: "lambda_stream_runtime", error = %e, "the response could not be posted");
                return;
            }
        };
        match client.send(endpoint, request).await {
            Ok((parts, _)) if parts.status.is_success() => {}
            Ok((parts, body)) => {
                tracing::error!(target: "lambda_stream_runtime", status = parts.status.as_u16(), answer = %String::from_utf8_lossy(&body), "the Runtime API refused the response");
            }
            Err(e) => {
                tracing::error!(target: "lambda_stream_runtime", error = %e, "the response could not be posted");
            }
        }
    }
}

/// Calls the service once it is ready, turning its error, or a panic in `poll_ready`,
/// `call` or the future, into a `Diagnostic`.
async fn call<S, B>(
    service: &Mutex<S>,
    request: lambda_http::Request,
) -> Result<http::Response<B>, Diagnostic>
where
    S: Service<lambda_http::Request, Response = http::Response<B>>,
    S::Error: Into<Diagnostic> + 'static,
{
    let panicked = |what: &str, panic: &(dyn std::any::Any + Send)| {
        let message = format!("the handler panicked {what}: {}", panic_message(panic));
        diagnostic("Runtime.Panic", message)
    };
    let mut request = Some(request);
    let future = poll_fn(|cx| {
        // One task polls every slot: the lock is never contended, and never held across an
        // await. A panic while it was held poisons it; the service is used as it is then.
        let mut service = service.lock().unwrap_or_else(PoisonError::into_inner);
        let polled = catch_unwind(AssertUnwindSafe(|| match service.poll_ready(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(failure::named(e, "Handler.Failed"))),
            Poll::Ready(Ok(())) => match request.take() {
                Some(request) => Poll::Ready(Ok(service.call(request))),
                None => Poll::Ready(Err(diagnostic(
                    "Runtime.Unknown",
                    "polled after it was ready",
                ))),
            },
        }));
        match polled {
            Ok(poll) => poll,
            Err(panic) => Poll::Ready(Err(panicked("when called", panic.as_ref()))),
        }
    })
    .await?;
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(e)) => Err(failure::named(e, "Handler.Failed")),
        Err(panic) => Err(panicked("before its response", panic.as_ref())),
    }
}
