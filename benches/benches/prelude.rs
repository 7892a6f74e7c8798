//! Encoding and decoding the metadata prelude.
//!
//! A typical S3 object response (eight headers and a cookie) in every dialect, and decoding
//! it from one chunk and from 16-byte chunks (a delimiter split across chunks).

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lambda_stream_prelude::{Decoded, Dialect, MetadataPrelude, PreludeDecoder, ReceivedPrelude};
use lambda_stream_testkit::data::slices;
use std::hint::black_box;

fn s3_like_prelude() -> MetadataPrelude {
    MetadataPrelude::builder()
        .status(200)
        .header("Content-Type", "video/mp4")
        .header("Content-Length", "4400000")
        .header("ETag", "\"9b2cf535f27731c974343645a3985328\"")
        .header("Last-Modified", "Wed, 21 Oct 2026 07:28:00 GMT")
        .header("Cache-Control", "public, max-age=3600")
        .header("Accept-Ranges", "bytes")
        .header("Content-Disposition", "inline; filename=\"clip.mp4\"")
        .header("Vary", "Origin")
        .header("Vary", "Accept-Encoding")
        .cookie("session=0123456789abcdef; Path=/; Secure; HttpOnly")
        .build()
        .expect("a valid prelude")
}

const DIALECTS: [(&str, Dialect); 3] = [
    ("function_url", Dialect::FunctionUrl),
    ("api_gateway_rest", Dialect::ApiGatewayRest),
    ("lambda_runtime", Dialect::LambdaRuntime),
];

fn encode(c: &mut Criterion) {
    let prelude = s3_like_prelude();
    let mut group = c.benchmark_group("prelude_encode");
    for (name, dialect) in DIALECTS {
        let len = prelude.encode(dialect).expect("fits").len();
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| black_box(&prelude).frames(dialect).expect("fits"))
        });
    }
    group.finish();
}

fn decode_chunks(chunks: &[Bytes]) -> ReceivedPrelude {
    let mut decoder = PreludeDecoder::new();
    for chunk in chunks {
        if let Decoded::Prelude { prelude, .. } = decoder.decode(chunk.clone()).expect("valid") {
            return prelude;
        }
    }
    panic!("no prelude in the input")
}

fn decode(c: &mut Criterion) {
    let prelude = s3_like_prelude();
    let mut group = c.benchmark_group("prelude_decode");
    for (name, dialect) in DIALECTS {
        let mut stream = prelude.frames(dialect).expect("fits").to_bytes().to_vec();
        stream.extend_from_slice(b"body");
        let stream = Bytes::from(stream);
        group.throughput(Throughput::Bytes(stream.len() as u64));
        let whole = [stream.clone()];
        group.bench_function(BenchmarkId::new("one_chunk", name), |b| {
            b.iter(|| decode_chunks(black_box(&whole)))
        });
        let split = slices(&stream, &[16]);
        group.bench_function(BenchmarkId::new("16_byte_chunks", name), |b| {
            b.iter(|| decode_chunks(black_box(&split)))
        });
    }
    group.finish();
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
