//! AWS Lambda response streaming: turn a body and its HTTP metadata into a streamed
//! response, byte-exact on the wire, zero-copy, bounded in memory, and never ending
//! cleanly when it failed.
//!
//! A streamed response behind a function URL or API Gateway is a prelude (status, headers
//! and cookies as JSON, then eight NUL bytes) followed by the body.
//!
//! - [`response`] makes the `http::Response` a handler returns to `lambda-stream-runtime`:
//!   the status and headers of a [`MetadataPrelude`], and any `Stream` of bytes as a
//!   [`ResponseBody`].
//! - [`ResponseStream`] is the whole response as frames: the prelude JSON, the delimiter,
//!   then the body through a bounded read-ahead and frames of a size band, within a budget
//!   (Lambda's 200 MiB by default), ending with a [`StreamError`] instead of cleanly when
//!   the body fails. The runtime puts it on the wire; it also serves custom transports.
//! - [`StreamError::trailers`] are the trailers the Runtime API reads after a failed body.
//!
//! This crate composes three leaves, re-exported here: [`prelude`]
//! (`lambda-stream-prelude`), [`chunk`] (`lambda-stream-chunk`) and [`s3`]
//! (`lambda-stream-s3`). It has no Lambda runtime glue: `lambda-stream-runtime` runs a
//! handler that returns these responses, and is the one runtime that keeps a failure
//! after the first byte visible to the caller.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use futures_util::{stream, StreamExt};
//! use lambda_stream::{MetadataPrelude, ResponseConfig, ResponseStream};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let prelude = MetadataPrelude::builder()
//!     .status(200)
//!     .header("Content-Type", "text/plain")
//!     .cookie("seen=1")
//!     .build()?;
//! let body = stream::iter([
//!     Ok(Bytes::from("hello, ")),
//!     Ok(Bytes::from("world")),
//!     Err(std::io::Error::other("the source went away")),
//! ]);
//! let mut frames = ResponseStream::with_config(&prelude, body, &ResponseConfig::default())?;
//! assert_eq!(
//!     frames.next().await.unwrap()?,
//!     r#"{"statusCode":200,"headers":{"Content-Type":"text/plain"},"cookies":["seen=1"]}"#
//! );
//! assert_eq!(frames.next().await.unwrap()?, &[0u8; 8][..]);
//! assert_eq!(frames.next().await.unwrap()?, "hello, world");
//! // The failure ends the stream with an error, never cleanly.
//! let failure = frames.next().await.unwrap().unwrap_err();
//! assert_eq!(failure.error_type(), "std::io::error::Error");
//! assert_eq!(failure.message(), "the source went away");
//! assert!(frames.next().await.is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Features
//!
//! - `s3`: GetObject metadata, ranges, conditional requests and resumable bodies
//!   (`lambda-stream-s3`'s `sdk`).
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
mod stats;

pub use body::{ResponseBody, response};
pub use config::{DEFAULT_MAX_RESPONSE_BYTES, ResponseConfig};
pub use error::{ERROR_BODY_TRAILER, ERROR_TYPE_TRAILER, ResponseTooLarge, StreamError};
pub use response_stream::ResponseStream;
pub use stats::StreamStats;

pub use lambda_stream_chunk as chunk;
pub use lambda_stream_prelude as prelude;
pub use lambda_stream_s3 as s3;

pub use lambda_stream_prelude::{
    CONTENT_TYPE, DELIMITER, Dialect, HopByHopPolicy, MetadataPrelude, PreludeError,
};
