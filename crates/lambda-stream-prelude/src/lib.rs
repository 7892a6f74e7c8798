#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Library code never panics on input: on top of `[workspace.lints]`, which every target
// shares, the library itself (not its tests, examples or benches) denies these.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod builder;
mod decoder;
mod encode;
mod error;
mod header;
mod header_case;
mod json;
pub mod limits;
mod prelude;
mod received;

pub use builder::{Builder, IntoStatus};
pub use decoder::{Decoded, PreludeDecoder};
pub use encode::{COMBINE_SEPARATOR, Dialect, PreludeFrames};
pub use error::{DecodeError, DecodeErrorKind, NameProblem, PreludeError, ValueProblem};
pub use header::{HopByHopPolicy, REMAPPED_CONTENT_LENGTH};
pub use header_case::HeaderCase;
pub use prelude::MetadataPrelude;
pub use received::ReceivedPrelude;

/// The eight NUL bytes between the prelude JSON and the body.
pub const DELIMITER: [u8; 8] = [0; 8];

/// The content type of a streamed HTTP response sent to the Lambda Runtime API.
///
/// ```
/// use lambda_stream_prelude::{CONTENT_TYPE, PreludeDecoder};
///
/// // A client of InvokeWithResponseStream reads a prelude only under this content type.
/// # let content_type = Some(CONTENT_TYPE);
/// let decoder = (content_type == Some(CONTENT_TYPE)).then(PreludeDecoder::new);
/// assert!(decoder.is_some());
/// ```
pub const CONTENT_TYPE: &str = "application/vnd.awslambda.http-integration-response";

/// The most bytes the prelude JSON and its delimiter may take: the delimiter must end
/// within the first 16 KiB of the stream. Part of the AWS contract.
///
/// ```
/// use lambda_stream_prelude::{MAX_PRELUDE_LEN, MetadataPrelude, PreludeError};
///
/// let e = MetadataPrelude::builder().header("X-Big", "x".repeat(MAX_PRELUDE_LEN)).build().unwrap_err();
/// assert!(matches!(e, PreludeError::TooLarge { limit: MAX_PRELUDE_LEN, .. }));
/// ```
#[doc(inline)]
pub use limits::MAX_PRELUDE_LEN;
