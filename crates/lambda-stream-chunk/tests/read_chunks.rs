//! `ReadChunks` over readers that return short reads, `Pending` and errors.

mod common;

use std::num::NonZeroUsize;

use futures_util::StreamExt;
use lambda_stream_chunk::ReadChunks;
use lambda_stream_testkit::data::REFERENCE_SIZES;
use lambda_stream_testkit::strategy::{chunk_sizes, pendings};
use lambda_stream_testkit::{Script, ScriptError};
use proptest::prelude::*;
use tokio_util::io::StreamReader;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn frames_are_bounded_and_byte_exact(
        size in prop::sample::select(REFERENCE_SIZES[..2].to_vec()),
        reads in chunk_sizes(256 * 1024),
        pend in pendings(),
        frame in 1usize..=256 * 1024,
        error in prop::option::of(0..=REFERENCE_SIZES[1]),
    ) {
        let reads: Vec<usize> = reads.into_iter().map(|s| s.max(53)).collect();
        let data = common::object().slice(..size);
        let mut script = Script::new(data.clone()).chunk_sizes(reads).pendings(pend);
        if let Some(at) = error {
            script = script.error_at(at);
        }
        let (source, probe) = script.build();
        let reader = StreamReader::new(source.map(|r| r.map_err(std::io::Error::from)));
        let chunks = ReadChunks::new(reader, NonZeroUsize::new(frame).unwrap());
        // The harness wants `ScriptError`s: recover the one inside the io::Error.
        let chunks = chunks.map(|r| {
            r.map_err(|e| *e.into_inner().unwrap().downcast::<ScriptError>().unwrap())
        });
        let outcome = common::drive(chunks, &data, &probe, |f, last| {
            assert!(f.len <= frame);
            assert!(last || f.after_pending || f.len == frame, "short frame {} of {frame}", f.len);
        });
        let end = error.map_or(size, |at| at.min(size));
        prop_assert_eq!(outcome.delivered, end);
        prop_assert_eq!(outcome.error.map(|e| e.offset()), error.map(|_| end));
        prop_assert_eq!(outcome.polls_after_end, 0);
        // One buffer of at most 2 * frame (the StreamReader holds only source slices).
        prop_assert!(outcome.heap.peak_bytes <= 2 * frame as u64 + 1024, "{}", outcome.heap.peak_bytes);
    }
}

#[tokio::test]
async fn default_size_reads_64_kib_frames() {
    let data = common::object().slice(..200_000);
    let frames: Vec<usize> = ReadChunks::with_default_size(&data[..])
        .map(|f| f.unwrap().len())
        .collect()
        .await;
    assert_eq!(frames, [65_536, 65_536, 65_536, 3_392]);
}
