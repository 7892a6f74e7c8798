//! A token stream, the chat-model case: small events a few milliseconds apart, each saying
//! when it was emitted, so that whoever receives it can tell each event's latency.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use tokio::time::Sleep;

/// `count` events of `size` bytes (at least 32), one every `interval`, the first at once.
/// Each is `ev <nanoseconds since the epoch, 20 digits> <index>`, padded with dots, ending
/// in a newline, and stamped when it is yielded.
#[derive(Debug)]
pub struct TokenStream {
    count: u64,
    size: usize,
    interval: Duration,
    next: u64,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl TokenStream {
    /// The events.
    pub fn new(count: u64, size: usize, interval: Duration) -> TokenStream {
        TokenStream {
            count,
            size: size.max(32),
            interval,
            next: 0,
            sleep: None,
        }
    }
}

impl Stream for TokenStream {
    type Item = Bytes;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let this = &mut *self;
        if this.next >= this.count {
            return Poll::Ready(None);
        }
        if this.next > 0 {
            let interval = this.interval;
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(interval)));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.sleep = None;
        }
        let event = event(this.next, this.size);
        this.next += 1;
        Poll::Ready(Some(event))
    }
}

/// Event `i` of `size` bytes, stamped now.
fn event(i: u64, size: usize) -> Bytes {
    let mut text = format!("ev {:020} {i}", now_ns());
    while text.len() < size - 1 {
        text.push('.');
    }
    text.push('\n');
    Bytes::from(text)
}

/// Nanoseconds since the epoch: the clock every process on the machine shares.
pub fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
}

/// The emit time of the event on `line` (without its newline), if it is one.
pub fn emitted_at(line: &[u8]) -> Option<u128> {
    let rest = line.strip_prefix(b"ev ")?;
    std::str::from_utf8(rest.get(..20)?).ok()?.parse().ok()
}

/// The emit times of the whole events in `text`, in order.
pub fn emitted(text: &[u8]) -> Vec<u128> {
    text.split(|&b| b == b'\n').filter_map(emitted_at).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn events_come_one_interval_apart_and_say_when() {
        use futures_util::StreamExt as _;
        let start = tokio::time::Instant::now();
        let events: Vec<Bytes> = TokenStream::new(3, 40, Duration::from_millis(10))
            .collect()
            .await;
        assert_eq!(start.elapsed(), Duration::from_millis(20));
        assert!(events.iter().all(|e| e.len() == 40 && e.ends_with(b"\n")));
        let text: Vec<u8> = events.concat();
        assert_eq!(emitted(&text).len(), 3);
    }
}
