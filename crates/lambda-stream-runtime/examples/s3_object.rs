//! Serves S3 objects through a Lambda function URL as streamed responses: the function of
//! the published buffered-against-streamed experiment, in Rust.
//!
//! - The bucket comes from `S3_BUCKET`, the key from the request path as the client sent
//!   it, percent-decoded once (`/a%20b` is the key `a b`; an empty key, one that is not
//!   UTF-8, or one with a `.` or `..` segment such as `/..%2Fother%2Fkey`, is a 400).
//! - `S3_KEY_PREFIX` (say `public/`) restricts it to the keys under that prefix; any
//!   other key is a 403, and S3 is not asked.
//! - `GET` and `HEAD` are served; any other method gets 405 with `Allow: GET, HEAD`.
//! - `Range`, `If-Range`, `If-Match`, `If-None-Match`, `If-Modified-Since` and
//!   `If-Unmodified-Since` are honoured (206, 304, 412, 416), evaluated here whatever the S3
//!   server does with them.
//! - An object (or range) that cannot fit the 200 MiB response is refused before its first
//!   byte with 413 (`S3_MAX_BODY_BYTES` sets another limit).
//! - `Content-Type`, `ETag` and `Cache-Control` come from the object (`Cache-Control`
//!   defaults to `public, max-age=60`), and a cookie is set.
//! - The body streams through `ResumableBody` (resumes after a broken S3 connection; set
//!   `S3_RESUME=off` to disable), then the runtime's read-ahead, framing and 200 MiB budget.
//! - A missing key is a 404 with a one-line text body.
//! - Each failure and each resume of a broken S3 connection is one log line (`tracing`).
//! - It runs on `lambda_stream_runtime`: a body that fails after the first byte ends with
//!   the Runtime API's error trailers, so the caller's response ends abnormally, never as a
//!   clean, short 200. A missing `S3_BUCKET` is reported as the function's init error.
//!
//! `S3_OBJECT_MODE=buffered` runs the same function buffered instead, on
//! `lambda_http::run` (the object collected, base64 in the JSON response, so at most about
//! 4.5 MB): the comparison of the published experiment, deployed from one build.
//!
//! `S3_FORCE_PATH_STYLE=true` and the SDK's `AWS_ENDPOINT_URL_S3` point it at an
//! S3-compatible server such as `moto_server`. `RUST_LOG` sets the log level (`info` by
//! default).
//!
//! Built for Lambda, from `crates/lambda-stream-runtime`, with
//! `cargo lambda build --release --example s3_object`
//! (the binary is `target/lambda/s3_object/bootstrap`).

use std::convert::Infallible;
use std::sync::Arc;

use aws_sdk_s3::Client;
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use lambda_http::{Request, RequestExt, service_fn};
use lambda_stream::objects::{KeyPolicy, MetadataOptions, ObjectRequest, ResumePolicy, get_object};
use lambda_stream::{ResponseBody, StreamError};

const DEFAULT_CACHE_CONTROL: &str = "public, max-age=60";
const COOKIE: &str = "served-by=lambda-stream; Path=/; Secure; HttpOnly";

struct App {
    client: Client,
    bucket: String,
    keys: KeyPolicy,
    resume: ResumePolicy,
    max_body: u64,
}

/// One body type for every answer: streamed objects and short texts.
type Body = UnsyncBoxBody<Bytes, StreamError>;

async fn serve(app: Arc<App>, request: Request) -> Result<http::Response<Body>, Infallible> {
    // The path as sent: `request.uri()` has its dot segments resolved already.
    let path = request.raw_http_path();
    let object_request = match ObjectRequest::from_http_with(&app.bucket, &request, path, &app.keys)
    {
        Ok(object) => object.max_body_len(app.max_body),
        Err(e) => {
            tracing::info!(method = %request.method(), path, error = %e, "request refused");
            let mut response = text(e.status(), &e.to_string());
            if let Some(allow) = e.allow() {
                response
                    .headers_mut()
                    .insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
            }
            return Ok(response);
        }
    };
    let object = match get_object(&app.client, &object_request, &MetadataOptions::default()).await {
        Ok(object) => object,
        Err(e) => {
            tracing::warn!(
                status = e.status().as_u16(),
                error = %aws_sdk_s3::error::DisplayErrorContext(&e),
                "GetObject failed"
            );
            return Ok(text(e.status(), &e.to_string()));
        }
    };
    let (mut parts, body) = object.into_resumable(app.client.clone(), app.resume);
    let headers = &mut parts.headers;
    headers.append(
        http::header::SET_COOKIE,
        http::HeaderValue::from_static(COOKIE),
    );
    headers
        .entry(http::header::CACHE_CONTROL)
        .or_insert(http::HeaderValue::from_static(DEFAULT_CACHE_CONTROL));
    let body = ResponseBody::new(body).boxed_unsync();
    Ok(http::Response::from_parts(parts, body))
}

fn text(status: http::StatusCode, message: &str) -> http::Response<Body> {
    let body = Full::new(Bytes::from(format!("{message}\n")))
        .map_err(|never: Infallible| match never {})
        .boxed_unsync();
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

async fn app() -> Result<App, lambda_http::Error> {
    let bucket =
        std::env::var("S3_BUCKET").map_err(|_| "S3_BUCKET must name the bucket to serve")?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let path_style = std::env::var("S3_FORCE_PATH_STYLE").is_ok_and(|v| v == "true");
    let client = Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(path_style)
            .build(),
    );
    let keys = match std::env::var("S3_KEY_PREFIX") {
        Ok(prefix) => KeyPolicy::new().prefix(prefix),
        Err(_) => KeyPolicy::new(),
    };
    let resume = match std::env::var("S3_RESUME").as_deref() {
        Ok("off") => ResumePolicy::disabled(),
        _ => ResumePolicy::default(),
    };
    // The budget of a streamed response, less the largest prelude.
    let default_max =
        lambda_stream::DEFAULT_MAX_RESPONSE_BYTES - lambda_stream::prelude::MAX_PRELUDE_LEN as u64;
    let max_body = match std::env::var("S3_MAX_BODY_BYTES") {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("S3_MAX_BODY_BYTES is {text:?}: expected a number of bytes"))?,
        Err(_) => default_max,
    };
    Ok(App {
        client,
        bucket,
        keys,
        resume,
        max_body,
    })
}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .without_time()
        .init();
    if std::env::var("S3_OBJECT_MODE").is_ok_and(|m| m == "buffered") {
        let app = Arc::new(app().await?);
        let buffered = service_fn(move |request| {
            let app = app.clone();
            async move {
                let (parts, body) = serve(app, request).await?.into_parts();
                let bytes = body.collect().await.map_err(Box::new)?.to_bytes();
                Ok::<_, lambda_http::Error>(http::Response::from_parts(
                    parts,
                    lambda_http::Body::Binary(bytes.to_vec()),
                ))
            }
        });
        return lambda_http::run(buffered).await;
    }
    lambda_stream_runtime::run_with_init(|| async {
        let app = Arc::new(app().await?);
        Ok::<_, lambda_http::Error>(service_fn(move |request| serve(app.clone(), request)))
    })
    .await?;
    Ok(())
}
