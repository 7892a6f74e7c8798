//! `ResponseConfig`: the knobs of a [`ResponseStream`](crate::ResponseStream).

use lambda_stream_chunk::{DEFAULT_WINDOW, RechunkConfig};
use lambda_stream_prelude::Dialect;

/// The most bytes a streamed Lambda response may carry: 200 MiB (209,715,200 bytes), the
/// AWS limit. The default budget of a [`ResponseStream`](crate::ResponseStream).
///
/// ```
/// use lambda_stream::{DEFAULT_MAX_RESPONSE_BYTES, ResponseConfig};
///
/// assert_eq!(ResponseConfig::default().max_bytes(), DEFAULT_MAX_RESPONSE_BYTES);
/// assert_eq!(DEFAULT_MAX_RESPONSE_BYTES, 209_715_200);
/// ```
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 =
    lambda_stream_prelude::limits::MAX_STREAMED_RESPONSE_BYTES;

/// The fixed heap of a streamed response besides the bytes it holds: the read-ahead
/// queue's entries, the stream states and the prelude frames (634 bytes were measured with
/// chunks in the band, where nothing else is held). Part of
/// [`ResponseConfig::peak_heap_bound`]; not part of the contract.
pub const RESPONSE_OVERHEAD_BYTES: u64 = 16 * 1024;

/// How a [`ResponseStream`](crate::ResponseStream) frames and bounds its output.
///
/// ```
/// use lambda_stream::chunk::RechunkConfig;
/// use lambda_stream::{Dialect, ResponseConfig};
///
/// let config = ResponseConfig::default()
///     .with_dialect(Dialect::ApiGatewayRest)
///     .with_rechunk(RechunkConfig::new(16 * 1024, 64 * 1024)?)
///     .with_max_bytes(50 * 1024 * 1024)
///     .with_window(256 * 1024);
/// assert_eq!(config.dialect(), Dialect::ApiGatewayRest);
/// assert_eq!(config.rechunk().max(), 64 * 1024);
/// assert_eq!(config.window(), 256 * 1024);
/// assert_eq!(config.max_bytes(), 50 * 1024 * 1024);
/// # Ok::<(), lambda_stream::chunk::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseConfig {
    dialect: Dialect,
    rechunk: RechunkConfig,
    window: usize,
    max_bytes: u64,
}

impl Default for ResponseConfig {
    /// Function URL prelude, default frames (64 KiB to 256 KiB, flushed when the source
    /// stalls), a 64 KiB read-ahead window, and the 200 MiB budget.
    fn default() -> Self {
        ResponseConfig {
            dialect: Dialect::FunctionUrl,
            rechunk: RechunkConfig::default(),
            window: DEFAULT_WINDOW,
            max_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl ResponseConfig {
    /// The prelude layout (ignored in raw mode).
    #[must_use]
    pub fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// Frame sizes and flush policy of the body.
    #[must_use]
    pub fn with_rechunk(mut self, rechunk: RechunkConfig) -> Self {
        self.rechunk = rechunk;
        self
    }

    /// How far, in bytes, the source may run ahead of the consumer.
    #[must_use]
    pub fn with_window(mut self, window: usize) -> Self {
        self.window = window;
        self
    }

    /// The budget: the most bytes, prelude included, the response may carry.
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The prelude layout.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Frame sizes and flush policy.
    pub fn rechunk(&self) -> RechunkConfig {
        self.rechunk
    }

    /// The read-ahead window.
    pub fn window(&self) -> usize {
        self.window
    }

    /// The budget in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The most heap a [`ResponseStream`](crate::ResponseStream) with this configuration
    /// holds at once, whatever the body's size, for source chunks of at most
    /// `largest_chunk` bytes and a consumer that holds one frame while it sends it:
    ///
    /// `window - 1 + largest_chunk` queued by the read-ahead (the chunk handed on to be cut
    /// included), `largest_chunk` kept alive by the frame in flight,
    /// `2 * min(2 * min_frame, max_frame)` for the rechunking buffers, and
    /// [`RESPONSE_OVERHEAD_BYTES`]. The memory tests and the pipeline benchmark hold the
    /// measured peak to it.
    ///
    /// ```
    /// use lambda_stream::ResponseConfig;
    ///
    /// // The defaults (64 KiB window, 64 to 256 KiB frames) with 600 KiB S3 chunks.
    /// assert_eq!(ResponseConfig::default().peak_heap_bound(600 * 1024), 1_572_863);
    /// ```
    pub fn peak_heap_bound(&self, largest_chunk: usize) -> u64 {
        let rechunk = 2 * (2 * self.rechunk.min()).min(self.rechunk.max());
        (self.window.saturating_sub(1) + 2 * largest_chunk + rechunk) as u64
            + RESPONSE_OVERHEAD_BYTES
    }
}
