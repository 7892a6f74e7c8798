//! With feature `sdk`: answering HTTP requests from S3 objects.
//!
//! - `request`: [`ObjectRequest`], from an HTTP request.
//! - `conditional`: [`Conditions`], evaluated here per RFC 9110.
//! - `get`: [`get_object`], which fetches and answers.
//! - `answer`: every S3 answer checked against what was asked.
//! - `metadata`, `response`: [`ObjectResponse`] and its headers.
//! - `error`: [`GetError`], and the one classification of `GetObject` failures.
//! - `resume`: [`ResumableBody`].

mod answer;
mod conditional;
mod error;
mod get;
mod metadata;
mod request;
mod response;
mod resume;

pub use conditional::{Conditions, Evaluation, Validators};
pub use error::{GetError, GetErrorKind};
pub use get::get_object;
pub use metadata::{MetadataError, MetadataOptions, response_parts};
pub use request::{KeyPolicy, MAX_KEY_LEN, ObjectRequest, RequestError};
pub use response::ObjectResponse;
pub use resume::{ResumableBody, ResumePolicy};
