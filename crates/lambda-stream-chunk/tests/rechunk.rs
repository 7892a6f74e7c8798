//! `Rechunk` under arbitrary chunkings, `Pending`s and errors, at the reference sizes.

mod common;

use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::{StreamExt, stream};
use lambda_stream_chunk::{ChunkStreamExt, FlushPolicy, Rechunk, RechunkConfig};
use lambda_stream_testkit::Script;
use lambda_stream_testkit::data::REFERENCE_SIZES;
use lambda_stream_testkit::strategy::{chunk_sizes, pendings};
use proptest::prelude::*;

/// A size band: min from 1 byte to 128 KiB, max from min to 8 times min (both sides of
/// `max = 2 * min`, where cutting without copies stops being always possible).
fn band() -> impl Strategy<Value = RechunkConfig> {
    (1usize..=128 * 1024, 1usize..=8).prop_map(|(min, factor)| {
        let max = min * factor;
        RechunkConfig::new(min, max).unwrap()
    })
}

fn policy() -> impl Strategy<Value = FlushPolicy> {
    prop::sample::select(vec![FlushPolicy::Never, FlushPolicy::OnPending])
}

/// Runs one case and checks every invariant of `Rechunk`.
fn check(
    size: usize,
    sizes: Vec<usize>,
    pend: Vec<u32>,
    error_at: Option<usize>,
    config: RechunkConfig,
) {
    let data = common::object().slice(..size);
    let mut script = Script::new(data.clone()).chunk_sizes(sizes).pendings(pend);
    if let Some(at) = error_at {
        script = script.error_at(at);
    }
    let (source, probe) = script.build();
    let (min, max) = (config.min(), config.max());
    let policy = config.flush_policy();
    let outcome = common::drive(source.rechunk(config), &data, &probe, |frame, last| {
        assert!(frame.len <= max, "frame of {} > max {max}", frame.len);
        let flushed = policy == FlushPolicy::OnPending && frame.after_pending;
        assert!(
            last || flushed || frame.len >= min,
            "short frame of {} (min {min}) mid-stream",
            frame.len
        );
    });
    let end = error_at.map_or(size, |at| at.min(size));
    // Every byte before the error (or the end) came out, in order, and then the error.
    assert_eq!(outcome.delivered, end);
    assert_eq!(outcome.error.map(|e| e.offset()), error_at.map(|_| end));
    assert_eq!(
        outcome.polls_after_end, 0,
        "the source was polled after its end"
    );
    // Memory: one buffer, at most two allocations of `max` while moving a partial frame,
    // plus their headers (frames are dropped as they come).
    let bound = 2 * max as u64 + 128;
    assert!(
        outcome.heap.peak_bytes <= bound,
        "peak heap {} over {bound}",
        outcome.heap.peak_bytes
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn small_object(sizes in chunk_sizes(1 << 20), pend in pendings(), config in band(), policy in policy(),
                    error in prop::option::of(0..=REFERENCE_SIZES[0])) {
        check(REFERENCE_SIZES[0], sizes, pend, error, config.flush(policy));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn medium_object(sizes in chunk_sizes(1 << 20), pend in pendings(), config in band(), policy in policy(),
                     error in prop::option::of(0..=REFERENCE_SIZES[1])) {
        // At least 53 bytes a chunk (the smallest S3 chunk seen) keeps a debug run short.
        let sizes = sizes.into_iter().map(|s| s.max(53)).collect();
        check(REFERENCE_SIZES[1], sizes, pend, error, config.flush(policy));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn large_object(sizes in chunk_sizes(1 << 20), pend in pendings(), config in band(), policy in policy(),
                    error in prop::option::of(0..=REFERENCE_SIZES[2])) {
        let sizes = sizes.into_iter().map(|s| s.max(53)).collect();
        check(REFERENCE_SIZES[2], sizes, pend, error, config.flush(policy));
    }
}

#[test]
fn in_band_chunks_pass_through_without_a_copy() {
    // 21 rounds of 40 + 64 + 100 KB: every chunk, the last included, is in the band.
    let data = common::object().slice(..21 * 204_000);
    let (source, _) = Script::new(data.clone())
        .chunk_sizes([40_000, 64_000, 100_000])
        .build();
    let mut rechunk = source.rechunk(RechunkConfig::new(32 * 1024, 128 * 1024).unwrap());
    futures_executor::block_on(async {
        let mut at = 0;
        while let Some(frame) = rechunk.next().await {
            let frame = frame.unwrap();
            // The very bytes of the source: same address, no copy.
            assert_eq!(frame.as_ptr(), data[at..].as_ptr());
            at += frame.len();
        }
        assert_eq!(at, data.len());
    });
    assert_eq!(rechunk.bytes_copied(), 0);
}

#[test]
fn big_chunks_are_cut_without_a_copy() {
    let data = common::object().slice(..1_000_000);
    let (source, _) = Script::new(data.clone()).chunk_sizes([600 * 1024]).build();
    let mut rechunk = source.rechunk(RechunkConfig::new(32 * 1024, 256 * 1024).unwrap());
    let sizes: Vec<usize> = futures_executor::block_on(async {
        let mut sizes = Vec::new();
        while let Some(frame) = rechunk.next().await {
            sizes.push(frame.unwrap().len());
        }
        sizes
    });
    // 614400 = 256K + 256K + 88K; the last 385600 = 256K + 123456.
    assert_eq!(sizes, [262_144, 262_144, 90_112, 262_144, 123_456]);
    assert_eq!(rechunk.bytes_copied(), 0);
}

#[test]
fn dropping_drops_the_source() {
    let (source, probe) = Script::new(common::object().slice(..1000))
        .chunk_sizes([10])
        .build();
    let mut rechunk = source.rechunk(RechunkConfig::new(100, 200).unwrap());
    futures_executor::block_on(async { rechunk.next().await.unwrap().unwrap() });
    assert!(!probe.dropped());
    let (source, rest) = rechunk.into_inner_with_chunk();
    assert_eq!(rest, None, "a full frame was sent, nothing left over");
    drop(source);
    assert!(probe.dropped());
}

#[test]
fn into_inner_with_chunk_returns_buffered_bytes() {
    let data = common::object().slice(..30);
    let (source, _) = Script::new(data.clone())
        .chunk_sizes([10])
        .pendings([0, 1])
        .build();
    let mut rechunk = source.rechunk(
        RechunkConfig::new(100, 200)
            .unwrap()
            .flush(FlushPolicy::Never),
    );
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    // First chunk held (short of `min`), then the source is Pending: nothing is sent with
    // `Never`.
    assert!(
        std::pin::Pin::new(&mut rechunk)
            .poll_next(&mut cx)
            .is_pending()
    );
    assert_eq!(rechunk.buffered_len(), 10);
    assert_eq!(rechunk.bytes_copied(), 0);
    let (_, rest) = rechunk.into_inner_with_chunk();
    assert_eq!(rest.as_deref(), Some(&data[..10]));
    assert_eq!(
        rest.map(|b| b.as_ptr()),
        Some(data.as_ptr()),
        "the held chunk comes back as it is, not copied"
    );
}

/// A source that yields `chunk` bytes every `every`, `count` times (tokio's paused clock).
fn trickle(
    chunk: usize,
    every: Duration,
    count: usize,
) -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> {
    stream::iter(0..count).then(move |_| async move {
        tokio::time::sleep(every).await;
        Ok(Bytes::from(vec![1u8; chunk]))
    })
}

async fn frame_times(policy: FlushPolicy) -> Vec<(u128, usize)> {
    let start = tokio::time::Instant::now();
    let config = RechunkConfig::new(1000, 4000).unwrap().flush(policy);
    Rechunk::new(trickle(100, Duration::from_millis(10), 30), config)
        .map(|f| (start.elapsed().as_millis(), f.unwrap().len()))
        .collect()
        .await
}

#[tokio::test(start_paused = true)]
async fn on_pending_sends_each_trickle_at_once() {
    let frames = frame_times(FlushPolicy::OnPending).await;
    assert_eq!(frames.len(), 30);
    assert_eq!(frames[0], (10, 100));
}

#[tokio::test(start_paused = true)]
async fn never_waits_for_full_frames() {
    let frames = frame_times(FlushPolicy::Never).await;
    assert_eq!(frames, [(100, 1000), (200, 1000), (300, 1000)]);
}

#[tokio::test(start_paused = true)]
async fn deadline_counts_from_the_first_buffered_byte() {
    let frames = frame_times(FlushPolicy::Deadline(Duration::from_millis(35))).await;
    // First byte at 10 ms, sent at 45 ms with the chunks of 10, 20, 30 and 40 ms; the next
    // frame starts at 50 ms and goes at 85 ms, and so on.
    assert_eq!(frames[0], (45, 400));
    assert_eq!(frames[1], (85, 400));
    assert_eq!(frames.iter().map(|f| f.1).sum::<usize>(), 3000);
    assert!(frames.iter().all(|f| f.1 <= 4000));
}
