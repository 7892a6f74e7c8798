//! HTTP response metadata from a `GetObjectOutput`.

use std::fmt;

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_smithy_types::date_time::Format;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};

/// What [`response_parts`] includes beyond the standard headers.
///
/// ```
/// use aws_sdk_s3::operation::get_object::GetObjectOutput;
/// use lambda_stream_s3_objects::{MetadataOptions, response_parts};
///
/// let output = GetObjectOutput::builder().content_length(5).metadata("owner", "reports").build();
/// let parts = response_parts(&output, &MetadataOptions::default().user_metadata(true).content_length(false))?;
/// assert_eq!(parts.headers["x-amz-meta-owner"], "reports");
/// assert!(parts.headers.get("content-length").is_none());
/// # Ok::<(), lambda_stream_s3_objects::MetadataError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetadataOptions {
    /// Send the object's user metadata as `x-amz-meta-*` headers. Off by default: user
    /// metadata is often internal.
    pub user_metadata: bool,
    /// Send `Content-Length`. On by default; a streamed response cannot honour it as a
    /// length, so the prelude's hop-by-hop policy decides what becomes of it (by default
    /// AWS's own answer: renamed `x-amzn-remapped-content-length`).
    pub content_length: bool,
}

impl Default for MetadataOptions {
    fn default() -> Self {
        MetadataOptions {
            user_metadata: false,
            content_length: true,
        }
    }
}

impl MetadataOptions {
    /// Sets [`user_metadata`](Self::user_metadata).
    #[must_use]
    pub fn user_metadata(mut self, on: bool) -> Self {
        self.user_metadata = on;
        self
    }

    /// Sets [`content_length`](Self::content_length).
    #[must_use]
    pub fn content_length(mut self, on: bool) -> Self {
        self.content_length = on;
        self
    }
}

/// A metadata value that cannot be an HTTP header value.
///
/// ```
/// use aws_sdk_s3::operation::get_object::GetObjectOutput;
/// use lambda_stream_s3_objects::{MetadataOptions, response_parts};
///
/// let output = GetObjectOutput::builder().metadata("note", "two\nlines").build();
/// let e = response_parts(&output, &MetadataOptions::default().user_metadata(true)).unwrap_err();
/// assert_eq!(e.header(), "x-amz-meta-note");
/// assert_eq!(e.to_string(), "object metadata for header `x-amz-meta-note`: expected a valid header value, found \"two\\nlines\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataError {
    header: String,
    value: String,
}

impl MetadataError {
    /// The header it was meant for.
    pub fn header(&self) -> &str {
        &self.header
    }
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "object metadata for header `{}`: expected a valid header value, found {:?}",
            self.header, self.value
        )
    }
}

impl std::error::Error for MetadataError {}

/// The status and headers of an HTTP response serving this object (or range of it):
/// `200`, or `206` with `Content-Range`; `Content-Type`, `Content-Length` (see
/// [`MetadataOptions`]), `Content-Range`, `Accept-Ranges`, `ETag`, `Last-Modified` (HTTP
/// date), `Cache-Control`, `Content-Disposition`, `Content-Encoding`, `Content-Language`,
/// `Expires`, in that order, each only when S3 sent it; then `x-amz-meta-*` if asked for.
///
/// # Errors
///
/// A value that is not a valid header value (user metadata, mostly), named, rather than
/// left out.
///
/// ```
/// use aws_sdk_s3::operation::get_object::GetObjectOutput;
/// use aws_sdk_s3::primitives::DateTime;
/// use lambda_stream_s3_objects::{MetadataOptions, response_parts};
///
/// let output = GetObjectOutput::builder()
///     .content_type("video/mp4")
///     .content_length(1024)
///     .content_range("bytes 0-1023/4096")
///     .e_tag("\"abc\"")
///     .last_modified(DateTime::from_secs(1_700_000_000))
///     .build();
/// let parts = response_parts(&output, &MetadataOptions::default())?;
/// assert_eq!(parts.status, 206);
/// assert_eq!(parts.headers["content-range"], "bytes 0-1023/4096");
/// assert_eq!(parts.headers["last-modified"], "Tue, 14 Nov 2023 22:13:20 GMT");
/// # Ok::<(), lambda_stream_s3_objects::MetadataError>(())
/// ```
pub fn response_parts(
    output: &GetObjectOutput,
    options: &MetadataOptions,
) -> Result<http::response::Parts, MetadataError> {
    let mut headers = HeaderMap::new();
    let mut put = |name: HeaderName, value: Option<&str>| -> Result<(), MetadataError> {
        if let Some(value) = value {
            let v = HeaderValue::from_str(value).map_err(|_| MetadataError {
                header: name.as_str().to_owned(),
                value: value.to_owned(),
            })?;
            headers.append(name, v);
        }
        Ok(())
    };
    put(header::CONTENT_TYPE, output.content_type())?;
    if options.content_length {
        let length = output.content_length().map(|n| n.to_string());
        put(header::CONTENT_LENGTH, length.as_deref())?;
    }
    put(header::CONTENT_RANGE, output.content_range())?;
    put(header::ACCEPT_RANGES, output.accept_ranges())?;
    put(header::ETAG, output.e_tag())?;
    let last_modified = output
        .last_modified()
        .and_then(|t| t.fmt(Format::HttpDate).ok());
    put(header::LAST_MODIFIED, last_modified.as_deref())?;
    put(header::CACHE_CONTROL, output.cache_control())?;
    put(header::CONTENT_DISPOSITION, output.content_disposition())?;
    put(header::CONTENT_ENCODING, output.content_encoding())?;
    put(header::CONTENT_LANGUAGE, output.content_language())?;
    put(header::EXPIRES, output.expires_string())?;
    if options.user_metadata
        && let Some(metadata) = output.metadata()
    {
        let mut keys: Vec<_> = metadata.keys().collect();
        keys.sort();
        for key in keys {
            let name = format!("x-amz-meta-{key}");
            let value = metadata[key].as_str();
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| MetadataError {
                header: name.clone(),
                value: value.to_owned(),
            })?;
            put(name, Some(value))?;
        }
    }
    let status = if output.content_range().is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let (mut parts, ()) = http::Response::new(()).into_parts();
    parts.status = status;
    parts.headers = headers;
    Ok(parts)
}
