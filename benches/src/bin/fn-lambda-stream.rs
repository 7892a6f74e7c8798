//! A function on `lambda_stream_runtime`: every invocation streams the workload
//! (`lambda_stream_benches::function::Workload`), or the token stream when `TOKENS` is set
//! (`lambda_stream_benches::function::Tokens`), with `lambda_stream::response`.

use std::convert::Infallible;

use futures_util::{StreamExt, stream};
use lambda_http::{Request, service_fn};
use lambda_stream::MetadataPrelude;
use lambda_stream_benches::function::{Tokens, Workload};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let workload = Workload::from_env();
    let tokens = Tokens::from_env();
    let prelude = MetadataPrelude::builder()
        .header("content-type", "application/octet-stream")
        .build()
        .expect("a valid prelude");
    let service = service_fn(move |_: Request| {
        let body = match tokens {
            Some(tokens) => tokens.stream().map(Ok::<_, Infallible>).boxed(),
            None => stream::iter(workload.chunks().map(Ok::<_, Infallible>)).boxed(),
        };
        let response = lambda_stream::response(prelude.clone(), body);
        async move { Ok::<_, Infallible>(response) }
    });
    let stopped = lambda_stream_runtime::run(service).await;
    eprintln!("stopped: {stopped:?}");
}
