//! The whole streamed pipeline against the alternatives, at 0.2 / 4.4 / 13.8 / 200 MB.
//!
//! - `pipeline_throughput`: an S3 body (`ByteStream`, chunks already in the frame band)
//!   served through `ResponseStream` (prefetch, rechunk, prelude, budget) against
//!   (a) `naive_reader_stream`, the chain users write today, `into_async_read` then
//!   `tokio_util::io::ReaderStream` with its default 4 KiB; (b) `buffered`, collect then
//!   base64 into a JSON response. Target: ahead of the naive chain. (The runtime's
//!   end-to-end figures, against `lambda_runtime` on a socket, come from the `runtime`
//!   binary.)
//! - `pipeline_ttfb`: time to the first body byte from a source paced like S3 (1 ms, then
//!   100 MB/s), streamed against buffered (target at 4.4 MB: streamed at most 5% of
//!   buffered; this depends on the pacing). Then each pipeline's own part, the pacing
//!   taken out: `streamed_own` from the source's first chunk to the first body frame,
//!   `buffered_own` from the source's end to the finished response. `streamed_own` must
//!   not grow with the object.
//!
//! Before the timed groups it prints peak heap and allocations per MB of both ways
//! (a source that allocates every chunk, as a network client does), and fails unless the
//! streamed peak is under the bound of `lambda_stream::ResponseConfig::peak_heap_bound`
//! and flat in the object size, and the buffered one at least 2.3 times the object (the
//! test suite's `memory` test guards the same bound). Each group stamps its estimates with
//! the run's id; `cargo run -p lambda-stream-benches --bin ratios` prints the ratios of
//! one run.

use std::hint::black_box;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aws_smithy_types::byte_stream::ByteStream;
use base64::Engine as _;
use bytes::Bytes;
use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput};
use futures_util::{StreamExt, stream};
use lambda_stream::{MetadataPrelude, ResponseConfig, ResponseStream};
use lambda_stream_benches::{BENCH_SIZES, Run, object, size_label};
use lambda_stream_s3::{BodyStream, byte_stream_from_stream};
use lambda_stream_testkit::data::slices;
use lambda_stream_testkit::heap;
use lambda_stream_testkit::paced::{PacedSource, SOURCE_CHUNKS};
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
        group.bench_function(id("response_stream"), |b| {
            b.iter_batched(
                || body(&data, chunk),
                |s| {
                    let stream = ResponseStream::with_config(
                        &prelude(),
                        BodyStream::new(s),
                        &ResponseConfig::default(),
                    )
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

/// What one paced response took: to its first body byte from the start, and the
/// pipeline's own part of it.
struct Ttfb {
    total: Duration,
    own: Duration,
}

/// Streamed: the own part runs from the source's first chunk to the first body frame.
async fn streamed_ttfb(data: &Bytes, latency: Duration, rate: f64) -> Ttfb {
    let start = Instant::now();
    let first_in = Arc::new(OnceLock::new());
    let seen = Arc::clone(&first_in);
    let source = PacedSource::new(data.clone(), latency, rate).inspect(move |_| {
        seen.get_or_init(Instant::now);
    });
    let stream = ResponseStream::new(prelude(), source).expect("fits");
    let mut stream = std::pin::pin!(stream.skip(2));
    let first = stream.next().await.expect("a body").expect("no error");
    let out = Instant::now();
    black_box(first);
    let first_in = *first_in.get().expect("the source yielded");
    Ttfb {
        total: out - start,
        own: out - first_in,
    }
}

/// Buffered: the own part runs from the source's end to the finished response.
async fn buffered_ttfb(data: &Bytes, latency: Duration, rate: f64) -> Ttfb {
    let start = Instant::now();
    let source = PacedSource::new(data.clone(), latency, rate);
    let chunks: Vec<Bytes> = source
        .map(|c| c.expect("no error"))
        .collect::<Vec<_>>()
        .await;
    let last_in = Instant::now();
    let json = buffered_json(&chunks.concat());
    let out = Instant::now();
    black_box(json);
    Ttfb {
        total: out - start,
        own: out - last_in,
    }
}

/// Time to the first body byte from a paced source, and each pipeline's own part of it.
fn ttfb(c: &mut Criterion) {
    let rt = runtime();
    let latency = Duration::from_millis(1);
    let rate = 100e6;
    let mut group = c.benchmark_group("pipeline_ttfb");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    for size in BENCH_SIZES {
        let data = object().slice(..size);
        let streamed = || rt.block_on(streamed_ttfb(&data, latency, rate));
        let buffered = || rt.block_on(buffered_ttfb(&data, latency, rate));
        let label = size_label(size);
        group.bench_function(BenchmarkId::new("streamed", &label), |b| {
            b.iter_custom(|iters| sum_of(iters, || streamed().total))
        });
        group.bench_function(BenchmarkId::new("buffered", &label), |b| {
            b.iter_custom(|iters| sum_of(iters, || buffered().total))
        });
        group.bench_function(BenchmarkId::new("streamed_own", &label), |b| {
            b.iter_custom(|iters| sum_of(iters, || streamed().own))
        });
        group.bench_function(BenchmarkId::new("buffered_own", &label), |b| {
            b.iter_custom(|iters| sum_of(iters, || buffered().own))
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
    let largest = *SOURCE_CHUNKS.iter().max().expect("chunk sizes");
    let bound = ResponseConfig::default().peak_heap_bound(largest);
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
        assert!(peak <= bound, "streamed peak {peak} over the bound {bound}");
        streamed.push(peak);
    }
    let (reference, large) = (streamed[1], streamed[streamed.len() - 1]);
    println!(
        "pipeline_heap: streamed peak at 200 MB / at 4.4 MB = {:.3}; bound {bound} B",
        large as f64 / reference as f64,
    );
    assert!(
        large as f64 <= reference as f64 * 1.01,
        "streamed peak grows with size: {reference} vs {large}"
    );
}

fn main() {
    heap_report();
    let run = Run::start();
    let mut c = Criterion::default().configure_from_args();
    throughput(&mut c);
    ttfb(&mut c);
    for group in ["pipeline_throughput", "pipeline_ttfb"] {
        run.stamp(group)
            .expect("stamping the estimates with the run id");
    }
    c.final_summary();
}
