//! Backpressure-aware chunking of byte streams, for streamed responses.
//!
//! The stage between a source (an S3 body, a file, a socket) and a response. Sources hand
//! out chunks of any size (from 53 bytes to 600 KiB from S3, varying from run to run); a
//! response wants frames big enough to be cheap and small enough to keep time to first byte
//! and memory low, and the source must never run further ahead than a bound in bytes.
//!
//! - [`Rechunk`] turns chunks of any size into frames within `[min, max]`: in-band chunks
//!   pass untouched, big ones are cut without copying, small ones are coalesced into one
//!   reused buffer, with a [`FlushPolicy`] for time to first byte.
//! - [`Prefetch`] lets the source run ahead of a busy consumer by at most a window of bytes.
//! - [`ReadChunks`] (feature `io`) reads an `AsyncRead` into frames of a target size.
//! - [`ChunkStreamExt`] adds `.rechunk(..)` and `.prefetch(..)` to every byte stream.
//!
//! Every adapter is pull-based, fused, passes `Bytes` on without copying when it can, and
//! drops its source when dropped. Each documents its memory bound as a formula.
//!
//! # Features
//!
//! - `io` (default): [`ReadChunks`], on tokio's `AsyncRead`.
//! - `time` (default): [`FlushPolicy::Deadline`], on tokio's timer.
//!
//! Without them the crate needs no runtime.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use futures_util::{stream, StreamExt};
//! use lambda_stream_chunk::{ChunkStreamExt, RechunkConfig, DEFAULT_WINDOW};
//!
//! # futures_executor::block_on(async {
//! // 1000 chunks of 53 bytes, as a slow S3 connection may deliver them.
//! let source = stream::iter((0..1000).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 53]))));
//! let frames: Vec<Bytes> = source
//!     .prefetch(DEFAULT_WINDOW)
//!     .rechunk(RechunkConfig::new(16 * 1024, 64 * 1024)?)
//!     .map(|frame| frame.unwrap())
//!     .collect()
//!     .await;
//! assert_eq!(frames.iter().map(Bytes::len).sum::<usize>(), 53_000);
//! assert!(frames[..frames.len() - 1].iter().all(|f| f.len() >= 16 * 1024));
//! # Ok::<(), lambda_stream_chunk::ConfigError>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms
)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod buffer;
mod config;
mod prefetch;
#[cfg(feature = "io")]
mod read_chunks;
mod rechunk;

pub use config::{ConfigError, DEFAULT_MAX_FRAME, DEFAULT_MIN_FRAME, FlushPolicy, RechunkConfig};
pub use prefetch::{DEFAULT_WINDOW, Prefetch};
#[cfg(feature = "io")]
pub use read_chunks::{DEFAULT_READ_FRAME, ReadChunks};
pub use rechunk::Rechunk;

use bytes::Bytes;
use futures_core::stream::TryStream;

/// `.rechunk(..)` and `.prefetch(..)` for every stream of `Result<B, E>` with `B: Into<Bytes>`.
pub trait ChunkStreamExt: TryStream + Sized
where
    Self::Ok: Into<Bytes>,
{
    /// Frames within the size band of `config`; see [`Rechunk`].
    fn rechunk(self, config: RechunkConfig) -> Rechunk<Self> {
        Rechunk::new(self, config)
    }

    /// Reads ahead of the consumer by at most `window` bytes; see [`Prefetch`].
    fn prefetch(self, window: usize) -> Prefetch<Self> {
        Prefetch::new(self, window)
    }
}

impl<S> ChunkStreamExt for S
where
    S: TryStream,
    S::Ok: Into<Bytes>,
{
}
