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
#[cfg(feature = "sdk")]
mod answer;
mod conditional;
mod entity_tag;
#[cfg(feature = "sdk")]
mod error;
#[cfg(feature = "sdk")]
mod get;
#[cfg(feature = "sdk")]
mod identity;
mod keys;
#[cfg(feature = "sdk")]
mod metadata;
mod range;
mod request;
mod request_error;
#[cfg(feature = "sdk")]
mod response;
#[cfg(feature = "sdk")]
mod resume;

pub use conditional::{Conditions, Evaluation, Validators};
#[cfg(feature = "sdk")]
#[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
pub use error::{GetError, GetErrorKind};
#[cfg(feature = "sdk")]
#[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
pub use get::get_object;
pub use keys::KeyPolicy;
#[cfg(feature = "sdk")]
#[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
pub use metadata::{MetadataError, MetadataOptions, response_parts};
pub use range::{ByteRange, ContentRange, RangeHeader, ResolvedRange, Unsatisfiable};
pub use request::ObjectRequest;
pub use request_error::{MAX_KEY_LEN, RequestError};
#[cfg(feature = "sdk")]
#[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
pub use response::ObjectResponse;
#[cfg(feature = "sdk")]
#[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
pub use resume::{ResumableBody, ResumePolicy};
