//! A local Lambda (feature `local-lambda`): a real function binary on the test kit's
//! Runtime API emulator, with the two fronts a caller uses: `InvokeWithResponseStream` (the
//! real event-stream encoding, for the real `aws-sdk-lambda` client) and a function URL.
//!
//! Unlike `cargo lambda watch`, both fronts keep a failure visible as Lambda does: the
//! function's error (its `/error` report, or the error trailers of a streamed response)
//! arrives through `InvokeWithResponseStream` as an `InvokeComplete` with an error code, and
//! the function URL ends the client's response without its last chunk.

use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use http::{Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use lambda_stream_prelude::{CONTENT_TYPE, Decoded, PreludeDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::runtime_api::{Kind, RuntimeApi, Update, function_url_event};

/// The error code the local Lambda reports when the function's response request broke off
/// without error trailers (Lambda's own code for it is not documented).
pub const INCOMPLETE_RESPONSE: &str = "Runtime.IncompleteResponse";

/// The error code of a response over the size Lambda allows.
pub const TOO_LARGE: &str = "Function.ResponseSizeTooLarge";

/// The most a buffered Lambda response may carry: 6 MB (6,291,456 bytes, of the JSON the
/// runtime posts). Part of the AWS contract.
pub const BUFFERED_LIMIT: u64 = 6 * 1024 * 1024;

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
    /// Lambda's rate for streamed responses: the first 6 MB at full speed, then at most
    /// 2 MB/s.
    pub lambda_rate: bool,
    /// The most a streamed response may carry (Lambda's is 200 MiB); past it the response is
    /// cut and the invocation reported as [`TOO_LARGE`].
    pub streamed_limit: u64,
}

impl Default for Options {
    /// One process, no buffering, no rate, Lambda's 200 MiB.
    fn default() -> Self {
        Options {
            processes: 1,
            buffer_responses: false,
            lambda_rate: false,
            streamed_limit: 200 * 1024 * 1024,
        }
    }
}

/// One invocation through the function URL front, as the local Lambda saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The path asked for.
    pub path: String,
    /// From the invocation to the end of the function's response request: the function's
    /// busy time, what Lambda bills.
    pub busy: Duration,
    /// Body bytes the function sent (after the prelude, or the buffered body).
    pub body_bytes: u64,
    /// The error the invocation reported, as `(type, message)`: its `/error` report, its
    /// error trailers, an incomplete response, or a response over a limit.
    pub error: Option<(String, String)>,
}

/// A function binary served by the test kit's Runtime API emulator, with an
/// `InvokeWithResponseStream` front ([`endpoint`](Self::endpoint), for `aws-sdk-lambda`'s
/// `endpoint_url`) and a function URL front ([`url`](Self::url)), all on 127.0.0.1; the
/// function processes and every server stop when it is dropped.
///
/// The function URL front answers a buffered response (the JSON a buffered runtime posts)
/// with its status, headers and decoded body, or a 502 when it is over
/// [`BUFFERED_LIMIT`]; a streamed one with its prelude and body, ended without the last
/// chunk when the function reported an error after its first byte; and a 502 for an error
/// before it. [`records`](Self::records) lists what each invocation cost and reported.
#[derive(Debug)]
pub struct LocalLambda {
    api: Arc<RuntimeApi>,
    functions: Vec<Child>,
    invoke: SocketAddr,
    url: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    log: PathBuf,
    records: Arc<std::sync::Mutex<Vec<Record>>>,
}

impl LocalLambda {
    /// Starts `function` with `env` added to what the Runtime API needs, and both fronts,
    /// with the default [`Options`].
    ///
    /// # Errors
    ///
    /// What could not start.
    pub fn start(function: &Path, env: &[(&str, String)]) -> Result<LocalLambda, String> {
        LocalLambda::start_with(function, env, Options::default())
    }

    /// Starts `options.processes` processes of `function`, and both fronts.
    ///
    /// # Errors
    ///
    /// What could not start.
    pub fn start_with(
        function: &Path,
        env: &[(&str, String)],
        options: Options,
    ) -> Result<LocalLambda, String> {
        let api = Arc::new(RuntimeApi::start().map_err(|e| format!("Runtime API: {e}"))?);
        let bind = || {
            std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .map_err(|e| format!("no port on 127.0.0.1: {e}"))
        };
        let (invoke_listener, url_listener) = (bind()?, bind()?);
        let invoke = invoke_listener.local_addr().map_err(|e| e.to_string())?;
        let url = url_listener.local_addr().map_err(|e| e.to_string())?;
        let log =
            std::env::temp_dir().join(format!("lambda-stream-local-lambda-{}.log", invoke.port()));
        let file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut functions = Vec::new();
        for _ in 0..options.processes.max(1) {
            let (out, err) = (
                file.try_clone().map_err(|e| e.to_string())?,
                file.try_clone().map_err(|e| e.to_string())?,
            );
            functions.push(
                Command::new(function)
                    .envs(api.function_env())
                    .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                    .stdin(Stdio::null())
                    .stdout(out)
                    .stderr(err)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", function.display()))?,
            );
        }
        let records = Arc::new(std::sync::Mutex::new(Vec::new()));
        let front_records = records.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let (front_api, front_log) = (api.clone(), log.clone());
        let thread = std::thread::Builder::new()
            .name("local-lambda".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let (Ok(invoke), Ok(url)) = (
                        TcpListener::from_std(invoke_listener),
                        TcpListener::from_std(url_listener),
                    ) else {
                        return;
                    };
                    let log = Arc::new(front_log);
                    tokio::select! {
                        () = serve(invoke, front_api.clone(), log) => {}
                        () = url_front(url, front_api, options, front_records) => {}
                        _ = stopped => {}
                    }
                });
            })
            .map_err(|e| e.to_string())?;
        Ok(LocalLambda {
            api,
            functions,
            invoke,
            url,
            stop: Some(stop),
            thread: Some(thread),
            log,
            records,
        })
    }

    /// The invocations through the function URL front so far, in the order they ended.
    pub fn records(&self) -> Vec<Record> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// `http://127.0.0.1:PORT`, the `endpoint_url` of an `aws-sdk-lambda` client.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.invoke)
    }

    /// The function URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.url, path.trim_start_matches('/'))
    }

    /// The Runtime API the function talks to.
    pub fn runtime_api(&self) -> &RuntimeApi {
        &self.api
    }

    /// The function's output so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for LocalLambda {
    fn drop(&mut self) {
        for function in &mut self.functions {
            let _ = function.kill();
            let _ = function.wait();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

async fn serve(listener: TcpListener, api: Arc<RuntimeApi>, log: Arc<PathBuf>) {
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let (api, log) = (api.clone(), log.clone());
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let (api, log) = (api.clone(), log.clone());
                async move { Ok::<_, Infallible>(invoke(&api, &log, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A response body fed by a task.
struct Fed {
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
}

impl http_body::Body for Fed {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|item| item.map(|r| r.map(Frame::data)))
    }
}

type Answer = Response<http_body_util::Either<Fed, http_body_util::Full<Bytes>>>;

fn plain(status: StatusCode, text: &str) -> Answer {
    let mut r = Response::new(http_body_util::Either::Right(http_body_util::Full::new(
        Bytes::from(text.to_owned()),
    )));
    *r.status_mut() = status;
    r
}

/// The event-stream message of one event.
fn message(event_type: &'static str, content_type: &'static str, payload: Bytes) -> Bytes {
    let message = Message::new(payload)
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("event".into()),
        ))
        .add_header(Header::new(
            ":event-type",
            HeaderValue::String(event_type.into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String(content_type.into()),
        ));
    let mut out = BytesMut::new();
    // Writing to a `BytesMut` fails only for a message over the format's limits (16 MiB):
    // none is, the payloads being the body's pieces.
    let _ = aws_smithy_eventstream::frame::write_message_to(&message, &mut out);
    out.freeze()
}

fn invoke_complete(error: Option<(String, String)>, log_tail: Option<String>) -> Bytes {
    let mut json = serde_json::Map::new();
    if let Some((code, details)) = error {
        json.insert("ErrorCode".into(), code.into());
        json.insert("ErrorDetails".into(), details.into());
    }
    if let Some(tail) = log_tail {
        json.insert("LogResult".into(), tail.into());
    }
    let payload = serde_json::Value::Object(json).to_string();
    message("InvokeComplete", "application/json", Bytes::from(payload))
}

/// `(errorType, errorMessage)` of an error report: from its JSON body, with the header's
/// type when the body has none (`lambda_runtime` sends `unhandled` in the header, and the
/// type in the body).
fn report(error_type: &str, json: &str) -> (String, String) {
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
fn trailer_error(trailers: &http::HeaderMap) -> Option<(String, String)> {
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

/// `POST /2021-11-15/functions/{name}/response-streaming-invocations`.
async fn invoke(api: &RuntimeApi, log: &Path, request: Request<Incoming>) -> Answer {
    if !request
        .uri()
        .path()
        .ends_with("/response-streaming-invocations")
    {
        return plain(
            StatusCode::NOT_FOUND,
            "the local Lambda serves InvokeWithResponseStream",
        );
    }
    let tail = request
        .headers()
        .get("x-amz-log-type")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"Tail"));
    let event = match request.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return plain(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let mut invocation = api.invoke(event);
    let Some(Update::Started { kind, headers }) = invocation.next().await else {
        return plain(StatusCode::BAD_GATEWAY, "the function did not answer");
    };
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let log = log.to_path_buf();
    let log_tail = move || {
        tail.then(|| {
            let text = std::fs::read(&log).unwrap_or_default();
            let start = text.len().saturating_sub(4096);
            base64::engine::general_purpose::STANDARD.encode(&text[start..])
        })
    };
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        let mut body = BytesMut::new();
        let mut error = None;
        let complete = loop {
            match invocation.next().await {
                Some(Update::Data(data)) if kind == Kind::Response => {
                    if tx
                        .send(Ok(message(
                            "PayloadChunk",
                            "application/octet-stream",
                            data,
                        )))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Some(Update::Data(data)) => body.extend_from_slice(&data),
                Some(Update::Trailers(t)) => error = trailer_error(&t),
                Some(Update::End { complete }) => break complete,
                Some(_) => {}
                None => break false,
            }
        };
        let error = match kind {
            Kind::Error => Some(report(
                headers
                    .get("lambda-runtime-function-error-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("Unhandled"),
                &String::from_utf8_lossy(&body),
            )),
            Kind::Response => error.or_else(|| {
                (!complete).then(|| {
                    (
                        INCOMPLETE_RESPONSE.to_owned(),
                        "the function's response broke off".to_owned(),
                    )
                })
            }),
        };
        let _ = tx.send(Ok(invoke_complete(error, log_tail()))).await;
    });
    let mut response = Response::new(http_body_util::Either::Left(Fed { rx }));
    let h = response.headers_mut();
    let content_type = match kind {
        Kind::Response => content_type,
        Kind::Error => "application/json".to_owned(),
    };
    if let Ok(v) = http::HeaderValue::from_str(&content_type) {
        h.insert(http::header::CONTENT_TYPE, v);
    }
    h.insert(
        "x-amz-executed-version",
        http::HeaderValue::from_static("$LATEST"),
    );
    response
}

/// A function URL front, written on the socket itself (one request per connection), so
/// that it can end a failed response as Lambda does: every byte the function sent, then the
/// connection closed without the last chunk.
async fn url_front(
    listener: TcpListener,
    api: Arc<RuntimeApi>,
    options: Options,
    records: Arc<std::sync::Mutex<Vec<Record>>>,
) {
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let (api, records) = (api.clone(), records.clone());
        connections.spawn(async move {
            let _ = function_url(&api, stream, options, &records).await;
        });
    }
}

/// The request line and headers of a request.
async fn read_head(stream: &mut TcpStream) -> io::Result<(String, String, Vec<(String, String)>)> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if raw.len() > 64 * 1024 {
            return Err(io::Error::other("request head over 64 KiB"));
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(io::Error::other(
                "the connection closed in the request head",
            ));
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or("GET").to_owned();
    let target = request_line.next().unwrap_or("/").to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok((method, target, headers))
}

async fn write_plain(stream: &mut TcpStream, status: StatusCode, text: &str) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {} {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        text.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.shutdown().await
}

fn status_line(status: u16) -> String {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    format!("HTTP/1.1 {status} {reason}\r\n")
}

/// Where the front reads the function's answer from: the invocation itself (the client's
/// pace reaches the function), or a queue a task fills as fast as the function sends (as
/// Lambda buffers).
enum Source {
    Direct(super::runtime_api::Invocation),
    /// Each update with the moment it arrived from the function.
    Buffered(mpsc::UnboundedReceiver<(Update, tokio::time::Instant)>),
}

impl Source {
    fn new(mut invocation: super::runtime_api::Invocation, buffer: bool) -> Source {
        if !buffer {
            return Source::Direct(invocation);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(update) = invocation.next().await {
                if tx.send((update, tokio::time::Instant::now())).is_err() {
                    return;
                }
            }
        });
        Source::Buffered(rx)
    }

    /// The next update, and when it arrived from the function.
    async fn next(&mut self) -> Option<(Update, tokio::time::Instant)> {
        match self {
            Source::Direct(invocation) => invocation
                .next()
                .await
                .map(|u| (u, tokio::time::Instant::now())),
            Source::Buffered(rx) => rx.recv().await,
        }
    }
}

/// Lambda's pace for a streamed response: after the first 6 MB, at most 2 MB/s.
struct Rate {
    on: bool,
    sent: u64,
    started: Option<tokio::time::Instant>,
}

impl Rate {
    const FREE: u64 = 6_000_000;
    const PER_SECOND: f64 = 2_000_000.0;

    async fn pass(&mut self, len: u64) {
        self.sent += len;
        if !self.on || self.sent <= Rate::FREE {
            return;
        }
        let started = *self.started.get_or_insert_with(tokio::time::Instant::now);
        let due = Duration::from_secs_f64((self.sent - Rate::FREE) as f64 / Rate::PER_SECOND);
        tokio::time::sleep_until(started + due).await;
    }
}

/// A buffered response as the runtime posts it (API Gateway payload format 2.0:
/// `statusCode`, `headers`, `cookies`, `body`, `isBase64Encoded`): its response head lines
/// and its body.
fn buffered_head_and_body(json: &[u8]) -> Option<(String, Bytes)> {
    let value: serde_json::Value = serde_json::from_slice(json).ok()?;
    let status = value
        .get("statusCode")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(200);
    let mut head = status_line(u16::try_from(status).ok()?);
    if let Some(headers) = value.get("headers").and_then(serde_json::Value::as_object) {
        for (name, v) in headers {
            head.push_str(&format!("{name}: {}\r\n", v.as_str().unwrap_or_default()));
        }
    }
    if let Some(cookies) = value.get("cookies").and_then(serde_json::Value::as_array) {
        for cookie in cookies {
            head.push_str(&format!(
                "set-cookie: {}\r\n",
                cookie.as_str().unwrap_or_default()
            ));
        }
    }
    let text = value
        .get("body")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    let base64 = value
        .get("isBase64Encoded")
        .and_then(serde_json::Value::as_bool)
        == Some(true);
    let body = if base64 {
        Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()?,
        )
    } else {
        Bytes::from(text.to_owned())
    };
    Some((head, body))
}

fn chunk_of(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

const BAD_GATEWAY: &str = "Internal Server Error";

/// A function URL request: the function's prelude as the status and headers, its body as
/// the chunked body, and a connection closed without the last chunk when it fails after
/// its first byte; a buffered response as a whole one; a 502 for an error before the first
/// byte or a buffered response over the limit.
async fn function_url(
    api: &RuntimeApi,
    mut stream: TcpStream,
    options: Options,
    records: &std::sync::Mutex<Vec<Record>>,
) -> io::Result<()> {
    let (method, target, headers) = read_head(&mut stream).await?;
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let invoked = tokio::time::Instant::now();
    let mut record = Record {
        path: target.clone(),
        busy: Duration::ZERO,
        body_bytes: 0,
        error: None,
    };
    let finish = |mut record: Record| {
        record.busy = invoked.elapsed();
        records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(record);
    };
    let mut invocation = api.invoke(function_url_event(&method, &target, &pairs));
    let Some(Update::Started { kind, headers }) = invocation.next().await else {
        record.error = Some((INCOMPLETE_RESPONSE.to_owned(), "no answer".to_owned()));
        finish(record);
        return write_plain(&mut stream, StatusCode::BAD_GATEWAY, BAD_GATEWAY).await;
    };
    let streamed = headers
        .get("lambda-runtime-function-response-mode")
        .is_some_and(|v| v.as_bytes() == b"streaming");
    if kind == Kind::Error || !streamed {
        // A whole request: an error report, or a buffered response.
        let mut whole = BytesMut::new();
        while let Some(update) = invocation.next().await {
            match update {
                Update::Data(data) => whole.extend_from_slice(&data),
                Update::End { .. } => break,
                _ => {}
            }
        }
        if kind == Kind::Error {
            let error_type = headers
                .get("lambda-runtime-function-error-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("Unhandled");
            record.error = Some(report(error_type, &String::from_utf8_lossy(&whole)));
            finish(record);
            return write_plain(&mut stream, StatusCode::BAD_GATEWAY, BAD_GATEWAY).await;
        }
        let outcome_body = whole.freeze();
        let posted = outcome_body.len() as u64;
        if posted > BUFFERED_LIMIT {
            let message = format!("a buffered response of {posted} bytes, over {BUFFERED_LIMIT}");
            record.error = Some((TOO_LARGE.to_owned(), message));
            finish(record);
            return write_plain(&mut stream, StatusCode::BAD_GATEWAY, BAD_GATEWAY).await;
        }
        let Some((head, body)) = buffered_head_and_body(&outcome_body) else {
            let message = "not a buffered HTTP response".to_owned();
            record.error = Some(("Runtime.InvalidResponse".to_owned(), message));
            finish(record);
            return write_plain(&mut stream, StatusCode::BAD_GATEWAY, BAD_GATEWAY).await;
        };
        record.body_bytes = body.len() as u64;
        finish(record);
        let head = format!(
            "{head}content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        return stream.shutdown().await;
    }
    let http = headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == CONTENT_TYPE.as_bytes());
    let mut source = Source::new(invocation, options.buffer_responses);
    let mut first = Bytes::new();
    let mut head = String::new();
    if http {
        let mut decoder = PreludeDecoder::new();
        loop {
            let Some((Update::Data(data), _)) = source.next().await else {
                record.error = Some((INCOMPLETE_RESPONSE.to_owned(), "no prelude".to_owned()));
                finish(record);
                return write_plain(&mut stream, StatusCode::BAD_GATEWAY, BAD_GATEWAY).await;
            };
            match decoder.decode(data) {
                Ok(Decoded::NeedMore) => {}
                Ok(Decoded::Prelude { prelude, body }) => {
                    head.push_str(&status_line(prelude.status().as_u16()));
                    for (name, value) in prelude.headers() {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    for cookie in prelude.cookies() {
                        head.push_str(&format!("set-cookie: {cookie}\r\n"));
                    }
                    first = body;
                    break;
                }
                Ok(Decoded::Body(_)) | Err(_) => {
                    let message = "no valid prelude".to_owned();
                    record.error = Some(("Runtime.InvalidPrelude".to_owned(), message));
                    finish(record);
                    return write_plain(&mut stream, StatusCode::BAD_GATEWAY, BAD_GATEWAY).await;
                }
            }
        }
    } else {
        head.push_str("HTTP/1.1 200 OK\r\n");
        if let Some(v) = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
        {
            head.push_str(&format!("content-type: {v}\r\n"));
        }
    }
    head.push_str("transfer-encoding: chunked\r\nconnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    let mut rate = Rate {
        on: options.lambda_rate,
        sent: 0,
        started: None,
    };
    let mut pending = Some(first).filter(|f| !f.is_empty());
    let mut error = None;
    let mut ended = None;
    let complete = loop {
        let data = match pending.take() {
            Some(data) => data,
            None => match source.next().await {
                Some((Update::Data(data), _)) => data,
                Some((Update::Trailers(t), _)) => {
                    error = trailer_error(&t);
                    continue;
                }
                Some((Update::End { complete }, at)) => {
                    ended = Some(at);
                    break complete;
                }
                Some(_) => continue,
                None => break false,
            },
        };
        // Over the limit: cut there, and report it.
        let room = options.streamed_limit.saturating_sub(record.body_bytes);
        if data.len() as u64 > room {
            let keep = data.slice(..usize::try_from(room).unwrap_or(usize::MAX));
            if !keep.is_empty() {
                rate.pass(keep.len() as u64).await;
                stream.write_all(&chunk_of(&keep)).await?;
            }
            record.body_bytes += keep.len() as u64;
            let message = format!("a streamed response over {} bytes", options.streamed_limit);
            error = Some((TOO_LARGE.to_owned(), message));
            break false;
        }
        rate.pass(data.len() as u64).await;
        stream.write_all(&chunk_of(&data)).await?;
        record.body_bytes += data.len() as u64;
    };
    let error = error.or_else(|| {
        (!complete).then(|| {
            let message = "the function's response broke off".to_owned();
            (INCOMPLETE_RESPONSE.to_owned(), message)
        })
    });
    let failed = error.is_some();
    record.error = error;
    // The function's busy time ends with its response request, not with the client.
    record.busy = ended.unwrap_or_else(tokio::time::Instant::now) - invoked;
    records
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(record);
    if !failed {
        stream.write_all(b"0\r\n\r\n").await?;
    }
    // Failed: every byte sent, then the end of the connection, without the last chunk, as
    // Lambda ends the client's response.
    stream.flush().await?;
    stream.shutdown().await
}
