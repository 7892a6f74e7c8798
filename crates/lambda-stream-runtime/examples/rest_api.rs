//! API Gateway REST APIs stream too, through a Lambda proxy integration with
//! `responseTransferMode: STREAM`. The same function serves a REST API and a function URL:
//! the runtime reads each event's source and writes the prelude it expects. For REST,
//! repeated headers and cookies go in `multiValueHeaders` (API Gateway's format 1.0 has no
//! `cookies` field).
//!
//! - `GET /count/{n}` streams `n` lines, 10 ms apart, and sets two cookies and two `Vary`
//!   values.
//! - `POST /echo` streams the request back: its method and URI (with the stage, as
//!   `lambda_http` gives it) on the first line, then its body.
//! - `GET /fail` streams a line, then fails: the caller's response ends abnormally.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use http_body_util::BodyExt;
use lambda_stream::{MetadataPrelude, StreamError};
use lambda_stream_runtime::lambda_http::{Error, Request, RequestExt, service_fn};

type Lines = stream::BoxStream<'static, Result<Bytes, StreamError>>;

async fn handler(
    request: Request,
) -> Result<http::Response<lambda_stream::ResponseBody<Lines>>, Error> {
    // The path as the client asked for it: `lambda_http` puts a REST API's stage in front
    // of the URI's path (`/prod/count/3`), unless `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`
    // is set.
    let path = request.raw_http_path().to_owned();
    let prelude = MetadataPrelude::builder()
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Vary", "Origin")
        .header("Vary", "Accept-Encoding");
    let (prelude, lines): (_, Lines) = if let Some(n) = path.strip_prefix("/count/") {
        let n: u32 = n.parse().unwrap_or(3);
        let prelude = prelude
            .cookie("theme=dark; Path=/")
            .cookie("lang=en; Path=/");
        let lines = stream::iter(0..n).then(|i| async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Ok(Bytes::from(format!("line {i}\n")))
        });
        (prelude, lines.boxed())
    } else if path == "/echo" {
        let first = format!("{} {}\n", request.method(), request.uri());
        let body = request.into_body().collect().await?.to_bytes();
        let lines = stream::iter([Ok(Bytes::from(first)), Ok(body)]);
        (prelude, lines.boxed())
    } else {
        let lines = stream::iter([
            Ok(Bytes::from_static(b"line 0\n")),
            Err(StreamError::new(
                "App.Failed",
                "failed after its first line",
            )),
        ]);
        (prelude, lines.boxed())
    };
    Ok(lambda_stream::response(prelude.build()?, lines))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_stream_runtime::run(service_fn(handler)).await
}
