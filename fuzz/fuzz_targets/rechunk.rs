//! `Rechunk` invariants under arbitrary chunkings, `Pending`s, errors and size bands.
//!
//! The input picks the band, the flush policy, the source's chunk sizes and `Pending`s and
//! where it fails; the data is a fixed pattern. Checks: the output is the input up to the
//! error, every frame is within the band except the last and those flushed on `Pending`,
//! no frame is empty, the error comes last, and the source is never polled after its end.
#![no_main]

use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_core::Stream;
use lambda_stream_chunk::{ChunkStreamExt, FlushPolicy, RechunkConfig};
use lambda_stream_testkit::data::pattern;
use lambda_stream_testkit::Script;
use libfuzzer_sys::fuzz_target;

const DATA_LEN: usize = 1 << 16;

fn data() -> &'static Bytes {
    static DATA: OnceLock<Bytes> = OnceLock::new();
    DATA.get_or_init(|| pattern(DATA_LEN))
}

fn u16_at(input: &[u8], i: usize) -> usize {
    usize::from(u16::from_le_bytes([input.get(i).copied().unwrap_or(0), input.get(i + 1).copied().unwrap_or(0)]))
}

fuzz_target!(|input: &[u8]| {
    // Header: min (u16, at most 16 KiB), max factor, policy, error flag, length (u16),
    // error offset (u16); then triples of (chunk size u16, pendings u8).
    if input.len() < 10 {
        return;
    }
    let min = u16_at(input, 0) % (16 * 1024) + 1;
    let max = min * (usize::from(input[2] % 8) + 1);
    let policy = if input[3] % 2 == 0 { FlushPolicy::Never } else { FlushPolicy::OnPending };
    let len = u16_at(input, 5).min(DATA_LEN);
    let error = (input[4] % 2 == 1).then(|| u16_at(input, 7).min(len));
    let script_bytes = &input[9..];
    let sizes: Vec<usize> = script_bytes.chunks(3).map(|c| u16_at(c, 0)).collect();
    let pendings: Vec<u32> = script_bytes.chunks(3).map(|c| u32::from(c.get(2).copied().unwrap_or(0) % 4)).collect();

    let expected = data().slice(..len);
    let mut script = Script::new(expected.clone()).chunk_sizes(sizes).pendings(pendings);
    if let Some(at) = error {
        script = script.error_at(at);
    }
    let (source, probe) = script.build();
    let config = RechunkConfig::new(min, max).expect("1 <= min <= max").flush(policy);
    let mut stream = pin!(source.rechunk(config));
    let mut cx = Context::from_waker(Waker::noop());
    let mut delivered = 0;
    let mut short_mid_stream = false;
    let failed = loop {
        let pendings_before = probe.pendings();
        match stream.as_mut().poll_next(&mut cx) {
            Poll::Pending => continue,
            Poll::Ready(Some(Ok(frame))) => {
                assert!(!frame.is_empty());
                assert!(frame.len() <= max);
                // A short frame is allowed last, or right after a Pending with OnPending.
                assert!(!short_mid_stream, "short frame before the end");
                let flushed = policy == FlushPolicy::OnPending && probe.pendings() > pendings_before;
                short_mid_stream = frame.len() < min && !flushed;
                assert_eq!(&frame[..], &expected[delivered..delivered + frame.len()]);
                delivered += frame.len();
            }
            Poll::Ready(Some(Err(e))) => break Some(e.offset()),
            Poll::Ready(None) => break None,
        }
    };
    assert_eq!(failed, error);
    assert_eq!(delivered, error.unwrap_or(len));
    assert!(matches!(stream.as_mut().poll_next(&mut cx), Poll::Ready(None)));
    assert_eq!(probe.polls_after_end(), 0);
});
