//! Serves S3 objects through a Lambda function URL as streamed responses: the function of
//! the published buffered-against-streamed experiment, in Rust.
//!
//! - The bucket comes from `S3_BUCKET`, the key from the request path.
//! - `Range`, `If-Match`, `If-None-Match`, `If-Modified-Since` and `If-Unmodified-Since`
//!   are honoured (206, 304, 412, 416).
//! - `Content-Type`, `ETag` and `Cache-Control` come from the object (`Cache-Control`
//!   defaults to `public, max-age=60`), and a cookie is set.
//! - The body streams through `ResumableBody` (resumes after a broken S3 connection; set
//!   `S3_RESUME=off` to disable), `Prefetch` and `Rechunk`, within the 200 MiB budget.
//! - A missing key is a 404 with a one-line text body.
//! - It runs on `lambda_stream::runtime::run_http`, which reports a body that fails after
//!   the first byte as the runtime's error trailers; `RUNTIME=lambda_http` runs it on
//!   `lambda_http::run_with_streaming_response` instead, which writes the error into the
//!   body (see `lambda_stream::runtime`).
//!
//! `S3_FORCE_PATH_STYLE=true` and the SDK's `AWS_ENDPOINT_URL_S3` point it at an
//! S3-compatible server such as `moto_server`.
//!
//! Built for Lambda, from `crates/lambda-stream`, with
//! `cargo lambda build --release --example s3_object --features runtime,s3`
//! (the binary is `target/lambda/s3_object/bootstrap`).

use aws_sdk_s3::Client;
use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use lambda_http::{Error, Request, service_fn};
use lambda_stream::runtime::{http_response, text_response};
use lambda_stream::s3::{MetadataOptions, ObjectRequest, ResumePolicy, get_object};
use lambda_stream::{MetadataPrelude, ResponseConfig, StreamError};

const DEFAULT_CACHE_CONTROL: &str = "public, max-age=60";
const COOKIE: &str = "served-by=lambda-stream; Path=/; Secure; HttpOnly";

struct App {
    client: Client,
    bucket: String,
    resume: ResumePolicy,
}

/// One body type for every answer: streamed objects and short texts.
type Body = UnsyncBoxBody<Bytes, StreamError>;

async fn serve(app: &App, request: Request) -> Result<http::Response<Body>, Error> {
    let key = request.uri().path().trim_start_matches('/');
    if key.is_empty() {
        return text(http::StatusCode::NOT_FOUND, "no key: ask for /<key>").await;
    }
    let object_request = ObjectRequest::new(&app.bucket, key).with_headers(request.headers());
    let object = match get_object(&app.client, &object_request, &MetadataOptions::default()).await {
        Ok(object) => object,
        Err(e) => return text(e.status(), &e.to_string()).await,
    };
    let (parts, body) = object.into_resumable(app.client.clone(), app.resume);
    let mut prelude = MetadataPrelude::try_from(&parts)?
        .into_builder()
        .cookie(COOKIE);
    if !parts.headers.contains_key(http::header::CACHE_CONTROL) {
        prelude = prelude.header("Cache-Control", DEFAULT_CACHE_CONTROL);
    }
    let response = http_response(&prelude.build()?, body, &ResponseConfig::default())?;
    Ok(response.map(BodyExt::boxed_unsync))
}

async fn text(status: http::StatusCode, message: &str) -> Result<http::Response<Body>, Error> {
    Ok(text_response(status, format!("{message}\n")).map(BodyExt::boxed_unsync))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let bucket =
        std::env::var("S3_BUCKET").map_err(|_| "S3_BUCKET must name the bucket to serve")?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let path_style = std::env::var("S3_FORCE_PATH_STYLE").is_ok_and(|v| v == "true");
    let client = Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(path_style)
            .build(),
    );
    let resume = match std::env::var("S3_RESUME").as_deref() {
        Ok("off") => ResumePolicy::disabled(),
        _ => ResumePolicy::default(),
    };
    let app = App {
        client,
        bucket,
        resume,
    };
    if std::env::var("RUNTIME").is_ok_and(|r| r == "lambda_http") {
        lambda_http::run_with_streaming_response(service_fn(|request| serve(&app, request))).await
    } else {
        lambda_stream::runtime::run_http(|request| serve(&app, request)).await
    }
}
