//! Lambda's rules about a function that dies or runs too long, on the local Lambda, with a
//! stand-in function (a short Python runtime) that misbehaves on request: it exits on
//! `/exit`, never answers on `/hang`, stops half way through its body on `/stall`, sends a
//! prelude that is not JSON on `/bad-prelude` and one past 16 KiB on `/big-prelude`, streams
//! back the request's body on `/echo`, 32 MiB then `ok` on `/big`, and `ok` otherwise.

use std::time::Duration;

use lambda_stream_local::{LocalLambda, Options};
use lambda_stream_testkit::servers::build::Executable;
use lambda_stream_testkit::servers::http::get;

const FUNCTION: &str = r#"#!/usr/bin/env python3
import http.client, json, os, socket, time
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
host, port = api.rsplit(":", 1)

def chunk(data):
    return b"%x\r\n" % len(data) + data + b"\r\n"

while True:
    c = http.client.HTTPConnection(host, int(port))
    c.request("GET", "/2018-06-01/runtime/invocation/next")
    r = c.getresponse()
    event = json.loads(r.read() or b"{}")
    if r.status != 200:
        break
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    path = event.get("rawPath", "/")
    if path == "/exit":
        os._exit(3)
    if path == "/hang":
        time.sleep(3600)
    prelude = b'{"statusCode":200,"headers":{},"cookies":[]}'
    if path == "/bad-prelude":
        prelude = b"not json"
    if path == "/big-prelude":
        prelude = b'{"statusCode":200,"headers":{"x-big":"' + b"a" * 17000 + b'"},"cookies":[]}'
    body = b"ok"
    if path == "/echo":
        body = event.get("body", "").encode()
    s = socket.create_connection((host, int(port)))
    s.sendall((f"POST /2018-06-01/runtime/invocation/{rid}/response HTTP/1.1\r\n"
               "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
               "Content-Type: application/vnd.awslambda.http-integration-response\r\n"
               f"Transfer-Encoding: chunked\r\nHost: {api}\r\nConnection: close\r\n\r\n").encode())
    s.sendall(chunk(prelude) + chunk(b"\0" * 8))
    if path == "/stall":
        s.sendall(chunk(b"partial"))
        time.sleep(3600)
    if path == "/big":
        for _ in range(32):
            s.sendall(chunk(b"b" * (1 << 20)))
    s.sendall(chunk(body) + b"0\r\n\r\n")
    s.recv(65536)
    s.close()
"#;

/// The stand-in function, written to a file of its own.
fn function() -> Executable {
    Executable::write("function.py", FUNCTION).unwrap()
}

/// A GET of `path` that fails before its first byte: a `502`, and the invocation recorded
/// with `error_type` and a message holding `said`.
async fn fails_before_the_first_byte(
    lambda: &LocalLambda,
    path: &str,
    error_type: &str,
    said: &str,
) {
    let got = get(&lambda.url(path), &[]).await.unwrap();
    assert_eq!(got.status, 502, "{path}");
    let (recorded, message) = last_error(lambda, path);
    assert_eq!(recorded, error_type, "{path}");
    assert!(message.contains(said), "{path}: {message}");
}

/// The function serves `/ok` whole: it (or the process started in its place) is serving.
async fn serves_ok(lambda: &LocalLambda) {
    let ok = get(&lambda.url("/ok"), &[]).await.unwrap();
    assert_eq!(
        (ok.status, ok.body.as_slice(), ok.complete),
        (200, &b"ok"[..], true)
    );
}

/// The function URL's `127.0.0.1:PORT`.
fn address(lambda: &LocalLambda) -> String {
    lambda
        .url("/")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

fn last_error(lambda: &LocalLambda, path: &str) -> (String, String) {
    lambda
        .records()
        .iter()
        .rev()
        .find(|r| r.path == path)
        .and_then(|r| r.error.clone())
        .unwrap_or_else(|| panic!("no failure recorded for {path}: {:?}", lambda.records()))
}

#[tokio::test]
async fn a_function_that_exits_fails_its_invocation_and_is_started_again() {
    let function = function();
    let lambda = LocalLambda::start(function.path(), &[]).unwrap();
    serves_ok(&lambda).await;
    fails_before_the_first_byte(
        &lambda,
        "/exit",
        "Runtime.ExitError",
        "Runtime exited with error: exit status: 3",
    )
    .await;
    // A new process serves the next invocation.
    serves_ok(&lambda).await;
    assert!(
        lambda.logs().contains("the function exited"),
        "{}",
        lambda.logs()
    );
}

#[tokio::test]
async fn past_its_timeout_an_invocation_fails_as_sandbox_timedout_and_a_stream_is_cut() {
    let function = function();
    let options = Options {
        timeout: Duration::from_secs(1),
        ..Options::default()
    };
    let lambda = LocalLambda::start_with(function.path(), &[], options).unwrap();
    // Never answered: a 502, as for any error before the first byte.
    fails_before_the_first_byte(
        &lambda,
        "/hang",
        "Sandbox.Timedout",
        "Task timed out after 1.00 seconds",
    )
    .await;
    // The stuck process was stopped and another started: the next invocation is served.
    serves_ok(&lambda).await;
    // Stalled mid-body: what was sent, then an abort.
    let stalled = get(&lambda.url("/stall"), &[]).await.unwrap();
    assert_eq!(
        (stalled.status, stalled.body.as_slice()),
        (200, &b"partial"[..])
    );
    assert!(
        !stalled.complete,
        "the response ends without its last chunk"
    );
    assert_eq!(last_error(&lambda, "/stall").0, "Sandbox.Timedout");
    serves_ok(&lambda).await;
}

#[tokio::test]
async fn a_request_body_reaches_the_function_and_one_over_6_mb_is_refused() {
    let function = function();
    let lambda = LocalLambda::start(function.path(), &[]).unwrap();
    let echoed = post(&lambda.url("/echo"), b"hello, function").await;
    assert_eq!(echoed, (200, b"hello, function".to_vec()));
    let limit = lambda_stream_prelude::limits::MAX_REQUEST_BYTES as usize;
    let at_limit = post(&lambda.url("/echo"), &vec![b'x'; limit]).await;
    assert_eq!((at_limit.0, at_limit.1.len()), (200, limit));
    let over = post(&lambda.url("/echo"), &vec![b'x'; limit + 1]).await;
    assert_eq!(over.0, 413);
    assert_eq!(last_error(&lambda, "/echo").0, "RequestTooLarge");
    // Requests whose body cannot be read as sent are refused, never sent on without it.
    let url = lambda.url("/echo");
    let not_a_number = send(&url, "Content-Length: 5x\r\n", b"hello").await;
    assert_eq!(not_a_number.0, 400);
    let two = send(&url, "Content-Length: 5\r\nContent-Length: 6\r\n", b"hello").await;
    assert_eq!(two.0, 400);
    let both = send(
        &url,
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        b"5\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(both.0, 400);
    let gzip = send(&url, "Transfer-Encoding: gzip\r\n", b"hello").await;
    assert_eq!(gzip.0, 501);
    let bad_size = send(
        &url,
        "Transfer-Encoding: chunked\r\n",
        b"5x\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(bad_size.0, 400);
    assert_eq!(last_error(&lambda, "/echo").0, "InvalidRequest");
    // None of them reached the function, which serves the next request.
    assert_eq!(post(&url, b"after").await, (200, b"after".to_vec()));
}

#[tokio::test]
async fn a_chunked_request_body_reaches_the_function_whole_and_one_over_6_mb_is_refused() {
    let function = function();
    let lambda = LocalLambda::start(function.path(), &[]).unwrap();
    let url = lambda.url("/echo");
    // Three chunks, one with an extension, and a trailer line.
    let body = b"5;ext=1\r\nhello\r\n2\r\n, \r\n8\r\nfunction\r\n0\r\nX-Trailer: 1\r\n\r\n";
    let echoed = send(&url, "Transfer-Encoding: chunked\r\n", body).await;
    assert_eq!(echoed, (200, b"hello, function".to_vec()));
    // Over Lambda's 6 MB in 1 MiB chunks: refused once the total passes it.
    let chunk = vec![b'x'; 1 << 20];
    let mut over = Vec::new();
    for _ in 0..7 {
        over.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        over.extend_from_slice(&chunk);
        over.extend_from_slice(b"\r\n");
    }
    over.extend_from_slice(b"0\r\n\r\n");
    let refused = send(&url, "Transfer-Encoding: chunked\r\n", &over).await;
    assert_eq!(refused.0, 413);
    // A size that would wrap a 64-bit sum past the limit is refused as over it.
    let huge = send(
        &url,
        "Transfer-Encoding: chunked\r\n",
        b"5\r\nhello\r\nffffffffffffffff\r\nx\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(huge.0, 413);
    assert_eq!(last_error(&lambda, "/echo").0, "RequestTooLarge");
    assert_eq!(post(&url, b"after").await, (200, b"after".to_vec()));
}

#[tokio::test]
async fn a_prelude_that_is_not_json_or_ends_past_16_kib_is_a_502() {
    let function = function();
    let lambda = LocalLambda::start(function.path(), &[]).unwrap();
    for path in ["/bad-prelude", "/big-prelude"] {
        fails_before_the_first_byte(&lambda, path, "Runtime.InvalidPrelude", "prelude").await;
    }
    serves_ok(&lambda).await;
}

/// How many of four concurrent `/count/100` requests (a second each, a line every 10 ms)
/// had their first line before any of them ended: 4 when they ran at once, 1 when one
/// after the other.
async fn started_before_any_ended(lambda: &LocalLambda) -> usize {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = address(lambda);
    let started = Arc::new(AtomicUsize::new(0));
    let ended = Arc::new(AtomicBool::new(false));
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (addr, started, ended) = (addr.clone(), started.clone(), ended.clone());
        clients.spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let head = format!("GET /count/100 HTTP/1.1\r\nHost: {addr}\r\n\r\n");
            stream.write_all(head.as_bytes()).await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            let mut first = false;
            loop {
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                if !first && seen.windows(6).any(|w| w == b"line 0") {
                    first = true;
                    if !ended.load(Ordering::SeqCst) {
                        started.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            assert!(first, "a response: {}", String::from_utf8_lossy(&seen));
            ended.store(true, Ordering::SeqCst);
        });
    }
    while let Some(client) = clients.join_next().await {
        client.unwrap();
    }
    started.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_concurrency_lets_one_process_take_that_many_invocations_at_once() {
    // The runtime's `axum_router` example reads AWS_LAMBDA_MAX_CONCURRENCY.
    let example = lambda_stream_testkit::servers::build::runtime_example("axum_router")
        .unwrap_or_else(|e| panic!("{e}"));
    let options = Options {
        max_concurrency: Some(4),
        ..Options::default()
    };
    let lambda = LocalLambda::start_with(&example, &[], options).unwrap();
    assert_eq!(
        started_before_any_ended(&lambda).await,
        4,
        "{}",
        lambda.logs()
    );
    drop(lambda);
    // The control: without it, one process takes one invocation at a time.
    let lambda = LocalLambda::start(&example, &[]).unwrap();
    assert_eq!(
        started_before_any_ended(&lambda).await,
        1,
        "{}",
        lambda.logs()
    );
}

/// A POST of `body` with its `Content-Length`: the status and the body answered.
async fn post(url: &str, body: &[u8]) -> (u16, Vec<u8>) {
    send(url, &format!("Content-Length: {}\r\n", body.len()), body).await
}

/// A POST with the header lines `headers` (each ending with CRLF), then `body` as it is.
async fn send(url: &str, headers: &str, body: &[u8]) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (addr, path) = rest.split_once('/').unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head =
        format!("POST /{path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (a 413) before reading the body, and close.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[end + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..line_end]).unwrap(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[line_end + 2..line_end + 2 + size]);
        raw = &raw[line_end + 2 + size + 2..];
    }
    out
}

#[tokio::test]
async fn a_client_that_disconnects_mid_body_leaves_the_function_serving() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let function = function();
    let lambda = LocalLambda::start(function.path(), &[]).unwrap();
    let addr = address(&lambda);
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!("GET /big HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut some = vec![0u8; 4096];
    let n = stream.read(&mut some).await.unwrap();
    assert!(n > 0, "the response started");
    drop(stream);
    // The function finishes its answer (Lambda reads it whatever the client does), and
    // the next invocation is served.
    serves_ok(&lambda).await;
}
