#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Library code never panics on input: on top of `[workspace.lints]`, which every target
// shares, the library itself (not its tests, examples or benches) denies these.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod body_stream;
mod error;
mod reader;
#[cfg(feature = "sdk")]
mod sdk_error;
mod upload;

pub use body_stream::BodyStream;
pub use error::{BodyError, BodyErrorKind};
pub use reader::BodyReader;
#[cfg(feature = "sdk")]
#[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
pub use sdk_error::sdk_error_code;
pub use upload::{UPLOAD_READ_SIZE, UploadError, byte_stream_from_reader, byte_stream_from_stream};
