//! S3 object bodies for streamed responses: `ByteStream` to `Stream` and `AsyncRead` and
//! back, and (feature `sdk`) the HTTP semantics of serving an object: metadata, ranges,
//! conditional requests and bodies that resume after a broken connection.
//!
//! `aws_smithy_types::byte_stream::ByteStream`, the body of a `GetObject`, has no `Stream`
//! impl since its 1.0. This crate adds:
//!
//! - [`BodyStream`]: a `ByteStream` as a `Stream<Item = Result<Bytes, BodyError>>` that is
//!   `Send`, `Sync` and `Unpin`, zero-copy and fused, whose errors say after how many bytes
//!   they came and what the SDK's error chain says, and which turns a body that ends short
//!   of its `Content-Length` into an error instead of a clean end.
//! - [`BodyReader`]: `AsyncRead` and `AsyncBufRead` through the SDK's own
//!   `into_async_read`, with the same errors.
//! - [`byte_stream_from_stream`] and [`byte_stream_from_reader`]: the other way, for
//!   `PutObject` bodies, with a checked length.
//! - [`RangeHeader`] and [`ByteRange`]: HTTP `Range` parsing and resolution (206 / 416).
//! - With feature `sdk`: [`get_object`] answers an [`ObjectRequest`] like an HTTP server
//!   (200, 206, 304, 412, 416, or a [`GetError`] with its status), [`response_parts`] turns
//!   `GetObjectOutput` into HTTP headers, and [`ResumableBody`] resumes a broken body with a
//!   ranged `GetObject` pinned by `If-Match`.
//!
//! # A checksum mismatch in a streamed response
//!
//! With [`ObjectRequest::checksum_validation`], the SDK checks the object's checksum, but it
//! can only tell once the last byte has gone through: by then every byte has been handed
//! out and, in a streamed response, sent, under a status line that said `200`. The body
//! then ends with a [`BodyError`] for which [`BodyError::is_checksum_mismatch`] is true,
//! instead of a clean end; it is not resumed, since asking again cannot unsend the bytes.
//! The `lambda-stream` facade turns it into the runtime's error trailers, so the client
//! sees a response that failed at its very end, never a clean, complete one, and must
//! discard what it received. A client that needs the guarantee before the first byte
//! has to buffer, which is what streaming avoids.
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

mod body_stream;
mod error;
mod range;
mod reader;
#[cfg(feature = "sdk")]
mod sdk;
mod upload;

pub use body_stream::BodyStream;
pub use error::{BodyError, BodyErrorKind};
pub use range::{ByteRange, ContentRange, RangeHeader, ResolvedRange, Unsatisfiable};
pub use reader::BodyReader;
#[cfg(feature = "sdk")]
pub use sdk::{
    Conditions, Evaluation, GetError, GetErrorKind, MAX_KEY_LEN, MetadataError, MetadataOptions,
    ObjectRequest, ObjectResponse, RequestError, ResumableBody, ResumePolicy, Validators,
    get_object, response_parts,
};
pub use upload::{UPLOAD_READ_SIZE, UploadError, byte_stream_from_reader, byte_stream_from_stream};
