//! `Runtime`: the loop that takes invocations from the Runtime API, one slot per
//! concurrent invocation, each on its own connection.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};
use http::StatusCode;
use lambda_runtime::Diagnostic;
use tower_service::Service;
use tracing::Instrument;

use crate::api::{self, REQUEST_ID};
use crate::builder::Builder;
use crate::client::{Answer, Client};
use crate::endpoint::Endpoint;
use crate::error::{ConfigError, RuntimeError, RuntimeErrorKind};
use crate::failure::{self, diagnostic};
use crate::invocation::Settings;
use crate::shutdown::{self, Hook, Tokens};
use crate::wire::panic_message;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// How often, and how long apart, the request for the next invocation is retried when the
/// Runtime API cannot be reached, before the runtime gives up. Not part of the contract.
const NEXT_ATTEMPTS: u32 = 3;
const NEXT_BACKOFF: Duration = Duration::from_millis(100);

/// The Lambda Runtime API loop for streamed HTTP responses.
///
/// For each invocation it parses the event into a `lambda_http::Request` (with its
/// `lambda_runtime::Context`), calls the service, and posts the response as the Node.js
/// runtime does: `POST /2018-06-01/runtime/invocation/{id}/response` with
/// `Lambda-Runtime-Function-Response-Mode: streaming`, chunked, content type
/// `application/vnd.awslambda.http-integration-response` and two `Trailer` headers; the
/// prelude JSON as one chunk, the eight NULs as the next, then the body, read ahead within
/// a window and framed in a size band, within a budget. A body that fails after its first
/// byte ends the request with the `Lambda-Runtime-Function-Error-Type` and
/// `Lambda-Runtime-Function-Error-Body` trailers (the error's own type, see
/// [`StreamError`](lambda_stream::StreamError)), so Lambda ends the client's response
/// abnormally, never cleanly.
///
/// An event is never passed to the service unchecked, and none can stop the loop (see
/// [`request_from_event`](crate::request_from_event)): an HTTP event that is not a valid
/// request (a `Host` that is not a host, a path or query that is not a URI) is answered
/// `400` with its reason as text; an event that is no HTTP request at all is reported as
/// `Runtime.InvalidEvent`.
///
/// Before the first byte, a failure is posted to `.../error` with its `Diagnostic`: the
/// service's error (through its `Into<Diagnostic>`, as `lambda_runtime` does), an event
/// that is no HTTP request (`Runtime.InvalidEvent`), a status or header that cannot be sent
/// (`Response.InvalidPrelude`), a body whose size hint is over the budget
/// (`Response.TooLarge`), a panic (`Runtime.Panic`). A panic while the body is polled ends
/// the response with the trailers. None of these stops the loop.
///
/// Each invocation runs in a `tracing` span `Lambda runtime invoke` with its `requestId`,
/// and its `xrayTraceId` and `tenantId` when it has them; its `Context` is
/// [`current_context`](crate::current_context) while its service and body are polled.
///
/// # Memory
///
/// Whatever the body's size, and however slowly the Runtime API reads, a response holds at
/// most: its read-ahead window, the frame the rechunking is building (up to the band's
/// maximum; none when the body's chunks are within the band, as they pass untouched), the
/// connection's write buffer ([`Builder::write_buffer`]) and the frame being written. The
/// body is polled only when the connection can take more. With the defaults, at most
/// 64 KiB + 256 KiB + 512 KiB + 256 KiB; a stalled connection fed 64 KiB chunks was
/// measured at a few hundred KiB (the `memory` test).
pub struct Runtime {
    pub(crate) endpoint: Endpoint,
    pub(crate) concurrency: usize,
    pub(crate) write_buffer: usize,
    pub(crate) settings: Settings,
    pub(crate) grace: Duration,
    pub(crate) shutdown: Option<Hook>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("endpoint", &self.endpoint.to_string())
            .field("concurrency", &self.concurrency)
            .field("write_buffer", &self.write_buffer)
            .field("response", &self.settings.response)
            .field("dialect", &self.settings.dialect)
            .field("failed_statuses", &self.settings.failed_statuses)
            .field("function", &self.settings.function)
            .field("grace", &self.grace)
            .field("on_shutdown", &self.shutdown.is_some())
            .finish()
    }
}

impl Runtime {
    /// A [`Builder`].
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// A runtime configured by the Lambda environment alone.
    ///
    /// # Errors
    ///
    /// As [`Builder::build`].
    ///
    /// ```
    /// use lambda_stream_runtime::Runtime;
    ///
    /// // Outside Lambda, the Runtime API's address is missing, and said so.
    /// # if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
    /// let e = Runtime::from_env().unwrap_err();
    /// assert_eq!(e.setting(), "AWS_LAMBDA_RUNTIME_API");
    /// assert_eq!(e.to_string(), "`AWS_LAMBDA_RUNTIME_API` is not set: expected it to be set (the Lambda environment sets it)");
    /// # }
    /// ```
    pub fn from_env() -> Result<Runtime, ConfigError> {
        Builder::default().build()
    }

    /// How many invocations run at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Shuts down gracefully when Lambda ends the execution environment, then runs `hook`
    /// (to flush telemetry, say); [`run`](Self::run) then returns `Ok(())`.
    ///
    /// Lambda sends `SIGTERM` at shutdown only to a function that registered an
    /// extension, and kills it 500 ms later. So the runtime registers an internal
    /// extension, subscribed to no events, with the Extensions API before it takes its
    /// first invocation. On `SIGTERM` (or `SIGINT`: Ctrl-C on a developer's machine) it
    /// takes no more invocations; those in flight have the grace period
    /// ([`Builder::shutdown_grace`], 300 ms by default) to finish; after it, a handler
    /// still running is dropped and its invocation reported as `Runtime.Shutdown`, and a
    /// body still streaming ends with the error trailers of that type (the caller's
    /// response ends abnormally, never cleanly short). Then `hook` runs.
    ///
    /// Without it, there is no extension, and Lambda ends the process without a signal
    /// (as for any function without extensions). Where the Extensions API is missing (some
    /// emulators), the runtime says so in its log and runs on; a signal still shuts it
    /// down.
    ///
    /// ```no_run
    /// use lambda_stream_runtime::Runtime;
    /// use lambda_stream_runtime::lambda_http::{Body, Error, Request, Response, service_fn};
    ///
    /// # async fn flush_telemetry() {}
    /// #[tokio::main]
    /// async fn main() -> Result<(), Error> {
    ///     let handler = service_fn(|_: Request| async { Ok::<_, Error>(Response::new(Body::from("hi"))) });
    ///     Runtime::from_env()?
    ///         .on_shutdown(|| async { flush_telemetry().await })
    ///         .run(handler)
    ///         .await?;
    ///     Ok(())
    /// }
    /// ```
    pub fn on_shutdown<F, Fut>(mut self, hook: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.shutdown = Some(Box::new(move || {
            Box::pin(hook()) as std::pin::Pin<Box<dyn Future<Output = ()>>>
        }));
        self
    }

    /// Runs `service` until the Runtime API stops answering.
    ///
    /// With a concurrency above 1, that many invocations run at once inside this future
    /// (the service's futures are polled concurrently, each on its own connection; the
    /// service is called one request at a time, after `poll_ready`), so neither the service
    /// nor its bodies need to be `Clone`, `Send` or `'static`... except the body, which the
    /// HTTP client needs `'static`.
    ///
    /// # Errors
    ///
    /// A [`RuntimeError`] when the Runtime API cannot be reached, or answers the request
    /// for the next invocation with anything but an invocation. Invocations that fail do
    /// not stop it.
    pub async fn run<S, B>(mut self, service: S) -> Result<(), RuntimeError>
    where
        S: Service<lambda_http::Request, Response = http::Response<B>>,
        S::Error: Into<Diagnostic> + 'static,
        B: http_body::Body + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<BoxError> + 'static,
    {
        let service = Mutex::new(service);
        tracing::debug!(target: "lambda_stream_runtime", endpoint = %self.endpoint, concurrency = self.concurrency, "runtime started");
        let Some(hook) = self.shutdown.take() else {
            return self.workers(&service, None).await;
        };
        let tokens = Tokens::default();
        let extension = async {
            let mut client = Client::new(&self.endpoint, self.write_buffer).ok()?;
            match shutdown::register(&mut client, &self.endpoint).await {
                Ok(id) => Some((client, id)),
                Err(e) => {
                    tracing::warn!(target: "lambda_stream_runtime", error = %e, "no extension registered: Lambda sends SIGTERM only to functions with one");
                    None
                }
            }
        }
        .await;
        let ended = async {
            match extension {
                Some((client, id)) => {
                    tokio::select! {
                        () = shutdown::extension_next(client, &self.endpoint, &id) => {}
                        () = shutdown::signal() => {}
                    }
                }
                None => shutdown::signal().await,
            }
        };
        let mut workers = std::pin::pin!(self.workers(&service, Some(&tokens)));
        tokio::select! {
            result = &mut workers => return result,
            () = ended => {}
        }
        tracing::info!(target: "lambda_stream_runtime", grace_ms = self.grace.as_millis() as u64, "shutting down: no more invocations");
        tokens.stopping.cancel();
        let result = match tokio::time::timeout(self.grace, &mut workers).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(target: "lambda_stream_runtime", "the grace period is over: invocations still running end as Runtime.Shutdown");
                tokens.cut.cancel();
                tokio::time::timeout(shutdown::CUT_LIMIT, &mut workers)
                    .await
                    .unwrap_or(Ok(()))
            }
        };
        hook().await;
        tracing::info!(target: "lambda_stream_runtime", "shut down");
        result
    }

    /// Every invocation slot, until one fails or (with `tokens`) the runtime stops taking
    /// invocations.
    async fn workers<S, B>(
        &self,
        service: &Mutex<S>,
        tokens: Option<&Tokens>,
    ) -> Result<(), RuntimeError>
    where
        S: Service<lambda_http::Request, Response = http::Response<B>>,
        S::Error: Into<Diagnostic> + 'static,
        B: http_body::Body + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<BoxError> + 'static,
    {
        if self.concurrency == 1 {
            return self.worker(service, tokens).await;
        }
        let mut workers: FuturesUnordered<_> = (0..self.concurrency)
            .map(|_| self.worker(service, tokens))
            .collect();
        let mut first_error = None;
        while let Some(result) = workers.next().await {
            if let Err(e) = result {
                tracing::error!(target: "lambda_stream_runtime", error = %e, remaining = workers.len(), "an invocation slot stopped");
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Builds the service with `init`, then runs it; if `init` fails, reports its error to
    /// the Runtime API as the function's init error (`POST /2018-06-01/runtime/init/error`,
    /// so that callers get an error rather than wait) and returns it.
    ///
    /// # Errors
    ///
    /// [`RuntimeErrorKind::Init`] after reporting an init failure; otherwise as
    /// [`run`](Self::run).
    pub async fn run_with_init<F, Fut, S, E, B>(self, init: F) -> Result<(), RuntimeError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<S, E>>,
        E: Into<Diagnostic> + 'static,
        S: Service<lambda_http::Request, Response = http::Response<B>>,
        S::Error: Into<Diagnostic> + 'static,
        B: http_body::Body + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<BoxError> + 'static,
    {
        let started = AssertUnwindSafe(init()).catch_unwind().await;
        let service = match started {
            Ok(Ok(service)) => service,
            Ok(Err(e)) => {
                return Err(self
                    .report_init_error(failure::named(e, "Init.Failed"))
                    .await);
            }
            Err(panic) => {
                let d = diagnostic(
                    "Runtime.Panic",
                    format!(
                        "the function panicked while starting: {}",
                        panic_message(panic.as_ref())
                    ),
                );
                return Err(self.report_init_error(d).await);
            }
        };
        self.run(service).await
    }

    async fn report_init_error(&self, diagnostic: Diagnostic) -> RuntimeError {
        failure::log(
            None,
            "the function failed to start",
            &diagnostic.error_type,
            &diagnostic.error_message,
        );
        let kind = RuntimeErrorKind::Init {
            error_type: diagnostic.error_type.clone(),
            message: diagnostic.error_message.clone(),
        };
        let posted = async {
            let mut client = Client::new(&self.endpoint, self.write_buffer)?;
            let request = api::init_error(&self.endpoint, &diagnostic)?;
            client.send(&self.endpoint, request).await
        }
        .await;
        match posted {
            Ok((parts, _)) if parts.status.is_success() => RuntimeError::new(kind, None),
            Ok((parts, _)) => RuntimeError::new(
                kind,
                Some(
                    format!(
                        "the Runtime API refused the init error with status {}",
                        parts.status
                    )
                    .into(),
                ),
            ),
            Err(e) => RuntimeError::new(kind, Some(e)),
        }
    }

    /// One invocation slot: its own connection, one invocation at a time, until the
    /// runtime stops taking invocations.
    async fn worker<S, B>(
        &self,
        service: &Mutex<S>,
        tokens: Option<&Tokens>,
    ) -> Result<(), RuntimeError>
    where
        S: Service<lambda_http::Request, Response = http::Response<B>>,
        S::Error: Into<Diagnostic> + 'static,
        B: http_body::Body + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<BoxError> + 'static,
    {
        let mut client = Client::new(&self.endpoint, self.write_buffer)
            .map_err(|e| RuntimeError::new(RuntimeErrorKind::Unreachable, Some(e)))?;
        loop {
            let next = match tokens {
                None => self.next(&mut client).await?,
                Some(tokens) => tokio::select! {
                    biased;
                    () = tokens.stopping.cancelled() => return Ok(()),
                    next = self.next(&mut client) => next?,
                },
            };
            let Some(request_id) = next
                .0
                .headers
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
            else {
                tracing::error!(target: "lambda_stream_runtime", "the Runtime API sent an invocation without a request id; skipped");
                continue;
            };
            let span = span(&request_id, &next.0.headers);
            self.settings
                .invoke(
                    service,
                    &mut client,
                    &self.endpoint,
                    &request_id,
                    &next,
                    tokens.map(|t| &t.cut),
                )
                .instrument(span)
                .await;
        }
    }

    /// The next invocation's headers and event.
    async fn next(&self, client: &mut Client) -> Result<Answer, RuntimeError> {
        let mut attempt = 0;
        loop {
            let request = api::next(&self.endpoint)
                .map_err(|e| RuntimeError::new(RuntimeErrorKind::Unreachable, Some(e.into())))?;
            match client.send(&self.endpoint, request).await {
                Ok((parts, event)) if parts.status == StatusCode::OK => return Ok((parts, event)),
                // No invocation yet (emulators say so after a long poll): ask again.
                Ok((parts, _)) if parts.status == StatusCode::NO_CONTENT => continue,
                Ok((parts, _)) => {
                    return Err(RuntimeError::new(
                        RuntimeErrorKind::Status(parts.status.as_u16()),
                        None,
                    ));
                }
                Err(e) => {
                    attempt += 1;
                    if attempt >= NEXT_ATTEMPTS {
                        return Err(RuntimeError::new(RuntimeErrorKind::Unreachable, Some(e)));
                    }
                    tracing::warn!(target: "lambda_stream_runtime", error = %e, attempt, "the Runtime API did not answer the next-invocation request; retrying");
                    tokio::time::sleep(NEXT_BACKOFF * attempt).await;
                }
            }
        }
    }
}

/// The span of one invocation, named and shaped as `lambda_runtime`'s: its request id, and
/// its X-Ray trace id and tenant id when it has them. A subscriber that prints spans (as
/// `tracing::init_default_subscriber` sets up) puts them on every line the handler logs.
/// At level ERROR (where `lambda_runtime`'s is INFO): a span is recorded only when its level
/// is enabled, and the request id belongs on every line, warnings and errors under
/// `AWS_LAMBDA_LOG_LEVEL=WARN` included.
fn span(request_id: &str, headers: &http::HeaderMap) -> tracing::Span {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let span = tracing::error_span!(
        "Lambda runtime invoke",
        requestId = request_id,
        xrayTraceId = tracing::field::Empty,
        tenantId = tracing::field::Empty,
    );
    if let Some(trace) = header(crate::api::TRACE_ID) {
        span.record("xrayTraceId", trace);
    }
    if let Some(tenant) = header(crate::api::TENANT_ID) {
        span.record("tenantId", tenant);
    }
    span
}
