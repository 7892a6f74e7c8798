//! `lambda-stream-chunk` against the loops it replaces, at 0.2 / 4.4 / 13.8 / 200 MB.
//!
//! - `chunk_pass_through`: chunks already in the band, through `Rechunk`, against a bare
//!   loop that takes the same `Bytes` from the same stream (target: at least 0.95 of its
//!   throughput, and no byte copied). Both are measured twice: polled through a
//!   `Pin<Box<dyn Stream>>`, as every production consumer polls a body (hyper's boxed
//!   bodies, `lambda_runtime`'s channel), where the target applies; and inlined into the
//!   loop, where the bare loop compiles to a few instructions per chunk that no adapter with
//!   a slow path can match (informative). Also through `Prefetch`, and through an adapter
//!   that only forwards polls.
//! - `chunk_coalesce`: chunks of 53 B to 8 KiB, through `Rechunk`, against a loop that
//!   `extend_from_slice`s them into a `BytesMut` and splits off frames (target: 0.8).
//! - `chunk_read`: `ReadChunks` against `tokio_util::io::ReaderStream` with its default
//!   4 KiB capacity, reading an in-memory object.
//!
//! Before the timed groups it prints the peak heap of 200 MB and of 0.2 MB through
//! `Prefetch` then `Rechunk` (default settings, a source that allocates each chunk) and
//! fails if the peak exceeds `window + 2 * max + 64 KiB` or differs by more than 10%
//! between the two sizes. Each group stamps its estimates with the run's id;
//! `cargo run -p lambda-stream-benches --bin ratios` prints the throughput ratios of one
//! run.

use std::hint::black_box;
use std::num::NonZeroUsize;

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use futures_executor::block_on;
use futures_util::{StreamExt, stream};
use lambda_stream_benches::{BENCH_SIZES, Run, object, size_label};
use lambda_stream_chunk::{
    ChunkStreamExt, DEFAULT_MAX_FRAME, DEFAULT_WINDOW, FlushPolicy, ReadChunks, RechunkConfig,
};
use lambda_stream_testkit::data::slices;
use lambda_stream_testkit::{Script, heap};
use tokio_util::io::ReaderStream;

type Item = Result<Bytes, std::io::Error>;

/// Chunk sizes of 53 B to 8 KiB, spread deterministically.
fn tiny_sizes() -> Vec<usize> {
    (0..97u64)
        .map(|i| 53 + ((i * 2_654_435_761) % (8192 - 53)) as usize)
        .collect()
}

/// A stream that owns its chunks, so that cloning them (setup) stays out of the timing.
#[allow(clippy::unnecessary_to_owned)]
fn source(chunks: &[Bytes]) -> impl futures_core::Stream<Item = Item> + use<> {
    stream::iter(chunks.to_vec().into_iter().map(Ok))
}

/// A stream behind a `dyn` boundary, as hyper and `lambda_runtime` poll response bodies.
type Boxed = std::pin::Pin<Box<dyn futures_core::Stream<Item = Item> + Send>>;

fn drain(s: impl futures_core::Stream<Item = Item>) -> usize {
    block_on(async {
        let mut s = std::pin::pin!(s);
        let mut n = 0;
        while let Some(frame) = s.next().await {
            n += black_box(frame.expect("no error")).len();
        }
        n
    })
}

pin_project_lite::pin_project! {
    /// The thinnest adapter: forwards every poll. Shows what a layer between the source and
    /// the consumer costs by itself.
    struct Forward<S> { #[pin] s: S }
}

impl<S: futures_core::Stream> futures_core::Stream for Forward<S> {
    type Item = S::Item;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<S::Item>> {
        self.project().s.poll_next(cx)
    }
}

fn pass_through(c: &mut Criterion) {
    let config = RechunkConfig::new(32 * 1024, 256 * 1024).expect("valid band");
    let mut group = c.benchmark_group("chunk_pass_through");
    for size in BENCH_SIZES {
        let chunks = slices(&object().slice(..size), &[128 * 1024]);
        // Check once, untimed, that nothing is copied on this path.
        let mut rechunk = source(&chunks).rechunk(config);
        assert_eq!(drain(&mut rechunk), size);
        assert_eq!(rechunk.bytes_copied(), 0, "pass-through copied bytes");
        println!(
            "chunk_pass_through/{}: bytes copied by Rechunk: 0",
            size_label(size)
        );

        group.sample_size(if size > 20_000_000 { 10 } else { 50 });
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("bare_loop", size_label(size)), |b| {
            b.iter_batched(|| source(&chunks), drain, BatchSize::LargeInput)
        });
        group.bench_function(BenchmarkId::new("rechunk", size_label(size)), |b| {
            b.iter_batched(
                || source(&chunks).rechunk(config),
                drain,
                BatchSize::LargeInput,
            )
        });
        group.bench_function(BenchmarkId::new("bare_loop_dyn", size_label(size)), |b| {
            b.iter_batched(
                || Box::pin(source(&chunks)) as Boxed,
                drain,
                BatchSize::LargeInput,
            )
        });
        group.bench_function(BenchmarkId::new("rechunk_dyn", size_label(size)), |b| {
            b.iter_batched(
                || Box::pin(source(&chunks).rechunk(config)) as Boxed,
                drain,
                BatchSize::LargeInput,
            )
        });
        group.bench_function(BenchmarkId::new("forward", size_label(size)), |b| {
            b.iter_batched(
                || Forward { s: source(&chunks) },
                drain,
                BatchSize::LargeInput,
            )
        });
        group.bench_function(BenchmarkId::new("prefetch", size_label(size)), |b| {
            b.iter_batched(
                || source(&chunks).prefetch(64 * 1024),
                drain,
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn coalesce(c: &mut Criterion) {
    let config = RechunkConfig::new(32 * 1024, 256 * 1024)
        .expect("valid band")
        .flush(FlushPolicy::Never);
    let mut group = c.benchmark_group("chunk_coalesce");
    for size in BENCH_SIZES {
        let chunks = slices(&object().slice(..size), &tiny_sizes());
        group.sample_size(10);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("extend_loop", size_label(size)), |b| {
            b.iter_batched(
                || source(&chunks),
                |s| {
                    block_on(async {
                        let mut s = std::pin::pin!(s);
                        let mut buf = BytesMut::new();
                        let mut n = 0;
                        while let Some(chunk) = s.next().await {
                            buf.extend_from_slice(&chunk.expect("no error"));
                            if buf.len() >= config.min() {
                                n += black_box(buf.split().freeze()).len();
                            }
                        }
                        n + black_box(buf.split().freeze()).len()
                    })
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function(BenchmarkId::new("rechunk", size_label(size)), |b| {
            b.iter_batched(
                || source(&chunks).rechunk(config),
                drain,
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn read(c: &mut Criterion) {
    let mut group = c.benchmark_group("chunk_read");
    for size in BENCH_SIZES {
        let data = object().slice(..size);
        group.sample_size(10);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(
            BenchmarkId::new("reader_stream_4k", size_label(size)),
            |b| b.iter(|| drain(ReaderStream::new(&data[..]))),
        );
        group.bench_function(BenchmarkId::new("read_chunks_64k", size_label(size)), |b| {
            b.iter(|| drain(ReadChunks::with_default_size(&data[..])))
        });
        let frame = NonZeroUsize::new(DEFAULT_MAX_FRAME).expect("non-zero");
        group.bench_function(
            BenchmarkId::new("read_chunks_256k", size_label(size)),
            |b| b.iter(|| drain(ReadChunks::new(&data[..], frame))),
        );
    }
    group.finish();
}

/// Peak heap of the default pipeline from a source that allocates every chunk.
fn pipeline_peak(size: usize) -> u64 {
    let data = object().slice(..size);
    let (source, _) = Script::new(data)
        .chunk_sizes([16 * 1024, 53, 8 * 1024, 64 * 1024 - 1, 4096])
        .pendings([0, 0, 1])
        .allocate_chunks()
        .build();
    let (delivered, stats) = heap::measure(|| {
        drain(
            source
                .map(|r| r.map_err(std::io::Error::from))
                .prefetch(DEFAULT_WINDOW)
                .rechunk(RechunkConfig::default()),
        )
    });
    assert_eq!(delivered, size);
    stats.peak_bytes
}

fn heap_report() {
    let small = pipeline_peak(BENCH_SIZES[0]);
    let large = pipeline_peak(BENCH_SIZES[3]);
    let bound = (DEFAULT_WINDOW + 2 * DEFAULT_MAX_FRAME + 64 * 1024) as u64;
    println!(
        "chunk_pipeline_heap: peak {small} B at {}, {large} B at {}; bound window + 2 x max + 64 KiB = {bound} B; ratio {:.3}",
        size_label(BENCH_SIZES[0]),
        size_label(BENCH_SIZES[3]),
        large as f64 / small as f64
    );
    assert!(large <= bound, "peak heap {large} over {bound}");
    assert!(
        (large as f64 / small as f64 - 1.0).abs() <= 0.10,
        "peak heap not flat: {small} vs {large}"
    );
}

fn main() {
    heap_report();
    let run = Run::start();
    let mut c = Criterion::default().configure_from_args();
    pass_through(&mut c);
    coalesce(&mut c);
    read(&mut c);
    for group in ["chunk_pass_through", "chunk_coalesce", "chunk_read"] {
        run.stamp(group)
            .expect("stamping the estimates with the run id");
    }
    c.final_summary();
}
