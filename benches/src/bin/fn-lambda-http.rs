//! A function on `lambda_http::run_with_streaming_response`, the way its documentation
//! writes one: every invocation streams the workload
//! (`lambda_stream_benches::function::Workload`), or the token stream when `TOKENS` is set
//! (`lambda_stream_benches::function::Tokens`), as the body of an `http::Response`.

use std::convert::Infallible;

use futures_util::{StreamExt, stream};
use http_body::Frame;
use http_body_util::StreamBody;
use lambda_http::{Request, service_fn};
use lambda_stream_benches::function::{Tokens, Workload};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let workload = Workload::from_env();
    let tokens = Tokens::from_env();
    let service = service_fn(move |_: Request| {
        let chunks = match tokens {
            Some(tokens) => tokens.stream().boxed(),
            None => stream::iter(workload.chunks()).boxed(),
        };
        let body = StreamBody::new(chunks.map(|b| Ok::<_, Infallible>(Frame::data(b))));
        let mut response = http::Response::new(body);
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/octet-stream"),
        );
        async move { Ok::<_, Infallible>(response) }
    });
    let stopped = lambda_http::run_with_streaming_response(service).await;
    eprintln!("stopped: {stopped:?}");
}
