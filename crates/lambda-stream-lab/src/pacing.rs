//! A consumer paced like a client (the source paced like S3 is the test kit's).

use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
pub use lambda_stream_testkit::paced::{PacedSource, SOURCE_CHUNKS};
use tokio::time::Instant;

use lambda_stream::limits::{FULL_SPEED_BYTES, THROTTLED_BYTES_PER_SECOND};

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
        let fast = len.min(FULL_SPEED_BYTES.saturating_sub(sent));
        let slow = len - fast;
        Duration::from_secs_f64(
            fast as f64 / self.rate
                + slow as f64 / self.rate.min(THROTTLED_BYTES_PER_SECOND as f64),
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
        // tokio's timer counts whole milliseconds: a shorter wait would cost a full one.
        // The time is still accounted for in `link_free`, so the totals stay exact; the
        // client only takes the next frame up to a millisecond early.
        if link_free > Instant::now() + Duration::from_millis(1) {
            tokio::time::sleep_until(link_free).await;
        }
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
