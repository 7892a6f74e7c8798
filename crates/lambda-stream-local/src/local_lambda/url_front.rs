//! The function URL front, in `RESPONSE_STREAM` mode.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use http::StatusCode;
use lambda_stream_prelude::limits;
use lambda_stream_prelude::{CONTENT_TYPE, Decoded, PreludeDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::outcome::caller_trace_id;
use super::outcome::{
    BUFFERED_LIMIT, INCOMPLETE_RESPONSE, Options, Record, TOO_LARGE, report, trailer_error,
};
use crate::runtime_api::{Behaviour, Ids, Kind, RuntimeApi, Update, api_gateway_rest_request};

/// The HTTP fronts: what differs between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Front {
    /// A function URL in `RESPONSE_STREAM` mode: payload format 2.0 events; the first 6 MB
    /// at full speed.
    FunctionUrl,
    /// An API Gateway REST API whose Lambda proxy integration streams
    /// (`responseTransferMode: STREAM`): payload format 1.0 events; the first 10 MB at
    /// full speed.
    ApiGatewayRest,
}

impl Front {
    /// How many bytes go out at full speed before Lambda's 2 MB/s.
    fn full_speed(self) -> u64 {
        match self {
            Front::FunctionUrl => limits::FULL_SPEED_BYTES,
            Front::ApiGatewayRest => limits::REST_FULL_SPEED_BYTES,
        }
    }

    /// The event of a request: `method` on `target`, with `headers` and `body`.
    fn event(self, method: &str, target: &str, headers: &[(String, String)], body: Bytes) -> Bytes {
        match self {
            Front::FunctionUrl => {
                let event = headers.iter().fold(
                    lambda_stream_invoke::FunctionUrlEvent::new(method, target),
                    |event, (name, value)| event.header(name, value),
                );
                if body.is_empty() {
                    event.to_bytes()
                } else {
                    event.body(body).to_bytes()
                }
            }
            Front::ApiGatewayRest => {
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                api_gateway_rest_request(method, target, &headers, &body)
            }
        }
    }
}

/// An HTTP front (a function URL, or an API Gateway REST API), written on the socket itself
/// (one request per connection), so that it can end a failed response as Lambda does:
/// every byte the function sent, then the connection closed without the last chunk.
pub(super) async fn url_front(
    listener: TcpListener,
    api: Arc<RuntimeApi>,
    options: Options,
    records: Arc<std::sync::Mutex<Vec<Record>>>,
    front: Front,
) {
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let (api, records) = (api.clone(), records.clone());
        connections.spawn(async move {
            let _ = function_url(&api, stream, options, &records, front).await;
        });
    }
}

/// The request line and headers of a request.
/// A request's method, target and headers (names lowercased), and the bytes read past the
/// head.
type Head = (String, String, Vec<(String, String)>, Vec<u8>);

async fn read_head(stream: &mut TcpStream) -> io::Result<Head> {
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
    let rest = raw[end + 4..].to_vec();
    Ok((method, target, headers, rest))
}

/// The request's body, as its `Content-Length` says or sent chunked; or the status and
/// reason it is refused with, before any invocation: a body over Lambda's 6 MB
/// ([`MAX_REQUEST_BYTES`](lambda_stream_prelude::limits::MAX_REQUEST_BYTES)) is a `413`, a
/// length that is not one number, both a length and chunks, or chunks that are not framed
/// as HTTP/1.1 frames them a `400`, and a transfer coding other than `chunked` a `501`:
/// never an event without its body.
async fn read_body(
    stream: &mut TcpStream,
    headers: &[(String, String)],
    read: Vec<u8>,
) -> io::Result<Result<Vec<u8>, (StatusCode, String)>> {
    let limit = lambda_stream_prelude::limits::MAX_REQUEST_BYTES;
    let coding = headers
        .iter()
        .find(|(n, _)| n == "transfer-encoding")
        .map(|(_, v)| v.trim().to_ascii_lowercase());
    let mut lengths = headers.iter().filter(|(n, _)| n == "content-length");
    let length = match (lengths.next(), lengths.next()) {
        (None, _) => None,
        (Some((_, v)), None) => match v.parse::<u64>() {
            Ok(len) => Some(len),
            Err(_) => {
                let reason = format!("the Content-Length {v:?}: expected a number of bytes");
                return Ok(Err((StatusCode::BAD_REQUEST, reason)));
            }
        },
        (Some(_), Some(_)) => {
            let reason = "two Content-Length headers".to_owned();
            return Ok(Err((StatusCode::BAD_REQUEST, reason)));
        }
    };
    match (coding.as_deref(), length) {
        (None | Some("identity"), length) => fixed(stream, read, length.unwrap_or(0), limit).await,
        (Some("chunked"), None) => chunked(stream, read, limit).await,
        (Some("chunked"), Some(_)) => Ok(Err((
            StatusCode::BAD_REQUEST,
            "both a Content-Length and a chunked body".to_owned(),
        ))),
        (Some(other), _) => Ok(Err((
            StatusCode::NOT_IMPLEMENTED,
            format!("the transfer coding {other:?}: expected chunked"),
        ))),
    }
}

/// A body of `len` bytes, `read` of them already.
async fn fixed(
    stream: &mut TcpStream,
    mut read: Vec<u8>,
    len: u64,
    limit: u64,
) -> io::Result<Result<Vec<u8>, (StatusCode, String)>> {
    if len > limit {
        let reason = format!("a request body of {len} bytes, over {limit}");
        return Ok(Err((StatusCode::PAYLOAD_TOO_LARGE, reason)));
    }
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    fill(stream, &mut read, len).await?;
    read.truncate(len);
    Ok(Ok(read))
}

/// Reads until `read` holds at least `len` bytes.
async fn fill(stream: &mut TcpStream, read: &mut Vec<u8>, len: usize) -> io::Result<()> {
    let mut buf = [0u8; 16 * 1024];
    while read.len() < len {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(io::Error::other(
                "the connection closed in the request body",
            ));
        }
        read.extend_from_slice(&buf[..n]);
    }
    Ok(())
}

/// Reads until `read[from..]` holds a CRLF; the line before it.
async fn line(stream: &mut TcpStream, read: &mut Vec<u8>, from: usize) -> io::Result<usize> {
    loop {
        if let Some(at) = read[from..].windows(2).position(|w| w == b"\r\n") {
            return Ok(from + at);
        }
        if read.len() - from > 4096 {
            return Err(io::Error::other("a chunk line over 4 KiB"));
        }
        let len = read.len() + 1;
        fill(stream, read, len).await?;
    }
}

/// A chunked body (RFC 9112, 7.1), `read` of it already: its data, at most `limit` bytes.
async fn chunked(
    stream: &mut TcpStream,
    mut read: Vec<u8>,
    limit: u64,
) -> io::Result<Result<Vec<u8>, (StatusCode, String)>> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let end = line(stream, &mut read, at).await?;
        let size_text = String::from_utf8_lossy(&read[at..end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let Ok(size) = u64::from_str_radix(size_text, 16) else {
            let reason = format!("a chunk size of {size_text:?}: expected hexadecimal digits");
            return Ok(Err((StatusCode::BAD_REQUEST, reason)));
        };
        at = end + 2;
        if size == 0 {
            // Trailer lines, then the empty line that ends the body.
            loop {
                let end = line(stream, &mut read, at).await?;
                let empty = end == at;
                at = end + 2;
                if empty {
                    return Ok(Ok(body));
                }
            }
        }
        // A size near `u64::MAX` must not wrap past the limit.
        if (body.len() as u64).saturating_add(size) > limit {
            let reason = format!("a chunked request body over {limit} bytes");
            return Ok(Err((StatusCode::PAYLOAD_TOO_LARGE, reason)));
        }
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        fill(stream, &mut read, at + size + 2).await?;
        if &read[at + size..at + size + 2] != b"\r\n" {
            let reason = "a chunk's data not followed by CRLF".to_owned();
            return Ok(Err((StatusCode::BAD_REQUEST, reason)));
        }
        body.extend_from_slice(&read[at..at + size]);
        at += size + 2;
        // What is consumed need not be kept.
        read.drain(..at);
        at = 0;
    }
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

/// The most of a function's answer the front holds ahead of a slow client. Lambda reads a
/// function's response ahead of its client, so that a slow client does not keep the
/// function busy, but not without bound: past this, the function waits (its writes block),
/// and a stalled client never makes the front hold a 200 MiB body.
pub const READ_AHEAD_LIMIT: usize = 16 * 1024 * 1024;

/// Where the front reads the function's answer from: the invocation itself (the client's
/// pace reaches the function), or a queue a task fills as fast as the function sends, up
/// to [`READ_AHEAD_LIMIT`] bytes ahead of the client (as Lambda reads ahead).
enum Source {
    Direct(crate::runtime_api::Invocation),
    /// Each update with the moment it arrived from the function, and the bytes of the
    /// read-ahead it holds.
    Buffered {
        updates: mpsc::UnboundedReceiver<(Update, tokio::time::Instant, u32)>,
        room: Arc<tokio::sync::Semaphore>,
    },
}

impl Source {
    fn new(mut invocation: crate::runtime_api::Invocation, buffer: bool) -> Source {
        if !buffer {
            return Source::Direct(invocation);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let room = Arc::new(tokio::sync::Semaphore::new(READ_AHEAD_LIMIT));
        let filled = room.clone();
        tokio::spawn(async move {
            while let Some(update) = invocation.next().await {
                let held = match &update {
                    Update::Data(data) => {
                        u32::try_from(data.len().min(READ_AHEAD_LIMIT)).unwrap_or(u32::MAX)
                    }
                    _ => 0,
                };
                match filled.acquire_many(held).await {
                    Ok(permits) => permits.forget(),
                    Err(_) => return,
                }
                if tx
                    .send((update, tokio::time::Instant::now(), held))
                    .is_err()
                {
                    return;
                }
            }
        });
        Source::Buffered { updates: rx, room }
    }

    /// The next update, and when it arrived from the function.
    async fn next(&mut self) -> Option<(Update, tokio::time::Instant)> {
        match self {
            Source::Direct(invocation) => invocation
                .next()
                .await
                .map(|u| (u, tokio::time::Instant::now())),
            Source::Buffered { updates, room } => {
                let (update, at, held) = updates.recv().await?;
                room.add_permits(held as usize);
                Some((update, at))
            }
        }
    }
}

/// Lambda's pace for a streamed response: after the first `free` bytes (6 MB; 10 MB
/// through API Gateway REST), at most 2 MB/s.
struct Rate {
    on: bool,
    free: u64,
    sent: u64,
    started: Option<tokio::time::Instant>,
}

impl Rate {
    const PER_SECOND: f64 = limits::THROTTLED_BYTES_PER_SECOND as f64;

    async fn pass(&mut self, len: u64) {
        self.sent += len;
        if !self.on || self.sent <= self.free {
            return;
        }
        let started = *self.started.get_or_insert_with(tokio::time::Instant::now);
        let due = Duration::from_secs_f64((self.sent - self.free) as f64 / Rate::PER_SECOND);
        tokio::time::sleep_until(started + due).await;
    }
}

/// The `Set-Cookie` values of a REST prelude (`bytes` start with its JSON): those in
/// `headers` and `multiValueHeaders`, in that order, and none from a `cookies` field.
fn rest_set_cookies(bytes: &[u8]) -> Vec<String> {
    let json = bytes.split(|&b| b == 0).next().unwrap_or_default();
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(json) else {
        return Vec::new();
    };
    let mut cookies = Vec::new();
    for key in ["headers", "multiValueHeaders"] {
        let Some(headers) = value.get(key).and_then(serde_json::Value::as_object) else {
            continue;
        };
        for (name, values) in headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            match values {
                serde_json::Value::String(one) => cookies.push(one.clone()),
                serde_json::Value::Array(many) => cookies.extend(
                    many.iter()
                        .filter_map(serde_json::Value::as_str)
                        .map(str::to_owned),
                ),
                _ => {}
            }
        }
    }
    cookies
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

/// Writes `data` as one HTTP/1.1 chunk: its size line, the data itself (not copied: the
/// three parts go out in vectored writes), and its CRLF.
async fn write_chunk(stream: &mut TcpStream, data: &[u8]) -> io::Result<()> {
    use std::fmt::Write as _;
    let mut size = String::with_capacity(18);
    let _ = write!(size, "{:x}\r\n", data.len());
    let mut parts: [&[u8]; 3] = [size.as_bytes(), data, b"\r\n"];
    let mut first = 0;
    while first < parts.len() {
        let slices = [
            io::IoSlice::new(parts[first]),
            io::IoSlice::new(parts.get(first + 1).copied().unwrap_or_default()),
            io::IoSlice::new(parts.get(first + 2).copied().unwrap_or_default()),
        ];
        let mut written = stream.write_vectored(&slices).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        while first < parts.len() && written >= parts[first].len() {
            written -= parts[first].len();
            first += 1;
        }
        if first < parts.len() {
            parts[first] = &parts[first][written..];
        }
    }
    Ok(())
}

const BAD_GATEWAY: &str = "Internal Server Error";

/// Whether the response to `method` with `status` has no content (RFC 9110, 6.4.1): the
/// answer to `HEAD`, and every `1xx`, `204` and `304`.
fn without_content(method: &str, status: u16) -> bool {
    method.eq_ignore_ascii_case("HEAD")
        || (100..200).contains(&status)
        || status == 204
        || status == 304
}

/// A function URL request: the function's prelude as the status and headers, its body as
/// the chunked body, and a connection closed without the last chunk when it fails after
/// its first byte; a buffered response as a whole one; a 502 for an error before the first
/// byte or a buffered response over the limit.
async fn function_url(
    api: &RuntimeApi,
    mut stream: TcpStream,
    options: Options,
    records: &std::sync::Mutex<Vec<Record>>,
    front: Front,
) -> io::Result<()> {
    let (method, target, headers, rest) = read_head(&mut stream).await?;
    let invoked = tokio::time::Instant::now();
    let mut record = Record {
        path: target.clone(),
        // Until the function's own status is known: what a failure before it answers.
        status: StatusCode::BAD_GATEWAY.as_u16(),
        first_byte: None,
        busy: Duration::ZERO,
        body_bytes: 0,
        error: None,
    };
    let body = match read_body(&mut stream, &headers, rest).await? {
        Ok(body) => body,
        Err((status, reason)) => {
            // Refused before any invocation, as Lambda refuses a request it cannot take.
            record.status = status.as_u16();
            let error_type = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "RequestTooLarge"
            } else {
                "InvalidRequest"
            };
            record.error = Some((error_type.to_owned(), reason.clone()));
            records
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(record);
            return write_plain(&mut stream, status, &reason).await;
        }
    };
    let event = front.event(&method, &target, &headers, Bytes::from(body));
    let finish = |mut record: Record| {
        record.busy = invoked.elapsed();
        records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(record);
    };
    let ids = Ids {
        trace_id: caller_trace_id(headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
        // Function URLs do not take tenant ids (tenant isolation mode excludes them).
        tenant_id: None,
    };
    let mut invocation = api.invoke_as(event, Behaviour::Accept, ids);
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
        record.status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(record.status);
        record.first_byte = Some(invoked.elapsed());
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
        // The prelude's own bytes (within its 16 KiB), for the REST front's reading of it.
        let mut prelude_bytes = BytesMut::new();
        loop {
            let data = match source.next().await {
                Some((Update::Data(data), _)) => data,
                // Error trailers before any byte (the Node.js runtime's way to fail before
                // its first byte): the error they carry, and a 502 as for an `/error`.
                Some((Update::Trailers(t), _)) if trailer_error(&t).is_some() => {
                    record.error = trailer_error(&t);
                    finish(record);
                    return write_plain(&mut stream, StatusCode::BAD_GATEWAY, BAD_GATEWAY).await;
                }
                Some(_) => continue,
                None => {
                    record.error = Some((INCOMPLETE_RESPONSE.to_owned(), "no prelude".to_owned()));
                    finish(record);
                    return write_plain(&mut stream, StatusCode::BAD_GATEWAY, BAD_GATEWAY).await;
                }
            };
            if front == Front::ApiGatewayRest && prelude_bytes.len() < limits::MAX_PRELUDE_LEN {
                prelude_bytes.extend_from_slice(&data);
            }
            match decoder.decode(data) {
                Ok(Decoded::NeedMore) => {}
                Ok(Decoded::Prelude { prelude, body }) => {
                    record.status = prelude.status().as_u16();
                    head.push_str(&status_line(record.status));
                    for (name, value) in prelude.headers() {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    let cookies = match front {
                        Front::FunctionUrl => prelude.cookies().to_vec(),
                        // API Gateway REST reads `Set-Cookie` from `multiValueHeaders` (and
                        // `headers`); a `cookies` field is not part of its format.
                        Front::ApiGatewayRest => rest_set_cookies(&prelude_bytes),
                    };
                    for cookie in cookies {
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
        record.status = StatusCode::OK.as_u16();
        head.push_str("HTTP/1.1 200 OK\r\n");
        if let Some(v) = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
        {
            head.push_str(&format!("content-type: {v}\r\n"));
        }
    }
    // A response without content by HTTP's rules has no body framing: its head is all, and
    // whatever bytes the function sends for it are not passed on.
    let no_content = without_content(&method, record.status);
    if !no_content {
        head.push_str("transfer-encoding: chunked\r\n");
    }
    head.push_str("connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    let mut rate = Rate {
        on: options.lambda_rate,
        free: front.full_speed(),
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
                write_chunk(&mut stream, &keep).await?;
            }
            record.body_bytes += keep.len() as u64;
            let message = format!("a streamed response over {} bytes", options.streamed_limit);
            error = Some((TOO_LARGE.to_owned(), message));
            break false;
        }
        if no_content {
            continue;
        }
        rate.pass(data.len() as u64).await;
        write_chunk(&mut stream, &data).await?;
        record.first_byte.get_or_insert_with(|| invoked.elapsed());
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
    if !failed && !no_content {
        stream.write_all(b"0\r\n\r\n").await?;
    }
    // Failed: every byte sent, then the end of the connection, without the last chunk, as
    // Lambda ends the client's response.
    stream.flush().await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk goes out whole and framed, however the socket takes it (a reader slower
    /// than the writes makes them partial).
    #[tokio::test]
    async fn a_chunk_is_framed_whole_through_partial_writes() {
        // Small socket buffers on both sides: a 3 MB write cannot go out in one call.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(1).unwrap();
        let addr = listener.local_addr().unwrap();
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let sent = data.clone();
        let writer = tokio::spawn(async move {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.set_send_buffer_size(4096).unwrap();
            let mut stream = socket.connect(addr).await.unwrap();
            write_chunk(&mut stream, &sent).await.unwrap();
            write_chunk(&mut stream, b"").await.unwrap();
        });
        let (mut reader, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 1000];
        loop {
            let n = reader.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            // A slow reader: the writer's vectored writes come back partial.
            tokio::task::yield_now().await;
        }
        writer.await.unwrap();
        let mut expected = format!("{:x}\r\n", data.len()).into_bytes();
        expected.extend_from_slice(&data);
        expected.extend_from_slice(b"\r\n0\r\n\r\n");
        assert!(
            got == expected,
            "{} bytes, expected {}",
            got.len(),
            expected.len()
        );
    }

    /// Lambda's rate, on tokio's paused clock (no real time passes): the first 6 MB at once,
    /// then 2 MB/s.
    #[tokio::test(start_paused = true)]
    async fn the_first_6_mb_go_at_once_then_2_mb_a_second() {
        let mut rate = Rate {
            on: true,
            free: Front::FunctionUrl.full_speed(),
            sent: 0,
            started: None,
        };
        let start = tokio::time::Instant::now();
        rate.pass(limits::FULL_SPEED_BYTES).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        rate.pass(limits::THROTTLED_BYTES_PER_SECOND).await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        rate.pass(limits::THROTTLED_BYTES_PER_SECOND / 2).await;
        assert_eq!(start.elapsed(), Duration::from_millis(1500));
        let mut off = Rate {
            on: false,
            free: Front::FunctionUrl.full_speed(),
            sent: 0,
            started: None,
        };
        let start = tokio::time::Instant::now();
        off.pass(100_000_000).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    /// Through API Gateway REST the first 10 MB go at once, then 2 MB/s.
    #[tokio::test(start_paused = true)]
    async fn through_rest_the_first_10_mb_go_at_once() {
        let mut rate = Rate {
            on: true,
            free: Front::ApiGatewayRest.full_speed(),
            sent: 0,
            started: None,
        };
        let start = tokio::time::Instant::now();
        rate.pass(10_000_000).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        rate.pass(4_000_000).await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }
}
