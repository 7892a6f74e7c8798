//! A function on `lambda_runtime::run` with a plain `StreamResponse`: every invocation
//! streams the workload (`lambda_stream_benches::function::Workload`), or the token stream
//! when `TOKENS` is set (`lambda_stream_benches::function::Tokens`).

use std::convert::Infallible;

use futures_util::{StreamExt, stream};
use lambda_runtime::{LambdaEvent, MetadataPrelude, StreamResponse, service_fn};
use lambda_stream_benches::function::{Tokens, Workload};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let workload = Workload::from_env();
    let tokens = Tokens::from_env();
    let service = service_fn(move |_: LambdaEvent<serde_json::Value>| {
        let stream = match tokens {
            Some(tokens) => tokens.stream().map(Ok::<_, Infallible>).boxed(),
            None => stream::iter(workload.chunks().map(Ok::<_, Infallible>)).boxed(),
        };
        let mut metadata_prelude = MetadataPrelude {
            status_code: http::StatusCode::OK,
            ..MetadataPrelude::default()
        };
        metadata_prelude.headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/octet-stream"),
        );
        async move {
            Ok::<_, Infallible>(StreamResponse {
                metadata_prelude,
                stream,
            })
        }
    });
    let stopped = lambda_runtime::run(service).await;
    eprintln!("stopped: {stopped:?}");
}
