#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Library code never panics on input: on top of `[workspace.lints]`, which every target
// shares, the library itself (not its tests, examples or benches) denies these.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

#[cfg(feature = "sdk")]
mod body;
#[cfg(feature = "sdk")]
mod error;
mod event;
#[cfg(feature = "sdk")]
mod response;

#[cfg(feature = "sdk")]
pub use body::{InvokeBody, InvokeReader};
#[cfg(feature = "sdk")]
pub use error::{InvokeError, InvokeErrorKind};
pub use event::FunctionUrlEvent;
#[cfg(feature = "sdk")]
#[doc(inline)]
pub use lambda_stream_prelude as prelude;
#[cfg(feature = "sdk")]
pub use response::{InvokeResponse, invoke};
