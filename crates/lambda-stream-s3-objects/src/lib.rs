#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Library code never panics on input: on top of `[workspace.lints]`, which every target
// shares, the library itself (not its tests, examples or benches) denies these.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

// - `request`: [`ObjectRequest`], from an HTTP request.
// - `keys`: [`KeyPolicy`], the keys a path may name.
// - `range`: `Range` and `Content-Range`.
// - `conditional`: [`Conditions`], evaluated here per RFC 9110.
// - `get`: [`get_object`], which fetches and answers.
// - `answer`: every S3 answer checked against what was asked.
// - `metadata`, `response`: [`ObjectResponse`] and its headers.
// - `identity`: the object an answer served, which every resume is held to.
// - `error`: [`GetError`], and the one classification of `GetObject` failures.
// - `resume`: [`ResumableBody`].
mod answer;
mod conditional;
mod entity_tag;
mod error;
mod get;
mod identity;
mod keys;
mod metadata;
mod range;
mod request;
mod request_error;
mod response;
mod resume;

pub use conditional::{Conditions, Evaluation, Validators};
pub use error::{GetError, GetErrorKind};
pub use get::get_object;
pub use keys::KeyPolicy;
pub use metadata::{MetadataError, MetadataOptions, response_parts};
pub use range::{ByteRange, ContentRange, RangeHeader, ResolvedRange, Unsatisfiable};
pub use request::ObjectRequest;
pub use request_error::{MAX_KEY_LEN, RequestError};
pub use response::ObjectResponse;
pub use resume::{ResumableBody, ResumePolicy};
