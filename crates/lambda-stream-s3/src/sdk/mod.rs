//! With feature `sdk`: answering HTTP requests from S3 objects.

mod get;
mod metadata;
mod resume;

pub use get::{GetError, GetErrorKind, ObjectRequest, ObjectResponse, get_object};
pub use metadata::{MetadataError, MetadataOptions, response_parts};
pub use resume::{ResumableBody, ResumePolicy};
