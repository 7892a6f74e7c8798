//! Any tower service runs on the runtime: the `axum_router` example's `Router` behind a
//! tower layer, served through the Runtime API emulator, byte for byte. A route that
//! streams keeps its prelude exactly (header spelling and order), a plain axum response
//! gets a prelude from its `HeaderMap` (its `content-length` renamed as AWS renames it),
//! and a route whose stream fails ends with the error trailers under the stream's own
//! error type, through axum's boxed body.

mod common;
// The example's router, as its users deploy it (its `main` is not called here).
#[allow(dead_code)]
#[path = "../examples/axum_router.rs"]
mod example;

use bytes::Bytes;
use common::{Function, chunks, error_trailers, get, outcome};

use lambda_stream::prelude::{Dialect, PreludeDecoder, ReceivedPrelude};
use lambda_stream_runtime::Runtime;
use lambda_stream_testkit::servers::RuntimeApi;
use lambda_stream_testkit::servers::runtime_api::Kind;
use tower::ServiceBuilder;

/// The `axum_router` example's router, behind a layer that strips an `/api` prefix from
/// the path: a request for `/api/count/3` only reaches `/count/{n}` through the layer.
fn app() -> impl tower_service::Service<
    lambda_http::Request,
    Response = http::Response<axum::body::Body>,
    Error = std::convert::Infallible,
> {
    ServiceBuilder::new()
        .map_request(|mut request: lambda_http::Request| {
            let path = request.uri().path();
            if let Some(rest) = path.strip_prefix("/api") {
                *request.uri_mut() = rest.parse().expect("a path");
            }
            request
        })
        .service(example::app())
}

/// The prelude and body of a recorded response.
fn split(body: Bytes) -> (ReceivedPrelude, Bytes) {
    PreludeDecoder::decode_all(body).expect("a prelude, then the body")
}

#[tokio::test]
async fn an_axum_router_behind_a_layer_streams_its_routes_and_reports_a_failed_stream() {
    let api = RuntimeApi::start().unwrap();
    let function = Function::start(&api, Runtime::builder(), app);

    // A streamed route: the prelude exactly as written, then every line.
    let o = outcome(api.invoke(get("/api/count/3"))).await;
    assert_eq!(o.kind, Kind::Response);
    assert!(o.complete, "the streamed route ended properly");
    assert_eq!(o.error(), None);
    let mut expected = example::text_prelude()
        .encode(Dialect::FunctionUrl)
        .unwrap()
        .to_vec();
    expected.extend_from_slice(&[0; 8]);
    expected.extend_from_slice(b"line 0\nline 1\nline 2\n");
    assert_eq!(
        String::from_utf8_lossy(&o.body),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(
        &o.body[..o.body.len() - 21 - 8],
        br#"{"statusCode":200,"headers":{"Content-Type":"text/plain; charset=utf-8","Cache-Control":"no-store"},"cookies":[]}"#
    );

    // A plain axum response: its status and headers (as an `http::HeaderMap` spells them),
    // axum's `content-length` renamed as AWS renames it (the body is streamed, chunked).
    let o = outcome(api.invoke(get("/api/hello"))).await;
    assert!(o.complete);
    assert_eq!(o.error(), None);
    let (prelude, body) = split(o.body);
    assert_eq!(prelude.status(), 200);
    assert_eq!(
        prelude.headers().collect::<Vec<_>>(),
        [
            ("content-type", "text/plain; charset=utf-8"),
            ("x-amzn-remapped-content-length", "16")
        ]
    );
    assert_eq!(body, "hello from axum\n");

    // No route: axum's 404, still a prelude.
    let o = outcome(api.invoke(get("/api/missing"))).await;
    assert!(o.complete);
    let (prelude, body) = split(o.body);
    assert_eq!(prelude.status(), 404);
    assert!(body.is_empty());

    // A stream that fails after three lines: the lines, then the trailers, under the
    // stream's own error type although axum boxed the body's error.
    let o = outcome(api.invoke(get("/api/fail"))).await;
    assert_eq!(o.kind, Kind::Response);
    let (_, frames, trailers) = chunks(&o.raw);
    assert_eq!(
        trailers,
        format!(
            "{}\r\n",
            error_trailers("App.Exhausted", "the source ran dry after 3 lines")
        )
    );
    let (_, body) = split(frames.concat().into());
    assert_eq!(body, "line 0\nline 1\nline 2\n");

    // Without the layer's rewrite, the router has no such route.
    let o = outcome(api.invoke(get("/count/3"))).await;
    let (prelude, _) = split(o.body);
    assert_eq!(prelude.status(), 200, "the router serves its own paths too");
    let o = outcome(api.invoke(get("/api/api/count/3"))).await;
    let (prelude, _) = split(o.body);
    assert_eq!(prelude.status(), 404, "the layer strips one prefix");

    function.stop(&api);
}
