//! A failure before the first byte, as callers receive it, both ways a runtime may report
//! it: `lambda-stream-runtime` posts it to `/error` (the README's quick start, for a missing
//! key); the Node.js runtime (4.x) posts `/response` with no prelude, an empty body and the
//! error trailers (a stand-in function below does exactly that). On the local Lambda, a
//! function URL caller gets a `502` either way, and an `InvokeWithResponseStream` caller
//! gets no payload and an `InvokeComplete` naming the error: the same outcome, so the
//! runtime keeps the path the Runtime API documents for an invocation error.

mod common;

use common::client;
use futures_util::StreamExt;
use lambda_stream_invoke::invoke;
use lambda_stream_testkit::servers::build::Executable;
use lambda_stream_testkit::servers::http::get;
use lambda_stream_testkit::servers::runtime_api::function_url_event;
use lambda_stream_testkit::servers::{LocalLambda, moto_with_bucket, s3_env};

/// A function that fails every invocation as the Node.js runtime 4.x does when its handler
/// throws before writing: a streamed `/response` whose chunked body is empty, ended by the
/// error trailers.
const NODE_STYLE: &str = r#"#!/usr/bin/env python3
import base64, http.client, json, os, socket
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
host, port = api.rsplit(":", 1)
error = {"errorType": "Node.Failed", "errorMessage": "failed before its first byte", "trace": []}
body = base64.b64encode(json.dumps(error, separators=(",", ":")).encode()).decode()
while True:
    c = http.client.HTTPConnection(host, int(port))
    c.request("GET", "/2018-06-01/runtime/invocation/next")
    r = c.getresponse()
    r.read()
    if r.status != 200:
        break
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    raw = (f"POST /2018-06-01/runtime/invocation/{rid}/response HTTP/1.1\r\n"
           "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
           "Trailer: Lambda-Runtime-Function-Error-Type\r\n"
           "Trailer: Lambda-Runtime-Function-Error-Body\r\n"
           "Content-Type: application/vnd.awslambda.http-integration-response\r\n"
           f"Transfer-Encoding: chunked\r\nHost: {api}\r\nConnection: close\r\n\r\n"
           "0\r\nLambda-Runtime-Function-Error-Type: Node.Failed\r\n"
           f"Lambda-Runtime-Function-Error-Body: {body}\r\n\r\n")
    s = socket.create_connection((host, int(port)))
    s.sendall(raw.encode())
    s.recv(65536)
    s.close()
"#;

/// What each front gave a caller: the function URL's status, and the
/// `InvokeWithResponseStream` body's payload bytes and error code.
async fn both_fronts(lambda: &LocalLambda, path: &str) -> (u16, usize, Option<String>) {
    let url = get(&lambda.url(path), &[]).await.unwrap();
    // The error arrives from `invoke` itself when the function's answer fails before a
    // prelude was read, and from the body otherwise: the same stream of events either way.
    let response = match invoke(&client(lambda), "f", function_url_event("GET", path, &[])).await {
        Ok(response) => response,
        Err(e) => {
            assert_eq!(e.delivered(), 0);
            return (url.status, 0, e.error_code().map(str::to_owned));
        }
    };
    let mut body = response.into_body();
    let mut payload = 0;
    let mut code = None;
    while let Some(item) = body.next().await {
        match item {
            Ok(chunk) => payload += chunk.len(),
            Err(e) => code = e.error_code().map(str::to_owned),
        }
    }
    (url.status, payload, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_before_the_first_byte_reaches_callers_alike_by_error_or_by_empty_trailers() {
    // Ours: `/error`.
    let (moto, _s3) = moto_with_bucket("before").await.unwrap();
    let quick_start = lambda_stream_testkit::servers::build::runtime_example("quick_start")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut env = s3_env(&moto.endpoint());
    env.push(("BUCKET", "before".to_owned()));
    let ours = LocalLambda::start(&quick_start, &env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        both_fronts(&ours, "/missing").await,
        (502, 0, Some("NoSuchKey".to_owned()))
    );
    // Node's: `/response`, empty, with the error trailers.
    let script = Executable::write("node-style.py", NODE_STYLE).unwrap();
    let node = LocalLambda::start(script.path(), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        both_fronts(&node, "/anything").await,
        (502, 0, Some("Node.Failed".to_owned()))
    );
    let records = node.records();
    assert!(
        records.iter().all(|r| r
            .error
            .as_ref()
            .is_some_and(|(t, m)| t == "Node.Failed" && m == "failed before its first byte")),
        "{records:?}"
    );
}
