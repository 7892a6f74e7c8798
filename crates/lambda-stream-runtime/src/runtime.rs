//! `Runtime` and its `Builder`: the loop that takes invocations from the Runtime API,
//! calls the service, and posts what it answers.

use std::error::Error as StdError;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};
use http::{HeaderValue, Method, StatusCode};
use lambda_runtime::Diagnostic;
use lambda_stream::chunk::RechunkConfig;
use lambda_stream::{
    CONTENT_TYPE, Dialect, ERROR_BODY_TRAILER, ERROR_TYPE_TRAILER, ResponseConfig,
};
use tower_service::Service;
use tracing::Instrument;

use crate::client::{Answer, Client, DEFAULT_WRITE_BUFFER, MIN_WRITE_BUFFER};
use crate::endpoint::{Endpoint, path_segment};
use crate::error::{ConfigError, RuntimeError, RuntimeErrorKind};
use crate::invocation::{self, REQUEST_ID, Refusal, diagnostic};
use crate::wire::{ApiBody, panic_message};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";

/// How often, and how long apart, the request for the next invocation is retried when the
/// Runtime API cannot be reached, before the runtime gives up. Not part of the contract.
const NEXT_ATTEMPTS: u32 = 3;
const NEXT_BACKOFF: Duration = Duration::from_millis(100);

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
///     .trace_env(false)
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
    trace_env: Option<bool>,
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
        self.response = self.response.max_bytes(max_bytes);
        self
    }

    /// How far the body may be read ahead of the Runtime API connection (default: 64 KiB).
    pub fn window(mut self, window: usize) -> Self {
        self.response = self.response.window(window);
        self
    }

    /// The frame sizes and flush policy of bodies (default: 64 to 256 KiB, flushed when
    /// the body stalls).
    pub fn rechunk(mut self, rechunk: RechunkConfig) -> Self {
        self.response = self.response.rechunk(rechunk);
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

    /// Whether to set `_X_AMZN_TRACE_ID` to each invocation's X-Ray trace id, as
    /// `lambda_runtime` does (default: on when one invocation runs at a time; never when
    /// several do, since the variable is one per process). The trace id is also in the
    /// request's `x-amzn-trace-id` header and its `Context` either way.
    pub fn trace_env(mut self, on: bool) -> Self {
        self.trace_env = Some(on);
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
            response: self.response,
            dialect: self.dialect,
            trace_env: self.trace_env.unwrap_or(concurrency == 1) && concurrency == 1,
            function: Arc::new(function),
        })
    }
}

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
/// Each invocation runs in a `tracing` span `invocation` with its `request_id`.
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
    endpoint: Endpoint,
    concurrency: usize,
    write_buffer: usize,
    response: ResponseConfig,
    dialect: Option<Dialect>,
    trace_env: bool,
    function: Arc<lambda_runtime::Config>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("endpoint", &self.endpoint.to_string())
            .field("concurrency", &self.concurrency)
            .field("write_buffer", &self.write_buffer)
            .field("response", &self.response)
            .field("dialect", &self.dialect)
            .field("trace_env", &self.trace_env)
            .field("function", &self.function)
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
    pub async fn run<S, B>(self, service: S) -> Result<(), RuntimeError>
    where
        S: Service<lambda_http::Request, Response = http::Response<B>>,
        S::Error: Into<Diagnostic>,
        B: http_body::Body + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<BoxError>,
    {
        let service = Mutex::new(service);
        tracing::debug!(target: "lambda_stream_runtime", endpoint = %self.endpoint, concurrency = self.concurrency, "runtime started");
        if self.concurrency == 1 {
            return self.worker(&service).await;
        }
        let mut workers: FuturesUnordered<_> = (0..self.concurrency)
            .map(|_| self.worker(&service))
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
        E: Into<Diagnostic>,
        S: Service<lambda_http::Request, Response = http::Response<B>>,
        S::Error: Into<Diagnostic>,
        B: http_body::Body + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<BoxError>,
    {
        let started = AssertUnwindSafe(init()).catch_unwind().await;
        let service = match started {
            Ok(Ok(service)) => service,
            Ok(Err(e)) => return Err(self.report_init_error(e.into()).await),
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
        tracing::error!(target: "lambda_stream_runtime", error_type = %diagnostic.error_type, error = %diagnostic.error_message, "the function failed to start");
        let kind = RuntimeErrorKind::Init {
            error_type: diagnostic.error_type.clone(),
            message: diagnostic.error_message.clone(),
        };
        let posted = async {
            let mut client = Client::new(&self.endpoint, self.write_buffer)?;
            let request = error_request(&self.endpoint.target(INIT_ERROR), &diagnostic)?;
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

    /// One invocation slot: its own connection, one invocation at a time, forever.
    async fn worker<S, B>(&self, service: &Mutex<S>) -> Result<(), RuntimeError>
    where
        S: Service<lambda_http::Request, Response = http::Response<B>>,
        S::Error: Into<Diagnostic>,
        B: http_body::Body + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<BoxError>,
    {
        let mut client = Client::new(&self.endpoint, self.write_buffer)
            .map_err(|e| RuntimeError::new(RuntimeErrorKind::Unreachable, Some(e)))?;
        loop {
            let (parts, event) = self.next(&mut client).await?;
            let Some(request_id) = parts
                .headers
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
            else {
                tracing::error!(target: "lambda_stream_runtime", "the Runtime API sent an invocation without a request id; skipped");
                continue;
            };
            let span = tracing::info_span!(target: "lambda_stream_runtime", "invocation", request_id = %request_id);
            self.invoke(service, &mut client, &request_id, &parts.headers, &event)
                .instrument(span)
                .await;
        }
    }

    /// The next invocation's headers and event.
    async fn next(&self, client: &mut Client<ApiBody>) -> Result<Answer, RuntimeError> {
        let mut attempt = 0;
        loop {
            let request = api_request(Method::GET, &self.endpoint.target(NEXT), ApiBody::Empty)
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

    /// Calls the service for one invocation and posts its outcome. Never fails: what goes
    /// wrong is reported to the Runtime API, or logged when even that fails.
    async fn invoke<S, B>(
        &self,
        service: &Mutex<S>,
        client: &mut Client<ApiBody>,
        request_id: &str,
        headers: &http::HeaderMap,
        event: &Bytes,
    ) where
        S: Service<lambda_http::Request, Response = http::Response<B>>,
        S::Error: Into<Diagnostic>,
        B: http_body::Body + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<BoxError>,
    {
        let id = path_segment(request_id);
        let outcome = async {
            let (request, context, dialect) =
                match invocation::request(headers, event, &self.function) {
                    Ok(parsed) => parsed,
                    Err(Refusal::BadRequest(e)) => {
                        tracing::warn!(target: "lambda_stream_runtime", error = %e, "the event is not a valid HTTP request: answered 400");
                        let dialect = self.dialect.unwrap_or(e.dialect());
                        return invocation::bad_request(&e, &self.response, dialect);
                    }
                    Err(Refusal::Failed(d)) => return Err(d),
                };
            if self.trace_env {
                set_trace_env(context.xray_trace_id.as_deref());
            }
            let response = call(service, request).await?;
            invocation::frames(response, &self.response, self.dialect.unwrap_or(dialect))
        }
        .await;
        let request = match outcome {
            Ok(wire) => api_request(
                Method::POST,
                &self
                    .endpoint
                    .target(&format!("/2018-06-01/runtime/invocation/{id}/response")),
                ApiBody::Stream(wire),
            )
            .map(|mut r| {
                let h = r.headers_mut();
                h.insert(
                    "lambda-runtime-function-response-mode",
                    HeaderValue::from_static("streaming"),
                );
                h.append(
                    http::header::TRAILER,
                    HeaderValue::from_static(ERROR_TYPE_TRAILER),
                );
                h.append(
                    http::header::TRAILER,
                    HeaderValue::from_static(ERROR_BODY_TRAILER),
                );
                h.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static(CONTENT_TYPE),
                );
                r
            })
            .map_err(BoxError::from),
            Err(d) => {
                tracing::error!(target: "lambda_stream_runtime", error_type = %d.error_type, error = %d.error_message, "the invocation failed before its response started");
                error_request(
                    &self
                        .endpoint
                        .target(&format!("/2018-06-01/runtime/invocation/{id}/error")),
                    &d,
                )
            }
        };
        let request = match request {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(target: "lambda_stream_runtime", error = %e, "the response could not be posted");
                return;
            }
        };
        match client.send(&self.endpoint, request).await {
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

/// A request to the Runtime API.
fn api_request(
    method: Method,
    target: &str,
    body: ApiBody,
) -> Result<http::Request<ApiBody>, http::Error> {
    http::Request::builder()
        .method(method)
        .uri(target)
        .body(body)
}

/// `POST target` with the diagnostic's JSON and its type in
/// `Lambda-Runtime-Function-Error-Type`.
fn error_request(
    target: &str,
    diagnostic: &Diagnostic,
) -> Result<http::Request<ApiBody>, BoxError> {
    let json = serde_json::to_vec(diagnostic)?;
    let mut request = api_request(Method::POST, target, ApiBody::Full(Some(json.into())))?;
    let h = request.headers_mut();
    let error_type = HeaderValue::from_str(&diagnostic.error_type)
        .unwrap_or_else(|_| HeaderValue::from_static("Runtime.Unknown"));
    h.insert(ERROR_TYPE_TRAILER, error_type);
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(request)
}

/// Calls the service once it is ready, turning its error, or a panic in `poll_ready`,
/// `call` or the future, into a `Diagnostic`.
async fn call<S, B>(
    service: &Mutex<S>,
    request: lambda_http::Request,
) -> Result<http::Response<B>, Diagnostic>
where
    S: Service<lambda_http::Request, Response = http::Response<B>>,
    S::Error: Into<Diagnostic>,
{
    let panicked = |what: &str, panic: &(dyn std::any::Any + Send)| {
        let message = format!("the handler panicked {what}: {}", panic_message(panic));
        tracing::error!(target: "lambda_stream_runtime", %message);
        diagnostic("Runtime.Panic", message)
    };
    let mut request = Some(request);
    let future = poll_fn(|cx| {
        // One task polls every slot: the lock is never contended, and never held across an
        // await. A panic while it was held poisons it; the service is used as it is then.
        let mut service = service.lock().unwrap_or_else(PoisonError::into_inner);
        let polled = catch_unwind(AssertUnwindSafe(|| match service.poll_ready(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e.into())),
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
        Ok(Err(e)) => Err(e.into()),
        Err(panic) => Err(panicked("before its response", panic.as_ref())),
    }
}

/// Sets `_X_AMZN_TRACE_ID` for the invocation about to run, as `lambda_runtime` does.
#[allow(unsafe_code)]
fn set_trace_env(trace_id: Option<&str>) {
    // SAFETY: `set_var` and `remove_var` are unsound when another thread reads the
    // environment through libc at the same moment (Rust's own `env::var` takes the same lock
    // and is fine). They are called only when one invocation runs at a time, between
    // invocations, before the handler runs: the same place `lambda_runtime` sets it. A
    // function whose background threads call C code that reads the environment while an
    // invocation starts should turn this off with `Builder::trace_env(false)` and read the
    // trace id from the `Context` or the `x-amzn-trace-id` header.
    unsafe {
        match trace_id {
            Some(id) => std::env::set_var("_X_AMZN_TRACE_ID", id),
            None => std::env::remove_var("_X_AMZN_TRACE_ID"),
        }
    }
}
