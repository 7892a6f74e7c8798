//! Memory and copies of a streamed response over an S3-like body, at the reference sizes
//! and at 200 MB: the peak heap stays under a bound set by the window and the frame band,
//! is flat in the object size, and chunks already in the band are never copied.
//!
//! Heap is counted per thread (the test kit's counting allocator) while a current-thread
//! runtime drives the response, so the counts are exact and unaffected by other tests.

use std::sync::OnceLock;

use bytes::Bytes;
use futures_util::StreamExt;
use lambda_stream::s3::byte_stream_from_stream;
use lambda_stream::{MetadataPrelude, ResponseConfig, ResponseStream};
use lambda_stream_testkit::Script;
use lambda_stream_testkit::data::{MAX_STREAMED, REFERENCE_SIZES, pattern};
use lambda_stream_testkit::heap::{self, HeapStats};

const SIZES: [usize; 4] = [
    REFERENCE_SIZES[0],
    REFERENCE_SIZES[1],
    REFERENCE_SIZES[2],
    MAX_STREAMED,
];

/// Chunks as an S3 body hands them out over a network, 53 bytes to 600 KiB, with two of
/// the largest in a row: the prefetch queue then holds one while the other is cut, the
/// case the bound is made of.
const NETWORK_CHUNKS: [usize; 7] = [
    600 * 1024,
    600 * 1024,
    53,
    16 * 1024,
    8 * 1024,
    64 * 1024 - 1,
    4096,
];

/// Chunks as large S3 reads come: all within the default band (64 to 256 KiB).
const IN_BAND_CHUNKS: [usize; 4] = [64 * 1024, 128 * 1024, 256 * 1024, 100_000];

/// See [`ResponseConfig::peak_heap_bound`] for the formula.
fn bound(largest: usize) -> u64 {
    ResponseConfig::default().peak_heap_bound(largest)
}

fn object() -> &'static Bytes {
    static OBJECT: OnceLock<Bytes> = OnceLock::new();
    OBJECT.get_or_init(|| pattern(MAX_STREAMED))
}

fn prelude() -> MetadataPrelude {
    MetadataPrelude::builder()
        .status(200)
        .header("Content-Type", "application/octet-stream")
        .build()
        .unwrap()
}

/// What serving one response saw: its heap, and whether every body frame was a view of
/// the object (no copy).
struct Served {
    heap: HeapStats,
    frames: usize,
    copied_frames: usize,
}

/// Serves `size` bytes of the object through `ResponseStream` over a `ByteStream` cut in
/// `chunks`; `allocate` makes the source hand out fresh allocations, as a network client
/// does. Checks every body byte, in order.
fn serve(size: usize, chunks: &[usize], allocate: bool) -> Served {
    let data = object().slice(..size);
    let mut script = Script::new(data.clone())
        .chunk_sizes(chunks.iter().copied())
        .pendings([0, 0, 1]);
    if allocate {
        script = script.allocate_chunks();
    }
    let (source, _) = script.build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let object_range = object().as_ptr_range();
    let ((at, frames, copied_frames), heap) = heap::measure(|| {
        rt.block_on(async {
            let body = byte_stream_from_stream(source, Some(size as u64));
            let stream =
                ResponseStream::from_byte_stream(&prelude(), body, &ResponseConfig::default())
                    .unwrap();
            let mut body = stream.skip(2);
            let (mut at, mut frames, mut copied) = (0, 0, 0);
            // Like a connection with one frame in flight, the previous frame is dropped
            // only once the next has come: the sharpest case for memory.
            let mut in_flight = None;
            while let Some(frame) = body.next().await {
                let frame = frame.unwrap();
                in_flight = Some(frame.clone());
                assert!(
                    frame[..] == data[at..at + frame.len()],
                    "body differs at {at}"
                );
                let range = frame.as_ptr_range();
                if range.start < object_range.start || range.end > object_range.end {
                    copied += 1;
                }
                at += frame.len();
                frames += 1;
            }
            drop(in_flight);
            (at, frames, copied)
        })
    });
    assert_eq!(at, size, "the whole body");
    Served {
        heap,
        frames,
        copied_frames,
    }
}

#[test]
fn peak_heap_is_bounded_by_window_and_band_and_flat_in_size() {
    let largest = *NETWORK_CHUNKS.iter().max().unwrap();
    let bound = bound(largest);
    let peaks: Vec<u64> = SIZES
        .iter()
        .map(|&size| {
            let served = serve(size, &NETWORK_CHUNKS, true);
            println!(
                "{size} bytes: peak heap {} B = {:.3} of the bound {bound} B, {} allocations",
                served.heap.peak_bytes,
                served.heap.peak_bytes as f64 / bound as f64,
                served.heap.allocations
            );
            served.heap.peak_bytes
        })
        .collect();
    for (size, peak) in SIZES.iter().zip(&peaks) {
        assert!(*peak <= bound, "{size} bytes: peak {peak} B over {bound} B");
    }
    // Flat: once the window and the frames have filled (4.4 MB on), size changes nothing.
    let (first, last) = (peaks[1], peaks[3]);
    assert!(
        last as f64 <= first as f64 * 1.01,
        "peak grows with size: {first} B at 4.4 MB, {last} B at 200 MB"
    );
}

#[test]
fn chunks_in_the_band_are_never_copied_and_allocate_no_body() {
    for size in SIZES {
        let served = serve(size, &IN_BAND_CHUNKS, false);
        println!(
            "{size} bytes: {} frames, {} copied, peak heap {} B, {} B allocated",
            served.frames,
            served.copied_frames,
            served.heap.peak_bytes,
            served.heap.allocated_bytes
        );
        assert_eq!(served.copied_frames, 0, "{size} bytes: frames copied");
        // No allocation carries body bytes: everything allocated is bookkeeping.
        assert!(
            served.heap.peak_bytes <= lambda_stream::RESPONSE_OVERHEAD_BYTES,
            "{size} bytes: peak {} B with nothing to buffer",
            served.heap.peak_bytes
        );
    }
}
