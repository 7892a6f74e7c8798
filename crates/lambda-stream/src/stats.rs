//! `StreamStats`: bytes sent and timings, readable while the response streams.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Inner {
    created: Instant,
    first_body_byte: OnceLock<Instant>,
    finished: OnceLock<Instant>,
    bytes: AtomicU64,
    body_bytes: AtomicU64,
}

/// Counters of a [`ResponseStream`](crate::ResponseStream), shared: clone the handle before
/// handing the stream over, and read it during or after the response.
///
/// Times count from the creation of the stream. The stream also emits `tracing` events
/// (target `lambda_stream`): at its creation and at the first body byte (debug), and at the
/// end (info, or warn on an error), with bytes and durations.
#[derive(Debug, Clone)]
pub struct StreamStats {
    inner: Arc<Inner>,
}

impl StreamStats {
    pub(crate) fn new() -> Self {
        StreamStats {
            inner: Arc::new(Inner {
                created: Instant::now(),
                first_body_byte: OnceLock::new(),
                finished: OnceLock::new(),
                bytes: AtomicU64::new(0),
                body_bytes: AtomicU64::new(0),
            }),
        }
    }

    /// Bytes handed out so far, prelude included.
    pub fn bytes_sent(&self) -> u64 {
        self.inner.bytes.load(Ordering::Relaxed)
    }

    /// Body bytes handed out so far.
    pub fn body_bytes_sent(&self) -> u64 {
        self.inner.body_bytes.load(Ordering::Relaxed)
    }

    /// From the stream's creation to its first body byte, once there was one.
    pub fn time_to_first_byte(&self) -> Option<Duration> {
        self.inner
            .first_body_byte
            .get()
            .map(|t| t.duration_since(self.inner.created))
    }

    /// From the stream's creation to its end, or to now while it runs.
    pub fn elapsed(&self) -> Duration {
        match self.inner.finished.get() {
            Some(t) => t.duration_since(self.inner.created),
            None => self.inner.created.elapsed(),
        }
    }

    /// Whether the stream has ended (cleanly or with an error).
    pub fn is_finished(&self) -> bool {
        self.inner.finished.get().is_some()
    }

    /// Counts a frame handed out. Only the stream that owns these counters calls this, so
    /// each counter has one writer: a load and a store, no locked instruction per frame,
    /// and the clock is read once, at the first body byte.
    #[inline]
    pub(crate) fn add(&self, len: usize, body: bool) {
        let len = len as u64;
        let bytes = &self.inner.bytes;
        bytes.store(bytes.load(Ordering::Relaxed) + len, Ordering::Relaxed);
        if body {
            let body_bytes = &self.inner.body_bytes;
            body_bytes.store(body_bytes.load(Ordering::Relaxed) + len, Ordering::Relaxed);
            if self.inner.first_body_byte.get().is_none() {
                self.first_body_byte();
            }
        }
    }

    #[cold]
    fn first_body_byte(&self) {
        if self.inner.first_body_byte.set(Instant::now()).is_ok() {
            tracing::debug!(
                target: "lambda_stream",
                ttfb_ms = self.time_to_first_byte().unwrap_or_default().as_secs_f64() * 1e3,
                "first body byte"
            );
        }
    }

    pub(crate) fn finish(&self, error: Option<&crate::StreamError>) {
        if self.inner.finished.set(Instant::now()).is_err() {
            return;
        }
        let elapsed_ms = self.elapsed().as_secs_f64() * 1e3;
        let ttfb_ms = self.time_to_first_byte().map(|d| d.as_secs_f64() * 1e3);
        match error {
            None => tracing::info!(
                target: "lambda_stream",
                bytes = self.bytes_sent(),
                body_bytes = self.body_bytes_sent(),
                elapsed_ms,
                ttfb_ms,
                "response streamed"
            ),
            Some(e) => tracing::warn!(
                target: "lambda_stream",
                bytes = self.bytes_sent(),
                body_bytes = self.body_bytes_sent(),
                elapsed_ms,
                error_type = e.error_type(),
                error = e.message(),
                "response failed"
            ),
        }
    }
}
