//! A source paced like S3 and a consumer paced like a client.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use tokio::time::{Instant, Sleep};

/// Lambda streams the first 6 MB of a response at full speed, then at most 2 MB/s.
pub const LAMBDA_FULL_SPEED_BYTES: u64 = 6_000_000;
/// The rate after that, in bytes per second.
pub const LAMBDA_THROTTLED_RATE: f64 = 2e6;

/// Chunk sizes of the embedded source, cycled: S3 bodies come in chunks of 53 bytes to
/// hundreds of KiB.
pub const SOURCE_CHUNKS: [usize; 6] = [16 * 1024, 64 * 1024, 8 * 1024, 128 * 1024, 53, 32 * 1024];

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

use std::future::Future as _;

/// How fast the client takes bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientPace {
    /// Bytes per second.
    pub rate: f64,
    /// Apply Lambda's streaming rule (6 MB at full speed, then 2 MB/s).
    pub lambda_rule: bool,
}

impl ClientPace {
    /// How long sending `len` more bytes takes once `sent` were sent.
    fn transmit(&self, sent: u64, len: u64) -> Duration {
        if !self.lambda_rule {
            return Duration::from_secs_f64(len as f64 / self.rate);
        }
        let fast = len.min(LAMBDA_FULL_SPEED_BYTES.saturating_sub(sent));
        let slow = len - fast;
        Duration::from_secs_f64(
            fast as f64 / self.rate + slow as f64 / self.rate.min(LAMBDA_THROTTLED_RATE),
        )
    }
}

/// What the client saw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Received {
    /// From the start to the first body byte.
    pub ttfb: Duration,
    /// From the start to the last byte received.
    pub total: Duration,
    /// Body bytes received.
    pub body_bytes: u64,
    /// All bytes received (prelude included).
    pub bytes: u64,
}

/// Takes frames from `stream` as a client on a link of `pace` would: a frame is taken when
/// the previous one has gone through, so the link's speed pushes back on the stream. The
/// first `skip` frames (a prelude) are not body. Returns what arrived, and the stream's
/// error if it ended with one.
pub async fn consume<S, E>(
    stream: S,
    pace: ClientPace,
    skip: usize,
    start: Instant,
) -> (Received, Option<E>)
where
    S: Stream<Item = Result<Bytes, E>>,
{
    let mut stream = std::pin::pin!(stream);
    let mut link_free = start;
    let mut ttfb = None;
    let mut bytes = 0u64;
    let mut body_bytes = 0u64;
    let mut index = 0;
    let mut error = None;
    while let Some(frame) = stream.next().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        let now = Instant::now();
        if index >= skip && ttfb.is_none() && !frame.is_empty() {
            ttfb = Some(now - start);
        }
        if index >= skip {
            body_bytes += frame.len() as u64;
        }
        link_free = link_free.max(now) + pace.transmit(bytes, frame.len() as u64);
        bytes += frame.len() as u64;
        index += 1;
        drop(frame);
        tokio::time::sleep_until(link_free).await;
    }
    let end = link_free.max(Instant::now());
    (
        Received {
            ttfb: ttfb.unwrap_or(end - start),
            total: end - start,
            body_bytes,
            bytes,
        },
        error,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lambda_rule_slows_bytes_past_6_mb() {
        let pace = ClientPace {
            rate: 10e6,
            lambda_rule: true,
        };
        assert_eq!(pace.transmit(0, 1_000_000), Duration::from_millis(100));
        // 1 MB at 10 MB/s, then 1 MB at 2 MB/s.
        assert_eq!(
            pace.transmit(5_000_000, 2_000_000),
            Duration::from_millis(600)
        );
        let free = ClientPace {
            rate: 10e6,
            lambda_rule: false,
        };
        assert_eq!(
            free.transmit(5_000_000, 2_000_000),
            Duration::from_millis(200)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_source_keeps_its_pace() {
        let data = Bytes::from(vec![7u8; 1_000_000]);
        let start = Instant::now();
        let source = PacedSource::new(data, Duration::from_millis(30), 10e6);
        let pace = ClientPace {
            rate: 1e9,
            lambda_rule: false,
        };
        let (r, error) = consume(source, pace, 0, start).await;
        assert!(error.is_none());
        assert_eq!(r.body_bytes, 1_000_000);
        // First chunk (16 KiB) at 30 ms + 1.6 ms; all of it at 30 + 100 ms. tokio's timer
        // wakes on whole milliseconds, up to a couple late.
        assert!((31..=33).contains(&r.ttfb.as_millis()), "{:?}", r.ttfb);
        assert!((130..=133).contains(&r.total.as_millis()), "{:?}", r.total);
    }
}
