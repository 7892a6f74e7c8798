//! A real `aws-sdk-s3` client against `moto_server` on 127.0.0.1.
#![allow(dead_code, unreachable_pub)]

use aws_sdk_s3::Client;
use bytes::Bytes;
use futures_util::TryStreamExt;
use lambda_stream_testkit::servers::Moto;

/// A moto server with one bucket, and a client for it.
pub async fn moto_with_bucket(bucket: &str) -> (Moto, Client) {
    lambda_stream_testkit::servers::moto_with_bucket(bucket)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Uploads `data` in 100 KB chunks through `byte_stream_from_stream`.
pub async fn put(client: &Client, bucket: &str, key: &str, data: &Bytes) {
    let chunks = lambda_stream_testkit::data::slices(data, &[100_000])
        .into_iter()
        .map(Ok::<_, std::io::Error>);
    let body = lambda_stream_s3::byte_stream_from_stream(
        futures_util::stream::iter(chunks),
        Some(data.len() as u64),
    );
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body)
        .send()
        .await
        .unwrap();
}

/// Puts `data` under `key` with a CRC32 checksum, so that GetObject with checksum
/// validation checks the body at its end.
pub async fn put_summed(client: &Client, bucket: &str, key: &str, data: &Bytes) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(data.clone().into())
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
}

/// Collects a body stream, with the chunk sizes seen.
pub async fn collect<S, E>(stream: S) -> Result<(Vec<u8>, Vec<usize>), E>
where
    S: futures_core::Stream<Item = Result<Bytes, E>>,
{
    let chunks: Vec<Bytes> = stream.try_collect().await?;
    let sizes = chunks.iter().map(Bytes::len).collect();
    Ok((chunks.concat(), sizes))
}
