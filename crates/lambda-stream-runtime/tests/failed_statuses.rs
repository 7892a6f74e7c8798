//! `Builder::failed_statuses`: a response with one of the chosen statuses streams whole,
//! then ends with the error trailers (`Response.Status503`), so that Lambda counts the
//! invocation as failed; other statuses end cleanly. Nothing is held back: the body's
//! chunks reach the Runtime API as they are produced, the trailers after the last one.

mod common;

use std::convert::Infallible;

use bytes::Bytes;
use common::{Function, chunks, error_trailers, get, outcome};
use http_body_util::Full;
use lambda_http::{Request, service_fn};
use lambda_stream::prelude::PreludeDecoder;
use lambda_stream_runtime::Runtime;
use lambda_stream_testkit::servers::RuntimeApi;
use lambda_stream_testkit::servers::runtime_api::function_url_event;

async fn handler(request: Request) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let status: u16 = request.uri().path()[1..].parse().unwrap_or(200);
    let response = http::Response::builder()
        .status(status)
        .body(Full::new(Bytes::from(format!("status {status}\n"))));
    Ok(response.expect("a valid response"))
}

#[tokio::test]
async fn chosen_statuses_end_with_error_trailers_after_their_whole_body() {
    let api = RuntimeApi::start().unwrap();
    let builder = Runtime::builder()
        .failed_statuses(500..=599)
        .failed_statuses(429..=429);
    let function = Function::start(&api, builder, || service_fn(handler));
    for status in [200, 404, 429, 500, 503] {
        let o = outcome(api.invoke(get(&format!("/{status}")))).await;
        let (_, frames, trailers) = chunks(&o.raw);
        let (prelude, body) = PreludeDecoder::decode_all(o.body.clone()).unwrap();
        assert_eq!(prelude.status(), status);
        assert_eq!(body, format!("status {status}\n"), "the whole body, first");
        assert_eq!(frames.len(), 3, "prelude, delimiter, body: {frames:?}");
        if status == 429 || status >= 500 {
            let reason = http::StatusCode::from_u16(status).unwrap();
            let expected = error_trailers(
                &format!("Response.Status{status}"),
                &format!("the handler answered {reason}"),
            );
            assert_eq!(trailers, format!("{expected}\r\n"), "{status}");
        } else {
            assert_eq!(trailers, "\r\n", "{status}: a clean end");
            assert_eq!(o.error(), None);
        }
    }
    // Without content (HEAD): the prelude, then the trailers.
    let o = outcome(api.invoke(function_url_event("HEAD", "/503", &[]))).await;
    let (_, frames, trailers) = chunks(&o.raw);
    assert_eq!(frames.len(), 2);
    assert!(trailers.contains("Response.Status503"), "{trailers}");
    function.stop(&api);

    // Not chosen: a 503 is a clean response.
    let api = RuntimeApi::start().unwrap();
    let function = Function::start(&api, Runtime::builder(), || service_fn(handler));
    let o = outcome(api.invoke(get("/503"))).await;
    let (_, _, trailers) = chunks(&o.raw);
    assert_eq!(trailers, "\r\n");
    function.stop(&api);
}
