//! Lambda's rules about a function that dies or runs too long, on the local Lambda, with a
//! stand-in function (a short Python runtime) that misbehaves on request: it exits on
//! `/exit`, never answers on `/hang`, stops half way through its body on `/stall`, sends a
//! prelude that is not JSON on `/bad-prelude` and one past 16 KiB on `/big-prelude`, streams
//! back the request's body on `/echo`, 32 MiB then `ok` on `/big`, and `ok` otherwise.

use std::path::PathBuf;
use std::time::Duration;

use lambda_stream_local::{LocalLambda, Options};
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
struct Function(PathBuf);

impl Function {
    fn new(name: &str) -> Function {
        let dir = std::env::temp_dir().join(format!("local-rules-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("function.py");
        std::fs::write(&path, FUNCTION).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Function(path)
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
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
    let function = Function::new("exit");
    let lambda = LocalLambda::start(&function.0, &[]).unwrap();
    let ok = get(&lambda.url("/ok"), &[]).await.unwrap();
    assert_eq!(
        (ok.status, ok.body.as_slice(), ok.complete),
        (200, &b"ok"[..], true)
    );
    let exited = get(&lambda.url("/exit"), &[]).await.unwrap();
    assert_eq!(exited.status, 502);
    let (error_type, message) = last_error(&lambda, "/exit");
    assert_eq!(error_type, "Runtime.ExitError");
    assert!(
        message.contains("Runtime exited with error: exit status: 3"),
        "{message}"
    );
    // A new process serves the next invocation.
    let again = get(&lambda.url("/ok"), &[]).await.unwrap();
    assert_eq!((again.status, again.body.as_slice()), (200, &b"ok"[..]));
    assert!(
        lambda.logs().contains("the function exited"),
        "{}",
        lambda.logs()
    );
}

#[tokio::test]
async fn past_its_timeout_an_invocation_fails_as_sandbox_timedout_and_a_stream_is_cut() {
    let function = Function::new("timeout");
    let options = Options {
        timeout: Duration::from_secs(1),
        ..Options::default()
    };
    let lambda = LocalLambda::start_with(&function.0, &[], options).unwrap();
    // Never answered: a 502, as for any error before the first byte.
    let hung = get(&lambda.url("/hang"), &[]).await.unwrap();
    assert_eq!(hung.status, 502);
    let (error_type, message) = last_error(&lambda, "/hang");
    assert_eq!(error_type, "Sandbox.Timedout");
    assert!(
        message.contains("Task timed out after 1.00 seconds"),
        "{message}"
    );
    // The stuck process was stopped and another started: the next invocation is served.
    let ok = get(&lambda.url("/ok"), &[]).await.unwrap();
    assert_eq!((ok.status, ok.body.as_slice()), (200, &b"ok"[..]));
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
    let ok = get(&lambda.url("/ok"), &[]).await.unwrap();
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn a_request_body_reaches_the_function_and_one_over_6_mb_is_refused() {
    let function = Function::new("request");
    let lambda = LocalLambda::start(&function.0, &[]).unwrap();
    let echoed = post(&lambda.url("/echo"), b"hello, function").await;
    assert_eq!(echoed, (200, b"hello, function".to_vec()));
    let limit = lambda_stream_prelude::limits::MAX_REQUEST_BYTES as usize;
    let at_limit = post(&lambda.url("/echo"), &vec![b'x'; limit]).await;
    assert_eq!((at_limit.0, at_limit.1.len()), (200, limit));
    let over = post(&lambda.url("/echo"), &vec![b'x'; limit + 1]).await;
    assert_eq!(over.0, 413);
    assert_eq!(last_error(&lambda, "/echo").0, "RequestTooLarge");
}

#[tokio::test]
async fn a_prelude_that_is_not_json_or_ends_past_16_kib_is_a_502() {
    let function = Function::new("prelude");
    let lambda = LocalLambda::start(&function.0, &[]).unwrap();
    for path in ["/bad-prelude", "/big-prelude"] {
        let got = get(&lambda.url(path), &[]).await.unwrap();
        assert_eq!(got.status, 502, "{path}");
        assert_eq!(
            last_error(&lambda, path).0,
            "Runtime.InvalidPrelude",
            "{path}"
        );
    }
    let ok = get(&lambda.url("/ok"), &[]).await.unwrap();
    assert_eq!((ok.status, ok.body.as_slice()), (200, &b"ok"[..]));
}

#[tokio::test]
async fn max_concurrency_lets_one_process_take_that_many_invocations_at_once() {
    // The runtime's `axum_router` example reads AWS_LAMBDA_MAX_CONCURRENCY: it asks for
    // that many invocations at once.
    let example = lambda_stream_testkit::servers::build::example(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lambda-stream-runtime"),
        "axum_router",
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let options = Options {
        max_concurrency: Some(4),
        ..Options::default()
    };
    let lambda = LocalLambda::start_with(&example, &[], options).unwrap();
    let mut waited = Duration::ZERO;
    while lambda.runtime_api().next_requests() < 4 && waited < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += Duration::from_millis(20);
    }
    assert_eq!(lambda.runtime_api().next_requests(), 4, "{}", lambda.logs());
    let ok = get(&lambda.url("/hello"), &[]).await.unwrap();
    assert_eq!(ok.status, 200);
}

/// A POST of `body` with its `Content-Length`: the status and the body answered.
async fn post(url: &str, body: &[u8]) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (addr, path) = rest.split_once('/').unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
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
    let function = Function::new("disconnect");
    let lambda = LocalLambda::start(&function.0, &[]).unwrap();
    let url = lambda.url("/big");
    let addr = url
        .strip_prefix("http://")
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!("GET /big HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut some = vec![0u8; 4096];
    let n = stream.read(&mut some).await.unwrap();
    assert!(n > 0, "the response started");
    drop(stream);
    // The function finishes its answer (Lambda reads it whatever the client does), and
    // the next invocation is served.
    let ok = get(&lambda.url("/ok"), &[]).await.unwrap();
    assert_eq!((ok.status, ok.body.as_slice()), (200, &b"ok"[..]));
}
