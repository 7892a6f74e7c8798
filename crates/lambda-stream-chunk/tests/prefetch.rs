//! `Prefetch`: order, errors, the window bound, and dropping.

mod common;

use std::pin::Pin;
use std::task::{Context, Waker};

use futures_core::Stream;
use futures_util::StreamExt;
use lambda_stream_chunk::{ChunkStreamExt, Prefetch};
use lambda_stream_testkit::Script;
use lambda_stream_testkit::data::REFERENCE_SIZES;
use lambda_stream_testkit::strategy::{chunk_sizes, pendings};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn chunks_come_out_in_order_within_the_window(
        size in prop::sample::select(REFERENCE_SIZES.to_vec()),
        sizes in chunk_sizes(1 << 20),
        pend in pendings(),
        window in prop_oneof![Just(0usize), 1usize..=4 << 20],
        error in prop::option::of(0..=REFERENCE_SIZES[2]),
    ) {
        let sizes: Vec<usize> = sizes.into_iter().map(|s| s.max(53)).collect();
        let largest = *sizes.iter().max().unwrap();
        let data = common::object().slice(..size);
        let mut script = Script::new(data.clone()).chunk_sizes(sizes).pendings(pend);
        if let Some(at) = error {
            script = script.error_at(at);
        }
        let (source, probe) = script.build();
        let mut prefetch = source.prefetch(window);
        let outcome = common::drive(&mut prefetch, &data, &probe, |_, _| {});
        let end = error.map_or(size, |at| at.min(size));
        prop_assert_eq!(outcome.delivered, end);
        prop_assert_eq!(outcome.error.map(|e| e.offset()), error.map(|_| end));
        prop_assert_eq!(outcome.polls_after_end, 0);
        // Chunks pass unchanged: none bigger than the source's.
        prop_assert!(outcome.max_frame <= largest);
        // The bound: polled only while under the window, so one chunk at most past it.
        let bound = window.saturating_sub(1) + largest;
        prop_assert!(prefetch.peak_queued_bytes() <= bound, "{} > {}", prefetch.peak_queued_bytes(), bound);
    }
}

#[test]
fn a_full_window_stops_polling_the_source() {
    let data = common::object().slice(..100_000);
    let (source, probe) = Script::new(data).chunk_sizes([1000]).build();
    let mut prefetch = Prefetch::new(source, 10_000);
    let mut cx = Context::from_waker(Waker::noop());
    let first = Pin::new(&mut prefetch).poll_next(&mut cx);
    assert!(matches!(first, std::task::Poll::Ready(Some(Ok(ref c))) if c.len() == 1000));
    // Ten chunks filled the window, one went out: nine queued, and exactly ten polls.
    assert_eq!(probe.polls(), 10);
    assert_eq!(prefetch.queued_bytes(), 9000);
    // The next poll reads one chunk to refill the window, then hands out the oldest.
    let _ = Pin::new(&mut prefetch).poll_next(&mut cx);
    assert_eq!(probe.polls(), 11);
    assert_eq!(prefetch.peak_queued_bytes(), 10_000);
}

#[test]
fn dropping_drops_the_source_at_once() {
    let (source, probe) = Script::new(common::object().slice(..10_000))
        .chunk_sizes([100])
        .build();
    let mut prefetch = source.prefetch(1000);
    futures_executor::block_on(async { prefetch.next().await.unwrap().unwrap() });
    assert!(prefetch.queued_bytes() > 0);
    assert!(!probe.dropped());
    drop(prefetch);
    assert!(probe.dropped());
}

#[test]
fn into_inner_with_chunks_keeps_the_queue() {
    let data = common::object().slice(..1000);
    let (source, _) = Script::new(data.clone()).chunk_sizes([100]).build();
    let mut prefetch = source.prefetch(500);
    let first = futures_executor::block_on(async { prefetch.next().await.unwrap().unwrap() });
    let (mut source, queued) = prefetch.into_inner_with_chunks();
    let mut all = first.to_vec();
    queued.iter().for_each(|c| all.extend_from_slice(c));
    futures_executor::block_on(async {
        while let Some(c) = source.next().await {
            all.extend_from_slice(&c.unwrap());
        }
    });
    assert_eq!(all, data);
}
