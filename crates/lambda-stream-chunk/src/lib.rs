#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Library code never panics on input: on top of `[workspace.lints]`, which every target
// shares, the library itself (not its tests, examples or benches) denies these.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod buffer;
mod config;
mod framer;
mod prefetch;
#[cfg(feature = "io")]
mod read_chunks;
mod rechunk;

pub use config::{ConfigError, DEFAULT_MAX_FRAME, DEFAULT_MIN_FRAME, FlushPolicy, RechunkConfig};
pub use prefetch::{DEFAULT_WINDOW, Prefetch};
#[cfg(feature = "io")]
#[cfg_attr(docsrs, doc(cfg(feature = "io")))]
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
