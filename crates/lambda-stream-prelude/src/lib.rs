//! Encode and incrementally decode the HTTP metadata prelude of AWS Lambda streaming
//! responses.
//!
//! A streamed Lambda response behind a function URL or API Gateway starts with a *prelude*:
//! compact JSON with the status code, headers and cookies, then exactly eight NUL bytes
//! ([`DELIMITER`]), then the body. The runtime sends it with the content type
//! [`CONTENT_TYPE`], and the delimiter must come within the first 16 KiB
//! ([`MAX_PRELUDE_LEN`]).
//!
//! - [`MetadataPrelude`] holds checked metadata, made by a [`Builder`] or from
//!   `http::response::Parts` / `http::Response`; header names keep the caller's spelling and
//!   order.
//! - [`MetadataPrelude::encode`] and [`MetadataPrelude::frames`] write it in a [`Dialect`]:
//!   function URL (the Node.js runtime's bytes), API Gateway REST, or the bytes of the
//!   `lambda_runtime` crate.
//! - [`PreludeDecoder`] reads it back from arbitrary chunks, never buffering more than the
//!   limit, and [`split_prelude`] does so for a `Stream` of `Bytes`.
//!
//! # Example
//!
//! The bytes the Node.js runtime's `HttpResponseStream.from` sends:
//!
//! ```
//! use lambda_stream_prelude::{Dialect, MetadataPrelude, DELIMITER};
//!
//! let prelude = MetadataPrelude::builder()
//!     .status(200)
//!     .header("Content-Type", "text/plain")
//!     .header("Cache-control", "no-store")
//!     .cookie("testcookie=value")
//!     .build()?;
//! let frames = prelude.frames(Dialect::FunctionUrl)?;
//! assert_eq!(
//!     &frames.json()[..],
//!     br#"{"statusCode":200,"headers":{"Content-Type":"text/plain","Cache-control":"no-store"},"cookies":["testcookie=value"]}"#
//! );
//! assert_eq!(&frames.delimiter()[..], &DELIMITER);
//! # Ok::<(), lambda_stream_prelude::PreludeError>(())
//! ```
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

mod builder;
mod decoder;
mod encode;
mod error;
mod header;
mod json;
mod prelude;
mod split;

pub use builder::{Builder, IntoStatus};
pub use decoder::{Decoded, PreludeDecoder};
pub use encode::{COMBINE_SEPARATOR, Dialect, PreludeFrames};
pub use error::{
    DecodeError, DecodeErrorKind, NameProblem, PreludeError, SplitError, ValueProblem,
};
pub use header::{HopByHopPolicy, REMAPPED_CONTENT_LENGTH};
pub use prelude::MetadataPrelude;
pub use split::{PreludeBody, SplitPrelude, split_prelude};

/// The eight NUL bytes between the prelude JSON and the body.
pub const DELIMITER: [u8; 8] = [0; 8];

/// The content type of a streamed HTTP response sent to the Lambda Runtime API.
pub const CONTENT_TYPE: &str = "application/vnd.awslambda.http-integration-response";

/// The most bytes the prelude JSON and its delimiter may take: the delimiter must end
/// within the first 16 KiB of the stream. Part of the AWS contract.
pub const MAX_PRELUDE_LEN: usize = 16 * 1024;
