//! A byte source paced like a network response (feature `paced`).

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use tokio::time::{Instant, Sleep};

/// Chunk sizes of the embedded source, cycled: S3 bodies come in chunks of 53 bytes to
/// hundreds of KiB. One cycle is 249 KB, and the largest chunk comes early, so that even a
/// 0.2 MB object meets every size (memory measured at 0.2 MB would otherwise miss the
/// largest chunk and look smaller than it is).
pub const SOURCE_CHUNKS: [usize; 6] = [16 * 1024, 128 * 1024, 8 * 1024, 53, 32 * 1024, 64 * 1024];

/// Bytes that arrive like a network response: the first after `latency`, then `rate`
/// bytes per second, in [`SOURCE_CHUNKS`], each in a fresh allocation as a network client
/// hands them out. A chunk is ready as soon as its last byte has "arrived", whether or not
/// anyone is reading, so a consumer that falls behind finds several ready at once.
#[derive(Debug)]
pub struct PacedSource {
    data: Bytes,
    pos: usize,
    next_chunk: usize,
    start: Instant,
    latency: Duration,
    rate: f64,
    sleep: Pin<Box<Sleep>>,
}

impl PacedSource {
    /// Starts delivering `data` now.
    pub fn new(data: Bytes, latency: Duration, rate: f64) -> Self {
        let start = Instant::now();
        PacedSource {
            data,
            pos: 0,
            next_chunk: 0,
            start,
            latency,
            rate,
            sleep: Box::pin(tokio::time::sleep_until(start)),
        }
    }
}

impl Stream for PacedSource {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.pos >= this.data.len() {
            return Poll::Ready(None);
        }
        let size = SOURCE_CHUNKS[this.next_chunk % SOURCE_CHUNKS.len()];
        let end = (this.pos + size).min(this.data.len());
        let ready_at = this.start + this.latency + Duration::from_secs_f64(end as f64 / this.rate);
        if Instant::now() < ready_at {
            this.sleep.as_mut().reset(ready_at);
            if this.sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        let chunk = Bytes::copy_from_slice(&this.data[this.pos..end]);
        this.pos = end;
        this.next_chunk += 1;
        Poll::Ready(Some(Ok(chunk)))
    }
}
