//! One measured response: buffered or streamed, from the embedded source or from S3.

use std::fmt;
use std::time::Duration;

#[cfg(feature = "s3")]
use aws_sdk_s3::Client;
#[cfg(feature = "s3")]
use aws_smithy_types::error::display::DisplayErrorContext;
use base64::Engine as _;
use bytes::Bytes;
#[cfg(feature = "s3")]
use lambda_stream::objects::{MetadataOptions, response_parts};
use lambda_stream::{
    DEFAULT_MAX_RESPONSE_BYTES, MetadataPrelude, ResponseStream, ResponseTooLarge,
};
use lambda_stream_testkit::heap;
use serde::Serialize;
use tokio::time::Instant;

use crate::pacing::{ClientPace, PacedSource, Received, consume};

pub use lambda_stream::limits::MAX_BUFFERED_RESPONSE_BYTES as BUFFERED_LIMIT;

/// How the response is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Collect the object, base64 it into a JSON response, send that.
    Buffered,
    /// Send it as it arrives, through `lambda_stream::ResponseStream`.
    Streamed,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Buffered => "buffered",
            Mode::Streamed => "streamed",
        })
    }
}

/// One line of the result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Object size in bytes.
    pub size_bytes: u64,
    /// `buffered` or `streamed`.
    pub mode: Mode,
    /// From the request to the first body byte at the client, in milliseconds.
    pub ttfb_ms: f64,
    /// From the request to the last byte at the client, in milliseconds.
    pub total_ms: f64,
    /// Most heap held at once while serving, in bytes.
    pub peak_heap_bytes: u64,
    /// Body bytes written to new buffers on the way out: coalescing small chunks
    /// (streamed); concatenating the object, base64 and the JSON response (buffered).
    pub bytes_copied: u64,
    /// Whether Lambda would accept the response: 6 MiB of JSON buffered, 200 MiB streamed.
    pub fits_limit: bool,
}

/// Where the object comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The embedded paced source.
    Paced {
        /// The object.
        data: Bytes,
        /// Delay before the first byte.
        latency: Duration,
        /// Bytes per second after that.
        rate: f64,
    },
    /// An S3-compatible server (feature `s3`).
    #[cfg(feature = "s3")]
    S3 {
        /// The client.
        client: Client,
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
    },
}

/// A failure while serving from S3 (the embedded source cannot fail).
#[derive(Debug)]
pub struct RunError(pub String);

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RunError {}

/// Serves the object once in `mode` on `rt` and measures it.
///
/// # Errors
///
/// When S3 fails.
pub fn measure(
    rt: &tokio::runtime::Runtime,
    source: &Source,
    mode: Mode,
    pace: ClientPace,
    size: u64,
) -> Result<Row, RunError> {
    let (outcome, stats) = heap::measure(|| {
        rt.block_on(async {
            match mode {
                Mode::Buffered => buffered(source, pace).await,
                Mode::Streamed => streamed(source, pace).await,
            }
        })
    });
    let (received, bytes_copied, fits_limit) = outcome?;
    Ok(Row {
        size_bytes: size,
        mode,
        ttfb_ms: received.ttfb.as_secs_f64() * 1e3,
        total_ms: received.total.as_secs_f64() * 1e3,
        peak_heap_bytes: stats.peak_bytes,
        bytes_copied,
        fits_limit,
    })
}

/// What a buffered Lambda response sends: the object, base64, in a JSON document.
#[derive(Serialize)]
struct BufferedResponse<'a> {
    #[serde(rename = "statusCode")]
    status_code: u16,
    headers: [(&'a str, &'a str); 1],
    #[serde(rename = "isBase64Encoded")]
    is_base64_encoded: bool,
    body: &'a str,
}

/// `(json, bytes copied)` for `object`: base64, then the JSON response around it.
fn buffered_payload(object: &[u8]) -> (Vec<u8>, u64) {
    let body = base64::engine::general_purpose::STANDARD.encode(object);
    let response = BufferedResponse {
        status_code: 200,
        headers: [("content-type", "application/octet-stream")],
        is_base64_encoded: true,
        body: &body,
    };
    let mut json = Vec::with_capacity(body.len() + 256);
    // Serializing strings into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut json, &response);
    let copied = (body.len() + json.len()) as u64;
    (json, copied)
}

async fn buffered(source: &Source, pace: ClientPace) -> Result<(Received, u64, bool), RunError> {
    let start = Instant::now();
    // Collect the object as segments (as the SDK's `collect` does), then one contiguous
    // copy, as a handler needs it to encode.
    let object: Vec<u8> = match source {
        Source::Paced {
            data,
            latency,
            rate,
        } => {
            let mut segments: Vec<Bytes> = Vec::new();
            let mut paced = std::pin::pin!(PacedSource::new(data.clone(), *latency, *rate));
            while let Some(chunk) = futures_util::StreamExt::next(&mut paced).await {
                segments.push(chunk.map_err(|e| RunError(format!("reading the source: {e}")))?);
            }
            segments.concat()
        }
        #[cfg(feature = "s3")]
        Source::S3 {
            client,
            bucket,
            key,
        } => {
            let output = get(client, bucket, key).await?;
            let aggregated = output.body.collect().await.map_err(|e| {
                RunError(format!(
                    "reading s3://{bucket}/{key}: {}",
                    DisplayErrorContext(&e)
                ))
            })?;
            aggregated.into_bytes().to_vec()
        }
    };
    let concatenated = object.len() as u64;
    let (json, copied) = buffered_payload(&object);
    drop(object);
    let fits = json.len() as u64 <= BUFFERED_LIMIT;
    // A buffered response goes out at the client's speed; Lambda's streaming rule does
    // not apply to it.
    let pace = ClientPace {
        lambda_rule: false,
        ..pace
    };
    let once = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(Bytes::from(json))]);
    let (received, _) = consume(once, pace, 0, start).await;
    Ok((received, concatenated + copied, fits))
}

async fn streamed(source: &Source, pace: ClientPace) -> Result<(Received, u64, bool), RunError> {
    let start = Instant::now();
    match source {
        Source::Paced {
            data,
            latency,
            rate,
        } => {
            let prelude = MetadataPrelude::builder()
                .status(200)
                .header("Content-Type", "application/octet-stream")
                .build()
                .map_err(|e| RunError(e.to_string()))?;
            let mut stream =
                ResponseStream::new(prelude, PacedSource::new(data.clone(), *latency, *rate))
                    .map_err(|e| RunError(e.to_string()))?;
            let (received, error) = consume(&mut stream, pace, 2, start).await;
            finish(received, error, stream.bytes_copied())
        }
        #[cfg(feature = "s3")]
        Source::S3 {
            client,
            bucket,
            key,
        } => {
            let output = get(client, bucket, key).await?;
            let parts = response_parts(&output, &MetadataOptions::default())
                .map_err(|e| RunError(e.to_string()))?;
            let prelude = MetadataPrelude::try_from(&parts).map_err(|e| RunError(e.to_string()))?;
            let length = output.content_length();
            let body = lambda_stream::s3::BodyStream::with_expected_len(output.body, length);
            let mut stream = ResponseStream::with_config(
                &prelude,
                body,
                &lambda_stream::ResponseConfig::default(),
            )
            .map_err(|e| RunError(e.to_string()))?;
            let (received, error) = consume(&mut stream, pace, 2, start).await;
            finish(received, error, stream.bytes_copied())
        }
    }
}

/// A streamed response that outgrew Lambda's limit did not fit; any other failure is one.
fn finish(
    received: Received,
    error: Option<lambda_stream::StreamError>,
    copied: u64,
) -> Result<(Received, u64, bool), RunError> {
    match error {
        None => Ok((
            received,
            copied,
            received.bytes <= DEFAULT_MAX_RESPONSE_BYTES,
        )),
        Some(e) if e.source_ref::<ResponseTooLarge>().is_some() => Ok((received, copied, false)),
        Some(e) => Err(RunError(format!("streaming: {e}"))),
    }
}

#[cfg(feature = "s3")]
async fn get(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput, RunError> {
    client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| {
            RunError(format!(
                "GetObject s3://{bucket}/{key}: {}",
                DisplayErrorContext(&e)
            ))
        })
}
