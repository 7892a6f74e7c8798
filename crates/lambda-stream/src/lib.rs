#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Library code never panics on input: on top of `[workspace.lints]`, which every target
// shares, the library itself (not its tests, examples or benches) denies these.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod body;
mod config;
mod error;
mod naming;
mod response_stream;
mod stats;

pub use body::{ResponseBody, response};
pub use config::{DEFAULT_MAX_RESPONSE_BYTES, RESPONSE_OVERHEAD_BYTES, ResponseConfig};
pub use error::{
    ERROR_BODY_TRAILER, ERROR_TYPE_TRAILER, NamedError, ResponseTooLarge, StreamError,
};
pub use naming::{error_type_of, message_of};
pub use response_stream::ResponseStream;
pub use stats::StreamStats;

#[doc(inline)]
pub use lambda_stream_chunk as chunk;
#[doc(inline)]
pub use lambda_stream_prelude as prelude;
#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
#[doc(inline)]
pub use lambda_stream_s3 as s3;
#[cfg(feature = "objects")]
#[cfg_attr(docsrs, doc(cfg(feature = "objects")))]
#[doc(inline)]
pub use lambda_stream_s3_objects as objects;

pub use lambda_stream_prelude::limits;
pub use lambda_stream_prelude::{
    CONTENT_TYPE, DELIMITER, Dialect, HopByHopPolicy, MetadataPrelude, PreludeError,
};
