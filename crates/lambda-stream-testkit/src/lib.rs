//! Shared by the tests, benches, fuzz targets and the lab of the lambda-stream workspace
//! (not published).
//!
//! - [`Script`] / [`ScriptedSource`]: a byte source that yields given chunk sizes, returns
//!   `Pending` between chunks, and fails or ends early at a chosen byte, with a [`Probe`] that
//!   tells whether it was polled after its end and whether it was dropped.
//! - `heap` (feature `heap`): peak heap bytes and allocations of a piece of code (the
//!   feature installs a counting global allocator).
//! - [`data`]: deterministic object contents and the reference sizes.
//! - [`errors`]: error chains, and a check that each error says its own thing once.
//! - [`readme`]: a README's code block, for tests that run it.
//! - `paced` (feature `paced`): a source paced like a network response, as S3 sends; and
//!   `tokens`, small timestamped events a few milliseconds apart (a chat model's stream).
//! - `strategy` (feature `strategy`): proptest strategies for chunkings.
//! - `servers` (feature `servers`): `moto_server` and a connection-breaking proxy on
//!   127.0.0.1, stopped when dropped.

pub mod data;
pub mod errors;
#[cfg(feature = "heap")]
pub mod heap;
#[cfg(feature = "paced")]
pub mod paced;
pub mod readme;
#[cfg(feature = "servers")]
pub mod servers;
mod source;
#[cfg(feature = "strategy")]
pub mod strategy;
#[cfg(feature = "paced")]
pub mod tokens;

pub use source::{Probe, Script, ScriptError, ScriptedSource};
