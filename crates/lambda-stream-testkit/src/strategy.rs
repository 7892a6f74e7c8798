//! proptest strategies for the ways a source may cut its bytes.

use proptest::collection::vec;
use proptest::prelude::*;

/// Chunk sizes from 1 byte to `max`, weighted so that tiny chunks (1 to 64 bytes), the
/// S3-typical middle (53 bytes to 64 KiB) and large ones all appear. Cycled by
/// [`Script::chunk_sizes`](crate::Script::chunk_sizes).
pub fn chunk_sizes(max: usize) -> impl Strategy<Value = Vec<usize>> {
    let max = max.max(1);
    let size = prop_oneof![
        3 => 1..=64usize.min(max),
        3 => 53usize.min(max)..=(64 * 1024).min(max),
        2 => 1..=max,
    ];
    vec(size, 1..16)
}

/// How many `Pending`s come before each chunk (cycled): mostly none, sometimes a few.
pub fn pendings() -> impl Strategy<Value = Vec<u32>> {
    vec(prop_oneof![3 => Just(0u32), 1 => 1..4u32], 0..8)
}
