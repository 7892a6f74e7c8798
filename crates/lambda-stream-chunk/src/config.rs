//! Frame sizes and flush policies for [`Rechunk`](crate::Rechunk).

use std::fmt;
#[cfg(feature = "time")]
use std::time::Duration;

/// Default smallest frame [`Rechunk`](crate::Rechunk) coalesces small chunks up to: 64 KiB.
///
/// Big enough that per-frame costs (a chunked-encoding header, a write call) are noise next
/// to the bytes, small enough that one frame is a small fraction of a client's buffer. Not
/// part of the contract: it may change between minor versions.
///
/// ```
/// use lambda_stream_chunk::{DEFAULT_MAX_FRAME, DEFAULT_MIN_FRAME, RechunkConfig};
///
/// let config = RechunkConfig::default();
/// assert_eq!((config.min(), config.max()), (DEFAULT_MIN_FRAME, DEFAULT_MAX_FRAME));
/// ```
pub const DEFAULT_MIN_FRAME: usize = 64 * 1024;

/// Default largest frame [`Rechunk`](crate::Rechunk) emits: 256 KiB. Larger upstream chunks
/// are split without copying. Not part of the contract.
///
/// ```
/// use lambda_stream_chunk::{DEFAULT_MAX_FRAME, RechunkConfig};
///
/// // A band of frames up to 1 MiB, keeping the default minimum.
/// let config = RechunkConfig::new(DEFAULT_MAX_FRAME / 4, 4 * DEFAULT_MAX_FRAME)?;
/// assert_eq!(config.max(), 1024 * 1024);
/// # Ok::<(), lambda_stream_chunk::ConfigError>(())
/// ```
pub const DEFAULT_MAX_FRAME: usize = 256 * 1024;

/// How [`Rechunk`](crate::Rechunk) decides to send a frame smaller than the minimum.
///
/// Whatever the policy, bytes buffered when the source ends or fails are sent before the end
/// or the error.
///
/// ```
/// use std::time::Duration;
/// use lambda_stream_chunk::{FlushPolicy, RechunkConfig};
///
/// let config = RechunkConfig::default();
/// assert_eq!(config.flush_policy(), FlushPolicy::OnPending);
/// let batched = config.flush(FlushPolicy::Deadline(Duration::from_millis(5)));
/// assert_eq!(batched.flush_policy(), FlushPolicy::Deadline(Duration::from_millis(5)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FlushPolicy {
    /// Strict sizes: every frame but the last is within `[min, max]`, however long the
    /// source takes. Best for throughput, worst for time to first byte.
    Never,
    /// Send what is buffered as soon as the source returns `Pending` (the default).
    ///
    /// Bytes wait only while the source has more ready, so this adds no latency of its own
    /// and the first byte never waits for a full frame; with a source that produces faster
    /// than the consumer takes, frames still come out full. That is the right trade for a
    /// streamed response, whose point is a low time to first byte.
    #[default]
    OnPending,
    /// Keep coalescing across `Pending` until the first buffered byte is this old, then send
    /// what is buffered (tokio's timer). Fewer, fuller frames from a trickling source, at a
    /// latency cost of at most the delay.
    ///
    /// Needs a tokio runtime with the time driver when the first byte is buffered.
    #[cfg(feature = "time")]
    #[cfg_attr(docsrs, doc(cfg(feature = "time")))]
    Deadline(Duration),
}

/// The frame size band and flush policy of a [`Rechunk`](crate::Rechunk).
///
/// ```
/// use lambda_stream_chunk::{FlushPolicy, RechunkConfig};
///
/// let config = RechunkConfig::new(16 * 1024, 128 * 1024)?.flush(FlushPolicy::Never);
/// assert_eq!((config.min(), config.max()), (16 * 1024, 128 * 1024));
/// assert!(RechunkConfig::new(0, 10).is_err());
/// # Ok::<(), lambda_stream_chunk::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RechunkConfig {
    min: usize,
    max: usize,
    flush: FlushPolicy,
}

impl Default for RechunkConfig {
    /// [`DEFAULT_MIN_FRAME`], [`DEFAULT_MAX_FRAME`], [`FlushPolicy::OnPending`].
    fn default() -> Self {
        RechunkConfig {
            min: DEFAULT_MIN_FRAME,
            max: DEFAULT_MAX_FRAME,
            flush: FlushPolicy::OnPending,
        }
    }
}

impl RechunkConfig {
    /// Frames of `min..=max` bytes, with the default flush policy.
    ///
    /// # Errors
    ///
    /// When `min` is 0 or larger than `max`.
    pub fn new(min: usize, max: usize) -> Result<Self, ConfigError> {
        if min == 0 || min > max {
            return Err(ConfigError { min, max });
        }
        Ok(RechunkConfig {
            min,
            max,
            flush: FlushPolicy::default(),
        })
    }

    /// Sets the flush policy.
    #[must_use]
    pub fn flush(mut self, flush: FlushPolicy) -> Self {
        self.flush = flush;
        self
    }

    /// The smallest frame, except for the last one and flushed ones.
    pub fn min(&self) -> usize {
        self.min
    }

    /// The largest frame.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The flush policy.
    pub fn flush_policy(&self) -> FlushPolicy {
        self.flush
    }
}

/// Frame sizes that cannot work: `min` must be at least 1 and at most `max`.
///
/// ```
/// use lambda_stream_chunk::RechunkConfig;
///
/// let e = RechunkConfig::new(10, 5).unwrap_err();
/// assert_eq!(e.to_string(), "frame sizes: expected 1 <= min <= max, found min 10 and max 5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigError {
    min: usize,
    max: usize,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "frame sizes: expected 1 <= min <= max, found min {} and max {}",
            self.min, self.max
        )
    }
}

impl std::error::Error for ConfigError {}
