//! An axum router on `lambda_stream_runtime`: the migration from
//! `lambda_http::run_with_streaming_response(app)` is the one line in `main`.
//!
//! - `GET /hello` answers a short text, as any axum handler does.
//! - `GET /count/{n}` streams `n` numbered lines as they are produced, with
//!   `lambda_stream::response`, which keeps the header spelling of the prelude.
//! - `GET /fail` streams a few lines, then fails: the caller's response ends abnormally,
//!   and Lambda records the error type `App.Exhausted`.
//! - `GET /old` redirects to `/hello`, and `DELETE /hello` answers `204 No Content`:
//!   responses without a body, which end at once (`HEAD` of any route too).
//!
//! Built for Lambda, from `crates/lambda-stream-runtime`, with
//! `cargo lambda build --release --example axum_router`.

use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use lambda_stream::{MetadataPrelude, StreamError};

pub(crate) fn text_prelude() -> MetadataPrelude {
    MetadataPrelude::builder()
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Cache-Control", "no-store")
        .build()
        .unwrap_or_default()
}

async fn count(Path(n): Path<u32>) -> impl IntoResponse {
    let lines = stream::iter(0..n).then(|i| async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        Ok::<_, StreamError>(Bytes::from(format!("line {i}\n")))
    });
    lambda_stream::response(text_prelude(), lines).map(axum::body::Body::new)
}

async fn fail() -> impl IntoResponse {
    let lines = stream::iter(0..3)
        .map(|i| Ok(Bytes::from(format!("line {i}\n"))))
        .chain(stream::once(async {
            Err(StreamError::new(
                "App.Exhausted",
                "the source ran dry after 3 lines",
            ))
        }));
    lambda_stream::response(text_prelude(), lines).map(axum::body::Body::new)
}

/// The function's routes (the runtime's `tests/tower_services.rs` serves this router).
pub(crate) fn app() -> Router {
    Router::new()
        .route(
            "/hello",
            get(|| async { "hello from axum\n" }).delete(|| async { StatusCode::NO_CONTENT }),
        )
        .route("/old", get(|| async { Redirect::permanent("/hello") }))
        .route("/count/{n}", get(count))
        .route("/fail", get(fail))
}

#[tokio::main]
async fn main() -> Result<(), lambda_stream_runtime::lambda_http::Error> {
    // Was: lambda_http::run_with_streaming_response(app()).await
    lambda_stream_runtime::run(app()).await
}
