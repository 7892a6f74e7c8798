//! Responses without bytes end at once on every front of the local Lambda, with the
//! runtime's `axum_router` example behind them: a redirect, a `204`, the answer to `HEAD`
//! and a stream that yields nothing. The function URL front sends a response without
//! content (`HEAD`, `204`) as its head alone, with no body framing; an empty body is the
//! last chunk alone. The API Gateway REST front does the same (the function is told to
//! leave the stage out of its paths, as `lambda_http` reads
//! `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`). `InvokeWithResponseStream` gives the prelude, no payload, and an
//! `InvokeComplete` without error. Nothing waits for a timeout: the local Lambda's is 15
//! minutes, the test's client gives up after 10 seconds of silence (`stalled`).

mod common;

use common::client;
use futures_util::StreamExt;
use lambda_stream_invoke::{FunctionUrlEvent, invoke};
use lambda_stream_testkit::servers::LocalLambda;
use lambda_stream_testkit::servers::http::request;

/// Method, path, status, whether the function URL front frames a body, and a header the
/// answer carries.
type Case = (
    &'static str,
    &'static str,
    u16,
    bool,
    Option<(&'static str, &'static str)>,
);

const CASES: [Case; 4] = [
    ("GET", "/old", 308, true, Some(("location", "/hello"))),
    ("DELETE", "/hello", 204, false, None),
    (
        "HEAD",
        "/hello",
        200,
        false,
        Some(("content-type", "text/plain; charset=utf-8")),
    ),
    (
        "GET",
        "/count/0",
        200,
        true,
        Some(("Content-Type", "text/plain; charset=utf-8")),
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_without_bytes_end_at_once_on_both_fronts() {
    let example = lambda_stream_testkit::servers::build::runtime_example("axum_router")
        .unwrap_or_else(|e| panic!("{e}"));
    let env = [("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true".to_owned())];
    let lambda = LocalLambda::start(&example, &env).unwrap();
    let sdk = client(&lambda);
    for (method, path, status, framed, header) in CASES {
        // The function URL front, and the API Gateway REST front.
        for url in [lambda.url(path), lambda.rest_url(path)] {
            let what = format!("{method} {url}");
            let r = request(method, &url, &[]).await.unwrap();
            assert_eq!(r.status, status, "{what}");
            assert!(!r.stalled, "{what}: the response ended at once");
            assert!(r.complete, "{what}");
            assert!(r.body.is_empty(), "{what}: {:?}", r.body);
            assert_eq!(
                r.header("transfer-encoding").is_some(),
                framed,
                "{what}: {:?}",
                r.headers
            );
            if let Some((name, value)) = header {
                assert_eq!(r.header(&name.to_ascii_lowercase()), Some(value), "{what}");
            }
        }
        let what = format!("{method} {path}");

        // `InvokeWithResponseStream`.
        let response = invoke(&sdk, "f", FunctionUrlEvent::new(method, path).to_bytes())
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let prelude = response.prelude().expect("a prelude").clone();
        assert_eq!(prelude.status(), status, "{what}");
        if let Some((name, value)) = header {
            assert_eq!(prelude.get(name), Some(value), "{what}");
        }
        let mut body = response.into_body();
        while let Some(item) = body.next().await {
            let chunk = item.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(chunk.is_empty(), "{what}: payload {chunk:?}");
        }
    }
    // Both HTTP fronts' invocations, in order.
    let records = lambda.records();
    assert_eq!(records.len(), 2 * CASES.len());
    let twice = CASES.iter().flat_map(|case| [case, case]);
    for (record, (method, path, status, _, _)) in records.iter().zip(twice) {
        assert_eq!(record.status, *status, "{method} {path}");
        assert_eq!(record.body_bytes, 0, "{method} {path}");
        assert_eq!(record.error, None, "{method} {path}");
    }
}
