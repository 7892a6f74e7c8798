#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Library code never panics on input: on top of `[workspace.lints]`, which every target
// shares, the library itself (not its tests, examples or benches) denies these.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod error;
pub mod local_lambda;
pub mod runtime_api;

pub use error::LocalError;
#[doc(inline)]
pub use local_lambda::{LocalLambda, Options, Record, Shutdown};
#[doc(inline)]
pub use runtime_api::RuntimeApi;
