//! `Prefetch` then `Rechunk`, from a source that allocates every chunk as a network client
//! does: the documented memory bounds add up, at every reference size.

mod common;

use lambda_stream_chunk::{ChunkStreamExt, RechunkConfig};
use lambda_stream_testkit::Script;
use lambda_stream_testkit::data::REFERENCE_SIZES;
use lambda_stream_testkit::strategy::pendings;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn peak_heap_is_the_sum_of_the_bounds(
        size in prop::sample::select(REFERENCE_SIZES.to_vec()),
        sizes in prop::collection::vec(53usize..=64 * 1024, 1..8),
        pend in pendings(),
        window in 64usize * 1024..=2 << 20,
    ) {
        let data = common::object().slice(..size);
        let largest = *sizes.iter().max().unwrap();
        let smallest = *sizes.iter().min().unwrap();
        let (source, probe) = Script::new(data.clone()).chunk_sizes(sizes).pendings(pend).allocate_chunks().build();
        let config = RechunkConfig::new(32 * 1024, 256 * 1024).unwrap();
        let max = config.max();
        let outcome = common::drive(source.prefetch(window).rechunk(config), &data, &probe, |_, _| {});
        prop_assert_eq!(outcome.delivered, size);
        // Queued chunks (window - 1 + largest), their queue entries, the rechunk buffer
        // (2 * max), and the chunk in flight between the two.
        let entries = (window / smallest + 2) * 32;
        let bound = window + largest + entries + 2 * max + largest;
        prop_assert!(outcome.heap.peak_bytes <= bound as u64, "peak {} over {}", outcome.heap.peak_bytes, bound);
    }
}
