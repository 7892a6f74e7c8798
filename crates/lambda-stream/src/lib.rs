//! AWS Lambda response streaming: turn a body and its HTTP metadata into a streamed
//! response, byte-exact on the wire, zero-copy, bounded in memory, and never ending
//! cleanly when it failed.
//!
//! A streamed response behind a function URL or API Gateway is a prelude (status, headers
//! and cookies as JSON, then eight NUL bytes) followed by the body. [`ResponseStream`]
//! produces exactly that, as frames, from any body: a `Stream` of bytes, an `AsyncRead`,
//! or an S3 object (`GetObjectOutput::body`). Between the source and the wire the body
//! goes through a bounded read-ahead and frames of a size band; a budget keeps the
//! response within Lambda's 200 MiB; a failure after the first byte becomes a
//! [`StreamError`] whose [`trailers`](StreamError::trailers) the Runtime API understands.
//! [`ResponseBody`] is the same as an `http_body::Body`, and feature `runtime` adds
//! helpers for `lambda_runtime` and `lambda_http`.
//!
//! This crate composes three leaves, re-exported here: [`prelude`]
//! (`lambda-stream-prelude`), [`chunk`] (`lambda-stream-chunk`) and [`s3`]
//! (`lambda-stream-s3`).
//!
//! # Example
//!
//! An S3 object as a streamed response (with feature `s3`):
//!
//! ```no_run
//! # #[cfg(feature = "s3")]
//! # async fn handler(client: aws_sdk_s3::Client, request_headers: http::HeaderMap) -> Result<(), Box<dyn std::error::Error>> {
//! use lambda_stream::s3::{get_object, MetadataOptions, ObjectRequest, ResumePolicy};
//! use lambda_stream::{MetadataPrelude, ResponseConfig, ResponseStream};
//!
//! let request = ObjectRequest::new("my-bucket", "videos/clip.mp4").with_headers(&request_headers);
//! let object = get_object(&client, &request, &MetadataOptions::default()).await?;
//! let (parts, body) = object.into_resumable(client, ResumePolicy::default());
//! let response = ResponseStream::from_parts(&parts, body, &ResponseConfig::default())?;
//! // Hand `response` (or `ResponseBody::new(response, ..)`) to the runtime.
//! # drop(response);
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! - `s3`: GetObject metadata, ranges, conditional requests and resumable bodies.
//! - `runtime`: [`runtime::stream_response`] for `lambda_runtime`, [`runtime::http_response`]
//!   for `lambda_http`.
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms
)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod body;
mod config;
mod error;
mod response_stream;
#[cfg(feature = "runtime")]
pub mod runtime;
mod stats;

pub use body::{ErrorMode, ResponseBody};
pub use config::{DEFAULT_MAX_RESPONSE_BYTES, ResponseConfig};
pub use error::{ERROR_BODY_TRAILER, ERROR_TYPE_TRAILER, StreamError};
pub use response_stream::ResponseStream;
pub use stats::StreamStats;

pub use lambda_stream_chunk as chunk;
pub use lambda_stream_prelude as prelude;
pub use lambda_stream_s3 as s3;

pub use lambda_stream_prelude::{
    CONTENT_TYPE, DELIMITER, Dialect, HopByHopPolicy, MetadataPrelude, PreludeError,
};
