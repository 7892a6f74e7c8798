//! The whole streamed pipeline against the alternatives, at 0.2 / 4.4 / 13.8 / 200 MB.
//!
//! - `pipeline_throughput`: an S3 body (`ByteStream`, chunks already in the frame band)
//!   served through `ResponseStream` (prefetch, rechunk, prelude, budget) against
//!   (a) `bare_loop`, a loop that takes the body's chunks and does nothing else, the upper
//!   bound; (b) `naive_reader_stream`, the chain users write today, `into_async_read` then
//!   `tokio_util::io::ReaderStream` with its default 4 KiB; (c) `buffered`, collect then
//!   base64 into a JSON response. Targets: at least 0.9 of the bare loop, ahead of the
//!   naive chain.
//! - `pipeline_ttfb`: time to the first body byte from a source paced like S3 (1 ms, then
//!   100 MB/s), streamed against buffered. Target at 4.4 MB: streamed at most 5% of
//!   buffered.
//!
//! Before the timed groups it prints peak heap and allocations per MB of both ways
//! (a source that allocates every chunk, as a network client does), and fails unless the
//! streamed peak is flat in the object size (200 MB within 10% of 0.2 MB) and under 2 MiB,
//! and the buffered one at least 2.3 times the object. `cargo run -p lambda-stream-benches
//! --bin ratios` prints the ratios of the last run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_smithy_types::byte_stream::ByteStream;
use base64::Engine as _;
use bytes::Bytes;
use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput};
use futures_util::{StreamExt, stream};
use lambda_stream::{MetadataPrelude, ResponseConfig, ResponseStream};
use lambda_stream_benches::{BENCH_SIZES, object, size_label};
use lambda_stream_s3::{BodyStream, byte_stream_from_stream};
use lambda_stream_testkit::data::slices;
use lambda_stream_testkit::heap;
use lambda_stream_testkit::paced::PacedSource;
use tokio_util::io::ReaderStream;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime")
}

fn prelude() -> MetadataPrelude {
    MetadataPrelude::builder()
        .status(200)
        .header("Content-Type", "application/octet-stream")
        .build()
        .expect("a valid prelude")
}

/// An S3-like body: `data` in chunks of `chunk` bytes (slices, no copies).
fn body(data: &Bytes, chunk: usize) -> ByteStream {
    let chunks = slices(data, &[chunk])
        .into_iter()
        .map(Ok::<_, std::io::Error>);
    byte_stream_from_stream(stream::iter(chunks), Some(data.len() as u64))
}

async fn drain<S, E>(s: S) -> usize
where
    S: futures_core::Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Debug,
{
    let mut s = std::pin::pin!(s);
    let mut n = 0;
    while let Some(frame) = s.next().await {
        n += black_box(frame.expect("no error")).len();
    }
    n
}

/// What a buffered Lambda response must do with an object: base64 it into JSON.
fn buffered_json(object: &[u8]) -> Vec<u8> {
    let body = base64::engine::general_purpose::STANDARD.encode(object);
    let mut json = Vec::with_capacity(body.len() + 128);
    json.extend_from_slice(br#"{"statusCode":200,"headers":{"content-type":"application/octet-stream"},"isBase64Encoded":true,"body":""#);
    json.extend_from_slice(body.as_bytes());
    json.extend_from_slice(br#""}"#);
    json
}

fn throughput(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("pipeline_throughput");
    for size in BENCH_SIZES {
        let data = object().slice(..size);
        let chunk = 64 * 1024;
        group.sample_size(10);
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Bytes(size as u64));
        let id = |name: &str| BenchmarkId::new(name, size_label(size));
        group.bench_function(id("bare_loop"), |b| {
            b.iter_batched(
                || BodyStream::new(body(&data, chunk)),
                |s| rt.block_on(drain(s)),
                BatchSize::LargeInput,
            )
        });
        group.bench_function(id("response_stream"), |b| {
            b.iter_batched(
                || body(&data, chunk),
                |s| {
                    let stream =
                        ResponseStream::from_byte_stream(&prelude(), s, &ResponseConfig::default())
                            .expect("fits");
                    rt.block_on(drain(stream))
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function(id("naive_reader_stream"), |b| {
            b.iter_batched(
                || body(&data, chunk),
                |s| rt.block_on(drain(ReaderStream::new(s.into_async_read()))),
                BatchSize::LargeInput,
            )
        });
        group.bench_function(id("buffered"), |b| {
            b.iter_batched(
                || body(&data, chunk),
                |s| {
                    rt.block_on(async {
                        let object = s.collect().await.expect("no error").into_bytes();
                        black_box(buffered_json(&object)).len()
                    })
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// The sum of `iters` measurements.
fn sum_of(iters: u64, mut one: impl FnMut() -> Duration) -> Duration {
    (0..iters).map(|_| one()).sum()
}

/// Time from the start of a response to its first body byte, from a paced source.
fn ttfb(c: &mut Criterion) {
    let rt = runtime();
    let latency = Duration::from_millis(1);
    let rate = 100e6;
    let mut group = c.benchmark_group("pipeline_ttfb");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    for size in BENCH_SIZES {
        let data = object().slice(..size);
        group.bench_function(BenchmarkId::new("streamed", size_label(size)), |b| {
            b.iter_custom(|iters| {
                sum_of(iters, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let source = PacedSource::new(data.clone(), latency, rate);
                        let stream = ResponseStream::new(prelude(), source).expect("fits");
                        let mut stream = std::pin::pin!(stream.skip(2));
                        let first = stream.next().await.expect("a body").expect("no error");
                        let elapsed = start.elapsed();
                        black_box(first);
                        elapsed
                    })
                })
            })
        });
        group.bench_function(BenchmarkId::new("buffered", size_label(size)), |b| {
            b.iter_custom(|iters| {
                sum_of(iters, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let source = PacedSource::new(data.clone(), latency, rate);
                        let chunks: Vec<Bytes> = source
                            .map(|c| c.expect("no error"))
                            .collect::<Vec<_>>()
                            .await;
                        let json = buffered_json(&chunks.concat());
                        let elapsed = start.elapsed();
                        black_box(json);
                        elapsed
                    })
                })
            })
        });
    }
    group.finish();
}

/// `(peak heap bytes, allocations)` of serving `size` bytes one way, from a source that
/// allocates every chunk, with the client taking frames as fast as they come.
fn heap_of(rt: &tokio::runtime::Runtime, size: usize, streamed: bool) -> (u64, u64) {
    let data = object().slice(..size);
    let (n, stats) = heap::measure(|| {
        rt.block_on(async {
            // No pacing delay: the chunks come as fast as the pipeline takes them.
            let source = PacedSource::new(data.clone(), Duration::ZERO, f64::INFINITY);
            if streamed {
                drain(ResponseStream::new(prelude(), source).expect("fits")).await
            } else {
                let chunks: Vec<Bytes> = source
                    .map(|c| c.expect("no error"))
                    .collect::<Vec<_>>()
                    .await;
                let object = chunks.concat();
                drop(chunks);
                buffered_json(&object).len()
            }
        })
    });
    assert!(n >= size);
    (stats.peak_bytes, stats.allocations)
}

fn heap_report() {
    let rt = runtime();
    let mut streamed = Vec::new();
    for size in BENCH_SIZES {
        let (peak, allocs) = heap_of(&rt, size, true);
        let (bpeak, ballocs) = heap_of(&rt, size, false);
        let mb = size as f64 / 1e6;
        println!(
            "pipeline_heap/{}: streamed peak {peak} B ({:.1} allocations/MB), buffered peak {bpeak} B = {:.2} x the object ({:.1} allocations/MB)",
            size_label(size),
            allocs as f64 / mb,
            bpeak as f64 / size as f64,
            ballocs as f64 / mb
        );
        assert!(
            bpeak as f64 >= 2.3 * size as f64,
            "buffered peak {bpeak} under 2.3 x {size}"
        );
        streamed.push(peak);
    }
    let (small, large) = (streamed[0], streamed[streamed.len() - 1]);
    println!(
        "pipeline_heap: streamed peak at 200 MB / at 0.2 MB = {:.3}; under 2 MiB: {}",
        large as f64 / small as f64,
        large < 2 * 1024 * 1024
    );
    assert!(
        (large as f64 / small as f64 - 1.0).abs() <= 0.10,
        "streamed peak not flat: {small} vs {large}"
    );
    assert!(large < 2 * 1024 * 1024, "streamed peak {large} over 2 MiB");
}

fn main() {
    heap_report();
    let mut c = Criterion::default().configure_from_args();
    throughput(&mut c);
    ttfb(&mut c);
    c.final_summary();
}
