//! A Lambda Runtime API emulator: a hyper server on 127.0.0.1 that
//! hands out queued events, records each response request byte for byte (chunk framing and
//! trailers included), and can stall, refuse or reset on demand.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};

mod events;
mod outcome;
mod recording;

pub use events::{api_gateway_rest_event, api_gateway_rest_request, function_url_event};
pub use outcome::{Behaviour, Invocation, Kind, Outcome, UPDATE_BUFFER, Update};

use recording::{Control, Recording};

/// What the emulator was asked to start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Keep each request's raw bytes (off for benchmarks of large bodies).
    pub record: bool,
    /// Hand each piece of a body to its [`Invocation`] (off for benchmarks: the emulator
    /// then only counts the bytes, and sends [`Update::Counted`], so that the receiving
    /// side costs as little as it can).
    pub deliver_data: bool,
    /// The function's timeout: each invocation's `Lambda-Runtime-Deadline-Ms`, and the
    /// time after which an invocation still unanswered is reported as `Sandbox.Timedout`,
    /// and one still streaming is cut and ends with that error (as Lambda does).
    pub timeout: Duration,
}

/// Lambda's longest function timeout, 15 minutes: the emulator's default.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(900);

/// The error type of an invocation that ran past its function's timeout (Lambda's).
pub const TIMED_OUT: &str = "Sandbox.Timedout";

impl Default for Options {
    fn default() -> Self {
        Options {
            record: true,
            deliver_data: true,
            timeout: MAX_TIMEOUT,
        }
    }
}

struct Queued {
    id: String,
    event: Bytes,
    ids: Ids,
    behaviour: Behaviour,
    updates: mpsc::Sender<Update>,
    raw: Arc<Mutex<Option<Bytes>>>,
    /// Set when the function takes it.
    deadline: Option<tokio::time::Instant>,
}

impl Queued {
    /// Answers the invocation with an error report of the emulator's own (the function's
    /// timeout, its exit), as Lambda reports it: the `/error` a runtime would have posted.
    fn report(self, error_type: &str, message: &str) {
        let mut headers = HeaderMap::new();
        if let Ok(v) = http::HeaderValue::from_str(error_type) {
            headers.insert("lambda-runtime-function-error-type", v);
        }
        let body = serde_json::json!({ "errorType": error_type, "errorMessage": message });
        // Nothing of the answer was sent yet: the channel has room for these three.
        let _ = self.updates.try_send(Update::Started {
            kind: Kind::Error,
            headers,
        });
        let _ = self
            .updates
            .try_send(Update::Data(Bytes::from(body.to_string())));
        let _ = self.updates.try_send(Update::End { complete: true });
    }
}

/// What identifies an invocation to the function besides its request id: the X-Ray trace
/// id (`Lambda-Runtime-Trace-Id`) and the tenant id (`Lambda-Runtime-Aws-Tenant-Id`, for
/// functions in tenant isolation mode).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ids {
    /// The trace id; `None`: one of the emulator's own, different for each invocation.
    pub trace_id: Option<String>,
    /// The tenant id; `None`: the header is not sent.
    pub tenant_id: Option<String>,
}

/// The emulator's trace id for its `n`th invocation, in X-Ray's format and different for
/// each invocation.
fn trace_id(n: u64) -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    format!(
        "Root=1-{:08x}-{:08x}{n:016x};Parent={n:016x};Sampled=1",
        secs & 0xffff_ffff,
        std::process::id()
    )
}

/// The trailers that end a response cut at the function's timeout.
fn timeout_trailers(message: &str) -> HeaderMap {
    use base64::Engine as _;
    let body = serde_json::json!({ "errorType": TIMED_OUT, "errorMessage": message, "trace": [] });
    let mut trailers = HeaderMap::new();
    trailers.insert(
        "lambda-runtime-function-error-type",
        http::HeaderValue::from_static(TIMED_OUT),
    );
    if let Ok(v) = http::HeaderValue::from_str(
        &base64::engine::general_purpose::STANDARD.encode(body.to_string()),
    ) {
        trailers.insert("lambda-runtime-function-error-body", v);
    }
    trailers
}

/// An extension registered with the Extensions API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// Its `Lambda-Extension-Name`.
    pub name: String,
    /// The events it subscribed to (`INVOKE`, `SHUTDOWN`).
    pub events: Vec<String>,
    /// The `Lambda-Extension-Identifier` it was given.
    pub id: String,
}

#[derive(Default)]
struct Shared {
    extensions: Mutex<Vec<Extension>>,
    /// Set when the shutdown phase begins: the deadline, in milliseconds since the epoch.
    shutting_down: Mutex<Option<u128>>,
    shutdown_begun: Notify,
    queue: Mutex<VecDeque<Queued>>,
    queued: Notify,
    open: Mutex<HashMap<String, Queued>>,
    init_error: Mutex<Option<Outcome>>,
    init_posted: Notify,
    shutdown: AtomicBool,
    next_requests: AtomicU64,
    ids: AtomicU64,
    timeouts: AtomicU64,
    record: bool,
    deliver_data: bool,
    timeout: Duration,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The Runtime API of one function, on a free 127.0.0.1 port, served by its own thread
/// (so it works under any runtime, and heap measurements of the function's thread never
/// count it); stopped, with every connection, when dropped.
///
/// Queue events with [`invoke`](Self::invoke); a function pointed at
/// [`endpoint`](Self::endpoint) takes them from `GET /2018-06-01/runtime/invocation/next`
/// in order (the call waits while the queue is empty), and its answer arrives on the
/// [`Invocation`]. After [`shutdown`](Self::shutdown), `next` answers `410 Gone`, which
/// ends a runtime's loop.
#[derive(Debug)]
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<SharedHandle>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct SharedHandle(Shared);

impl std::fmt::Debug for SharedHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("queued", &lock(&self.0.queue).len())
            .field("open", &lock(&self.0.open).len())
            .finish_non_exhaustive()
    }
}

impl RuntimeApi {
    /// Starts an emulator that records raw requests.
    ///
    /// # Errors
    ///
    /// If no port can be bound or the thread cannot start.
    pub fn start() -> io::Result<RuntimeApi> {
        RuntimeApi::start_with(Options::default())
    }

    /// Starts an emulator with `options`.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn start_with(options: Options) -> io::Result<RuntimeApi> {
        let shared = Arc::new(SharedHandle(Shared {
            record: options.record,
            deliver_data: options.deliver_data,
            timeout: options.timeout,
            ..Shared::default()
        }));
        let listener = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name("runtime-api".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        () = accept(listener, state) => {}
                        _ = stopped => {}
                    }
                });
            })?;
        Ok(RuntimeApi {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:PORT`, the value of `AWS_LAMBDA_RUNTIME_API` for a function.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// The environment a function process needs to run against this emulator.
    pub fn function_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_LAMBDA_RUNTIME_API", self.endpoint()),
            ("AWS_LAMBDA_FUNCTION_NAME", "emulated".to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024".to_owned()),
        ]
    }

    /// Queues `event`, answered as [`Behaviour::Accept`] says.
    pub fn invoke(&self, event: impl Into<Bytes>) -> Invocation {
        self.invoke_with(event, Behaviour::Accept)
    }

    /// Queues `event`, answered as `behaviour` says.
    pub fn invoke_with(&self, event: impl Into<Bytes>, behaviour: Behaviour) -> Invocation {
        self.invoke_as(event, behaviour, Ids::default())
    }

    /// Queues `event`, answered as `behaviour` says, with the trace id and tenant id of
    /// `ids` (a trace id of its own when `ids` has none).
    pub fn invoke_as(
        &self,
        event: impl Into<Bytes>,
        behaviour: Behaviour,
        mut ids: Ids,
    ) -> Invocation {
        let shared = &self.shared.0;
        let n = shared.ids.fetch_add(1, Ordering::Relaxed);
        let id = format!("8476a536-e9f4-11e8-9739-{n:012x}");
        if ids.trace_id.is_none() {
            ids.trace_id = Some(trace_id(n));
        }
        let (updates, rx) = mpsc::channel(UPDATE_BUFFER);
        let raw = Arc::new(Mutex::new(None));
        lock(&shared.queue).push_back(Queued {
            id: id.clone(),
            event: event.into(),
            ids,
            behaviour,
            updates,
            raw: raw.clone(),
            deadline: None,
        });
        shared.queued.notify_waiters();
        Invocation {
            request_id: id,
            updates: rx,
            raw,
        }
    }

    /// From now on, `next` answers `410 Gone` (a runtime then stops).
    pub fn shutdown(&self) {
        self.shared.0.shutdown.store(true, Ordering::SeqCst);
        self.shared.0.queued.notify_waiters();
    }

    /// The extensions registered so far.
    pub fn extensions(&self) -> Vec<Extension> {
        lock(&self.shared.0.extensions).clone()
    }

    /// Begins the shutdown phase: the `next` request of every extension subscribed to
    /// `SHUTDOWN` is answered with that event, its deadline `deadline` from now. (The
    /// process signals are the local Lambda's: [`LocalLambda::shutdown`].)
    ///
    /// [`LocalLambda::shutdown`]: crate::LocalLambda::shutdown
    pub fn begin_shutdown(&self, deadline: Duration) {
        let at = (SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            + deadline)
            .as_millis();
        *lock(&self.shared.0.shutting_down) = Some(at);
        self.shared.0.shutdown_begun.notify_waiters();
    }

    /// Answers every invocation a function took and has not begun to answer with an error
    /// report of type `error_type` (`Runtime.ExitError` when its process exited, say), as
    /// Lambda reports an invocation whose function died; returns how many there were.
    pub fn abandon_taken(&self, error_type: &str, message: &str) -> usize {
        let taken: Vec<Queued> = lock(&self.shared.0.open).drain().map(|(_, q)| q).collect();
        let n = taken.len();
        for queued in taken {
            let message = format!("RequestId: {} Error: {message}", queued.id);
            queued.report(error_type, &message);
        }
        n
    }

    /// How many invocations the function has taken and not yet begun to answer.
    pub fn taken(&self) -> usize {
        lock(&self.shared.0.open).len()
    }

    /// How many invocations ran past the function's timeout so far.
    pub fn timeouts(&self) -> u64 {
        self.shared.0.timeouts.load(Ordering::SeqCst)
    }

    /// How many `next` requests arrived so far (including waiting ones).
    pub fn next_requests(&self) -> u64 {
        self.shared.0.next_requests.load(Ordering::SeqCst)
    }

    /// The init error the function posted, waiting up to `limit` for it.
    pub async fn init_error(&self, limit: Duration) -> Option<Outcome> {
        let shared = &self.shared.0;
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let posted = shared.init_posted.notified();
            if let Some(outcome) = lock(&shared.init_error).clone() {
                return Some(outcome);
            }
            if tokio::time::timeout_at(deadline, posted).await.is_err() {
                return lock(&shared.init_error).clone();
            }
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept(listener: TcpListener, shared: Arc<SharedHandle>) {
    // Owned here: when the accept loop stops, every connection stops with it.
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        let io = Recording::new(stream, shared.0.record);
        let control = io.control.clone();
        let shared = shared.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                serve(shared.clone(), control.clone(), request)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(io), service)
                .await;
        });
    }
}

type Answer = Response<Full<Bytes>>;

fn answer(status: StatusCode, body: &'static str) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r
}

async fn serve(
    shared: Arc<SharedHandle>,
    control: Arc<Control>,
    request: Request<Incoming>,
) -> Result<Answer, io::Error> {
    let shared_arc = shared.clone();
    let shared = &shared.0;
    let path = request.uri().path().to_owned();
    if let Some(what) = path.strip_prefix("/2020-01-01/extension/") {
        return Ok(extension(&shared_arc, what, request).await);
    }
    let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") else {
        return Ok(answer(StatusCode::NOT_FOUND, "unknown path"));
    };
    match (request.method(), rest) {
        (&Method::GET, "invocation/next") => {
            control.take_raw();
            shared.next_requests.fetch_add(1, Ordering::SeqCst);
            next(&shared_arc).await
        }
        (&Method::POST, "init/error") => {
            let (parts, body) = request.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let outcome = Outcome {
                kind: Kind::Error,
                headers: parts.headers,
                body,
                trailers: HeaderMap::new(),
                complete: true,
                raw: control.take_raw(),
            };
            *lock(&shared.init_error) = Some(outcome);
            shared.init_posted.notify_waiters();
            Ok(answer(StatusCode::ACCEPTED, r#"{"status":"OK"}"#))
        }
        (&Method::POST, rest) => {
            let Some((id, what)) = rest
                .strip_prefix("invocation/")
                .and_then(|r| r.rsplit_once('/'))
            else {
                return Ok(answer(StatusCode::NOT_FOUND, "unknown path"));
            };
            let kind = match what {
                "response" => Kind::Response,
                "error" => Kind::Error,
                _ => return Ok(answer(StatusCode::NOT_FOUND, "unknown path")),
            };
            let Some(queued) = lock(&shared.open).remove(id) else {
                return Ok(answer(
                    StatusCode::BAD_REQUEST,
                    "unknown or finished invocation",
                ));
            };
            receive(queued, kind, request, &control, shared).await
        }
        _ => Ok(answer(StatusCode::METHOD_NOT_ALLOWED, "")),
    }
}

fn json_answer(status: StatusCode, json: &serde_json::Value) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(json.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

fn extension_error(status: StatusCode, error_type: &str, message: &str) -> Answer {
    json_answer(
        status,
        &serde_json::json!({ "errorMessage": message, "errorType": error_type }),
    )
}

/// The Extensions API (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html>):
/// `register`, during the init phase only (before the runtime's first `next`), and
/// `event/next`, which waits for the shutdown phase and answers a `SHUTDOWN` subscriber
/// with that event (an extension subscribed to no events waits for good). `INVOKE` events
/// are not sent.
async fn extension(handle: &Arc<SharedHandle>, what: &str, request: Request<Incoming>) -> Answer {
    let shared = &handle.0;
    match (request.method(), what) {
        (&Method::POST, "register") => {
            let Some(name) = request
                .headers()
                .get("lambda-extension-name")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
            else {
                return extension_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    "missing the Lambda-Extension-Name header",
                );
            };
            if shared.next_requests.load(Ordering::SeqCst) > 0 {
                return extension_error(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "extensions register during the init phase, before the runtime's first next request",
                );
            }
            let body = request
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let events = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v["events"].as_array().map(|events| {
                        events
                            .iter()
                            .filter_map(|e| e.as_str().map(str::to_owned))
                            .collect::<Vec<_>>()
                    })
                });
            let Some(events) = events else {
                return extension_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    "expected a JSON body with an `events` array of strings",
                );
            };
            if let Some(unknown) = events.iter().find(|e| *e != "INVOKE" && *e != "SHUTDOWN") {
                return extension_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    &format!("unknown event type {unknown:?}: expected INVOKE or SHUTDOWN"),
                );
            }
            let mut extensions = lock(&shared.extensions);
            let id = format!("d2fd8f27-6a4b-4b7c-9d1e-{:012x}", extensions.len());
            extensions.push(Extension {
                name,
                events,
                id: id.clone(),
            });
            let mut answer = json_answer(
                StatusCode::OK,
                &serde_json::json!({
                    "functionName": "emulated",
                    "functionVersion": "$LATEST",
                    "handler": "bootstrap",
                }),
            );
            if let Ok(v) = http::HeaderValue::from_str(&id) {
                answer
                    .headers_mut()
                    .insert("lambda-extension-identifier", v);
            }
            answer
        }
        (&Method::GET, "event/next") => {
            let id = request
                .headers()
                .get("lambda-extension-identifier")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let Some(extension) = lock(&shared.extensions)
                .iter()
                .find(|e| e.id == id)
                .cloned()
            else {
                return extension_error(
                    StatusCode::FORBIDDEN,
                    "Extension.UnknownExtensionIdentifier",
                    "unknown or missing Lambda-Extension-Identifier",
                );
            };
            let deadline = loop {
                let begun = shared.shutdown_begun.notified();
                if let Some(at) = *lock(&shared.shutting_down) {
                    break at;
                }
                begun.await;
            };
            if !extension.events.iter().any(|e| e == "SHUTDOWN") {
                // Nothing it subscribed to will come: it waits until the process ends.
                std::future::pending::<()>().await;
            }
            json_answer(
                StatusCode::OK,
                &serde_json::json!({
                    "eventType": "SHUTDOWN",
                    "shutdownReason": "spindown",
                    "deadlineMs": deadline,
                }),
            )
        }
        _ => answer(StatusCode::NOT_FOUND, "unknown path"),
    }
}

async fn next(handle: &Arc<SharedHandle>) -> Result<Answer, io::Error> {
    let shared = &handle.0;
    let mut queued = loop {
        let waiting = shared.queued.notified();
        if shared.shutdown.load(Ordering::SeqCst) {
            return Ok(answer(StatusCode::GONE, "shutting down"));
        }
        if let Some(q) = lock(&shared.queue).pop_front() {
            break q;
        }
        waiting.await;
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        + shared.timeout;
    let due = tokio::time::Instant::now() + shared.timeout;
    queued.deadline = Some(due);
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &queued.id)
        .header(
            "lambda-runtime-deadline-ms",
            deadline.as_millis().to_string(),
        )
        .header(
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:emulated",
        )
        .body(Full::new(queued.event.clone()))
        .map_err(io::Error::other)?;
    let headers = response.headers_mut();
    let ids = &queued.ids;
    for (name, value) in [
        ("lambda-runtime-trace-id", &ids.trace_id),
        ("lambda-runtime-aws-tenant-id", &ids.tenant_id),
    ] {
        if let Some(v) = value
            .as_deref()
            .and_then(|v| http::HeaderValue::from_str(v).ok())
        {
            headers.insert(name, v);
        }
    }
    let id = queued.id.clone();
    lock(&shared.open).insert(id.clone(), queued);
    // Unanswered at the deadline: reported as Lambda reports it. (One still streaming then
    // is cut by `receive`.)
    let watched = handle.clone();
    tokio::spawn(async move {
        tokio::time::sleep_until(due).await;
        let shared = &watched.0;
        let unanswered = lock(&shared.open).remove(&id);
        if let Some(queued) = unanswered {
            shared.timeouts.fetch_add(1, Ordering::SeqCst);
            let message = format!(
                "RequestId: {id} Error: Task timed out after {:.2} seconds",
                shared.timeout.as_secs_f64()
            );
            queued.report(TIMED_OUT, &message);
        }
    });
    Ok(response)
}

/// Reads a response or error request into its invocation's updates.
async fn receive(
    queued: Queued,
    kind: Kind,
    request: Request<Incoming>,
    control: &Control,
    shared: &Shared,
) -> Result<Answer, io::Error> {
    let deliver_data = shared.deliver_data;
    let deadline = queued.deadline;
    let (parts, mut body) = request.into_parts();
    let updates = queued.updates;
    let finish = |complete: bool| {
        *lock(&queued.raw) = Some(control.take_raw());
        let updates = updates.clone();
        async move {
            let _ = updates.send(Update::End { complete }).await;
        }
    };
    let _ = updates
        .send(Update::Started {
            kind,
            headers: parts.headers,
        })
        .await;
    match queued.behaviour {
        Behaviour::Answer(status) => {
            finish(false).await;
            let mut r = answer(status, "refused by the emulator");
            r.headers_mut()
                .insert("connection", http::HeaderValue::from_static("close"));
            return Ok(r);
        }
        Behaviour::StallReading(pause) => tokio::time::sleep(pause).await,
        Behaviour::Accept | Behaviour::ResetAfter(_) => {}
    }
    let reset_after = match queued.behaviour {
        Behaviour::ResetAfter(n) => Some(n),
        _ => None,
    };
    let mut received = 0u64;
    loop {
        let frame = match deadline {
            Some(due) => match tokio::time::timeout_at(due, body.frame()).await {
                Ok(frame) => frame,
                Err(_) => {
                    // Past the function's timeout: the response is cut, and fails.
                    shared.timeouts.fetch_add(1, Ordering::SeqCst);
                    let message = format!(
                        "RequestId: {} Error: Task timed out after {:.2} seconds",
                        queued.id,
                        shared.timeout.as_secs_f64()
                    );
                    let _ = updates
                        .send(Update::Trailers(timeout_trailers(&message)))
                        .await;
                    finish(false).await;
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the function's timeout",
                    ));
                }
            },
            None => body.frame().await,
        };
        match frame {
            None => break,
            Some(Err(_)) => {
                finish(false).await;
                return Err(io::Error::other("the request broke off"));
            }
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => {
                    received += data.len() as u64;
                    if deliver_data {
                        let _ = updates.send(Update::Data(data)).await;
                    }
                    if reset_after.is_some_and(|n| received >= n) {
                        control.reset.store(true, Ordering::SeqCst);
                        finish(false).await;
                        return Err(io::Error::new(
                            io::ErrorKind::ConnectionReset,
                            "reset by the emulator",
                        ));
                    }
                }
                Err(frame) => {
                    if let Ok(trailers) = frame.into_trailers() {
                        let _ = updates.send(Update::Trailers(trailers)).await;
                    }
                }
            },
        }
    }
    if !deliver_data {
        let _ = updates.send(Update::Counted(received)).await;
    }
    finish(true).await;
    Ok(answer(StatusCode::ACCEPTED, r#"{"status":"OK"}"#))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// `method path` with `headers` and `body` on a fresh connection: the status, and the
    /// answer's head and body as text.
    async fn call(
        api: &RuntimeApi,
        method: &str,
        path: &str,
        headers: &str,
        body: &str,
    ) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(api.addr()).await.unwrap();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n{headers}Connection: close\r\n\r\n{body}",
            api.endpoint(),
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, text)
    }

    const REGISTER: &str = "/2020-01-01/extension/register";

    #[tokio::test]
    async fn the_extensions_api_refuses_what_lambda_refuses() {
        let api = RuntimeApi::start().unwrap();
        let named = "Lambda-Extension-Name: probe\r\n";
        // No name; events that are not a list; an unknown event.
        assert_eq!(
            call(&api, "POST", REGISTER, "", r#"{"events":[]}"#).await.0,
            400
        );
        assert_eq!(
            call(&api, "POST", REGISTER, named, r#"{"events":"SHUTDOWN"}"#)
                .await
                .0,
            400
        );
        let (status, text) = call(&api, "POST", REGISTER, named, r#"{"events":["LOG"]}"#).await;
        assert_eq!(status, 400);
        assert!(text.contains("unknown event type \\\"LOG\\\""), "{text}");
        assert!(api.extensions().is_empty(), "none of them registered");
        // An unknown identifier's next.
        let (status, _) = call(
            &api,
            "GET",
            "/2020-01-01/extension/event/next",
            "Lambda-Extension-Identifier: nobody\r\n",
            "",
        )
        .await;
        assert_eq!(status, 403);
        // Registered during init...
        let (status, text) =
            call(&api, "POST", REGISTER, named, r#"{"events":["SHUTDOWN"]}"#).await;
        assert_eq!(status, 200);
        assert!(
            text.to_ascii_lowercase()
                .contains("lambda-extension-identifier: "),
            "{text}"
        );
        assert_eq!(api.extensions()[0].events, ["SHUTDOWN"]);
        // ...its SHUTDOWN event comes with the shutdown phase, with a deadline.
        let id = api.extensions()[0].id.clone();
        let waiting = {
            let api_addr = api.addr();
            let id = id.clone();
            tokio::spawn(async move {
                let mut stream = tokio::net::TcpStream::connect(api_addr).await.unwrap();
                let request = format!(
                    "GET /2020-01-01/extension/event/next HTTP/1.1\r\nHost: {api_addr}\r\nLambda-Extension-Identifier: {id}\r\nConnection: close\r\n\r\n"
                );
                stream.write_all(request.as_bytes()).await.unwrap();
                let mut raw = Vec::new();
                stream.read_to_end(&mut raw).await.unwrap();
                String::from_utf8_lossy(&raw).into_owned()
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "no event before the shutdown phase");
        api.begin_shutdown(Duration::from_millis(500));
        let event = waiting.await.unwrap();
        assert!(event.contains(r#""eventType":"SHUTDOWN""#), "{event}");
        assert!(event.contains(r#""deadlineMs":"#), "{event}");
        // ...but not after the runtime's first `next` (init is over).
        let _first_next = tokio::spawn({
            let addr = api.addr();
            async move {
                let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                let request = format!(
                    "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {addr}\r\n\r\n"
                );
                stream.write_all(request.as_bytes()).await.unwrap();
                let mut raw = [0u8; 1024];
                let _ = stream.read(&mut raw).await;
            }
        });
        while api.next_requests() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let named = "Lambda-Extension-Name: late\r\n";
        let (status, text) = call(&api, "POST", REGISTER, named, r#"{"events":[]}"#).await;
        assert_eq!(status, 403, "{text}");
        assert_eq!(api.extensions().len(), 1);
    }
}
