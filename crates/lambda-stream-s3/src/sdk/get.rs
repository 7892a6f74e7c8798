//! `get_object`: a GetObject that answers like an HTTP server would.

use std::error::Error as StdError;
use std::fmt;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::types::ChecksumMode;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::date_time::{DateTime, Format};
use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode};

use super::metadata::{MetadataError, MetadataOptions, response_parts};
use super::resume::{ObjectIdentity, ResumableBody, ResumePolicy};
use crate::BodyStream;
use crate::range::{ByteRange, RangeHeader};

/// What to fetch: an object, an optional byte range, conditions.
///
/// [`with_headers`](Self::with_headers) takes them from an incoming HTTP request: `Range`
/// (see [`RangeHeader`] for what is served and what is ignored), `If-Match`,
/// `If-None-Match`, `If-Modified-Since` and `If-Unmodified-Since` (a date that does not
/// parse is ignored, as RFC 9110 requires). S3 evaluates the conditions; their answers come
/// back as `304` and `412` responses, not errors.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRequest {
    bucket: String,
    key: String,
    range: Option<RangeHeader>,
    if_match: Option<String>,
    if_none_match: Option<String>,
    if_modified_since: Option<DateTime>,
    if_unmodified_since: Option<DateTime>,
    version_id: Option<String>,
    checksum: bool,
}

impl ObjectRequest {
    /// The whole object `key` in `bucket`, unconditionally.
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        ObjectRequest {
            bucket: bucket.into(),
            key: key.into(),
            range: None,
            if_match: None,
            if_none_match: None,
            if_modified_since: None,
            if_unmodified_since: None,
            version_id: None,
            checksum: false,
        }
    }

    /// Takes `Range` and the conditional headers from an incoming request.
    #[must_use]
    pub fn with_headers(mut self, headers: &HeaderMap) -> Self {
        let text = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let date = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| DateTime::from_str(v, Format::HttpDate).ok())
        };
        if let Some(range) = headers.get(header::RANGE) {
            self.range = Some(RangeHeader::parse(range.as_bytes()));
        }
        self.if_match = text(header::IF_MATCH).or(self.if_match);
        self.if_none_match = text(header::IF_NONE_MATCH).or(self.if_none_match);
        self.if_modified_since = date(header::IF_MODIFIED_SINCE).or(self.if_modified_since);
        self.if_unmodified_since = date(header::IF_UNMODIFIED_SINCE).or(self.if_unmodified_since);
        self
    }

    /// Asks for one byte range.
    #[must_use]
    pub fn range(mut self, range: ByteRange) -> Self {
        self.range = Some(RangeHeader::Single(range));
        self
    }

    /// Serve only if the object's ETag is `etag`.
    #[must_use]
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self
    }

    /// Answer `304` if the object's ETag is `etag`.
    #[must_use]
    pub fn if_none_match(mut self, etag: impl Into<String>) -> Self {
        self.if_none_match = Some(etag.into());
        self
    }

    /// Answer `304` unless the object changed after `time`.
    #[must_use]
    pub fn if_modified_since(mut self, time: DateTime) -> Self {
        self.if_modified_since = Some(time);
        self
    }

    /// Serve only if the object did not change after `time`.
    #[must_use]
    pub fn if_unmodified_since(mut self, time: DateTime) -> Self {
        self.if_unmodified_since = Some(time);
        self
    }

    /// A given version of the object.
    #[must_use]
    pub fn version_id(mut self, version_id: impl Into<String>) -> Self {
        self.version_id = Some(version_id.into());
        self
    }

    /// Asks S3 for the object's checksum and has the SDK check it. The SDK can only tell
    /// after the last byte; see [`BodyError::is_checksum_mismatch`](crate::BodyError::is_checksum_mismatch).
    #[must_use]
    pub fn checksum_validation(mut self, on: bool) -> Self {
        self.checksum = on;
        self
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// What the `Range` header asked for, if there was one.
    pub fn range_header(&self) -> Option<RangeHeader> {
        self.range
    }
}

/// The answer to an [`ObjectRequest`], as an HTTP server would give it: `200` or `206`
/// with the object's headers and body, `304`, `412`, or `416` with
/// `Content-Range: bytes */size`, the last three without a body.
#[derive(Debug)]
pub struct ObjectResponse {
    parts: http::response::Parts,
    body: Option<BodyStream>,
    identity: Option<ObjectIdentity>,
}

impl ObjectResponse {
    /// The status: 200, 206, 304, 412 or 416.
    pub fn status(&self) -> StatusCode {
        self.parts.status
    }

    /// Status and headers.
    pub fn parts(&self) -> &http::response::Parts {
        &self.parts
    }

    /// Whether there is a body to send (200 and 206).
    pub fn has_body(&self) -> bool {
        self.body.is_some()
    }

    /// Status, headers and the body (empty for 304, 412 and 416).
    pub fn into_body_stream(self) -> (http::response::Parts, BodyStream) {
        let body = self
            .body
            .unwrap_or_else(|| BodyStream::new(ByteStream::default()));
        (self.parts, body)
    }

    /// Status, headers and a body that resumes where it broke off; see [`ResumableBody`].
    pub fn into_resumable(
        self,
        client: Client,
        policy: ResumePolicy,
    ) -> (http::response::Parts, ResumableBody) {
        let body = match (self.body, self.identity) {
            (Some(body), Some(identity)) => ResumableBody::new(client, identity, body, policy),
            (body, _) => ResumableBody::finished(
                body.unwrap_or_else(|| BodyStream::new(ByteStream::default())),
            ),
        };
        (self.parts, body)
    }
}

/// Why [`get_object`] could not answer with the object.
#[derive(Debug)]
pub struct GetError {
    kind: GetErrorKind,
    bucket: String,
    key: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

/// The kinds of [`GetError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GetErrorKind {
    /// The key does not exist (S3 `NoSuchKey`): answer 404.
    NoSuchKey,
    /// The bucket does not exist (S3 `NoSuchBucket`): a configuration error, answer 500.
    NoSuchBucket,
    /// S3 refused access (`AccessDenied`; also what S3 says for a missing key without
    /// `s3:ListBucket`): answer 403.
    AccessDenied,
    /// S3 answered with another error: answer 502.
    Service,
    /// S3 could not be reached or did not answer (connection, timeout): answer 502.
    Unreachable,
    /// The object's metadata cannot be sent as HTTP headers: answer 500.
    Metadata,
}

impl GetError {
    /// What went wrong.
    pub fn kind(&self) -> GetErrorKind {
        self.kind
    }

    /// The status to answer the client with.
    pub fn status(&self) -> StatusCode {
        match self.kind {
            GetErrorKind::NoSuchKey => StatusCode::NOT_FOUND,
            GetErrorKind::AccessDenied => StatusCode::FORBIDDEN,
            GetErrorKind::NoSuchBucket | GetErrorKind::Metadata => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            GetErrorKind::Service | GetErrorKind::Unreachable => StatusCode::BAD_GATEWAY,
        }
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GetObject s3://{}/{}: ", self.bucket, self.key)?;
        let what = match self.kind {
            GetErrorKind::NoSuchKey => "no such key",
            GetErrorKind::NoSuchBucket => "no such bucket",
            GetErrorKind::AccessDenied => "access denied",
            GetErrorKind::Service => "S3 error",
            GetErrorKind::Unreachable => "S3 unreachable",
            GetErrorKind::Metadata => "metadata cannot be sent",
        };
        f.write_str(what)?;
        if let Some(source) = &self.source {
            f.write_str(": ")?;
            fmt::Display::fmt(&crate::ErrorChain(source.as_ref()), f)?;
        }
        Ok(())
    }
}

impl StdError for GetError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// Fetches an object and answers like an HTTP server: see [`ObjectResponse`] and
/// [`GetError::status`].
///
/// Only one request is made, except for a `416`: then a `HeadObject` finds the size for
/// `Content-Range: bytes */size`.
///
/// # Errors
///
/// [`GetError`], with the status to answer with.
pub async fn get_object(
    client: &Client,
    request: &ObjectRequest,
    options: &MetadataOptions,
) -> Result<ObjectResponse, GetError> {
    let range = request.range.and_then(|r| r.single());
    let mut get = client
        .get_object()
        .bucket(&request.bucket)
        .key(&request.key);
    if let Some(range) = range {
        get = get.range(range.header_value());
    }
    if request.checksum {
        get = get.checksum_mode(ChecksumMode::Enabled);
    }
    let get = get
        .set_if_match(request.if_match.clone())
        .set_if_none_match(request.if_none_match.clone())
        .set_if_modified_since(request.if_modified_since)
        .set_if_unmodified_since(request.if_unmodified_since)
        .set_version_id(request.version_id.clone());
    let fail = |kind, source: Option<Box<dyn StdError + Send + Sync>>| GetError {
        kind,
        bucket: request.bucket.clone(),
        key: request.key.clone(),
        source,
    };
    match get.send().await {
        Ok(mut output) => {
            let parts = response_parts(&output, options)
                .map_err(|e: MetadataError| fail(GetErrorKind::Metadata, Some(Box::new(e))))?;
            let identity = ObjectIdentity::of(request, &output);
            // The SDK's body does not always say its length: check against Content-Length.
            let length = output.content_length();
            let body = BodyStream::with_expected_len(std::mem::take(&mut output.body), length);
            Ok(ObjectResponse {
                parts,
                body: Some(body),
                identity,
            })
        }
        Err(SdkError::ServiceError(ctx)) => {
            let status = ctx.raw().status().as_u16();
            let code = ctx.err().code().map(str::to_owned);
            let raw_headers = ctx.raw().headers();
            let copy = |names: &[header::HeaderName]| {
                let mut headers = HeaderMap::new();
                for name in names {
                    if let Some(v) = raw_headers
                        .get(name.as_str())
                        .and_then(|v| HeaderValue::from_str(v).ok())
                    {
                        headers.insert(name.clone(), v);
                    }
                }
                headers
            };
            let answer = |status, headers| {
                let (mut parts, ()) = http::Response::new(()).into_parts();
                parts.status = status;
                parts.headers = headers;
                Ok(ObjectResponse {
                    parts,
                    body: None,
                    identity: None,
                })
            };
            match (status, code.as_deref()) {
                (304, _) => answer(
                    StatusCode::NOT_MODIFIED,
                    copy(&[
                        header::ETAG,
                        header::LAST_MODIFIED,
                        header::CACHE_CONTROL,
                        header::EXPIRES,
                    ]),
                ),
                (412, _) | (_, Some("PreconditionFailed")) => {
                    answer(StatusCode::PRECONDITION_FAILED, HeaderMap::new())
                }
                (416, _) | (_, Some("InvalidRange")) => {
                    let mut headers = HeaderMap::new();
                    if let Some(size) = object_size(client, request).await
                        && let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}"))
                    {
                        headers.insert(header::CONTENT_RANGE, v);
                    }
                    answer(StatusCode::RANGE_NOT_SATISFIABLE, headers)
                }
                (_, Some("NoSuchKey")) => Err(fail(GetErrorKind::NoSuchKey, None)),
                (_, Some("NoSuchBucket")) => Err(fail(GetErrorKind::NoSuchBucket, None)),
                (403, _) | (_, Some("AccessDenied")) => Err(fail(GetErrorKind::AccessDenied, None)),
                (404, _) => Err(fail(GetErrorKind::NoSuchKey, None)),
                _ => Err(fail(
                    GetErrorKind::Service,
                    Some(Box::new(SdkError::ServiceError(ctx))),
                )),
            }
        }
        Err(e) => Err(fail(GetErrorKind::Unreachable, Some(Box::new(e)))),
    }
}

/// The object's size, for a `416` answer.
async fn object_size(client: &Client, request: &ObjectRequest) -> Option<u64> {
    let head = client
        .head_object()
        .bucket(&request.bucket)
        .key(&request.key)
        .set_version_id(request.version_id.clone())
        .send()
        .await
        .ok()?;
    head.content_length().and_then(|n| u64::try_from(n).ok())
}

/// `(first, last, size)` from `bytes first-last/size`.
pub(crate) fn parse_content_range(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (span, size) = rest.split_once('/')?;
    let (first, last) = span.split_once('-')?;
    let size = if size == "*" {
        None
    } else {
        Some(size.parse().ok()?)
    };
    Some((first.parse().ok()?, last.parse().ok()?, size))
}

impl ObjectIdentity {
    /// What a resume needs to know about the object just fetched.
    fn of(request: &ObjectRequest, output: &GetObjectOutput) -> Option<ObjectIdentity> {
        let etag = output.e_tag()?.to_owned();
        let (first, last) = match output.content_range().and_then(parse_content_range) {
            Some((first, last, _)) => (first, last),
            None => {
                let len = u64::try_from(output.content_length()?).ok()?;
                if len == 0 {
                    return None;
                }
                (0, len - 1)
            }
        };
        let version_id = output
            .version_id()
            .filter(|v| *v != "null")
            .map(str::to_owned);
        Some(ObjectIdentity {
            bucket: request.bucket.clone(),
            key: request.key.clone(),
            etag,
            version_id,
            first,
            last,
            checksum: request.checksum,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range() {
        assert_eq!(
            parse_content_range("bytes 0-9/100"),
            Some((0, 9, Some(100)))
        );
        assert_eq!(parse_content_range("bytes 5-5/*"), Some((5, 5, None)));
        assert_eq!(parse_content_range("bytes */100"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }

    #[test]
    fn request_from_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, "bytes=10-".parse().unwrap());
        headers.insert(header::IF_NONE_MATCH, "\"abc\"".parse().unwrap());
        headers.insert(
            header::IF_MODIFIED_SINCE,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        headers.insert(header::IF_UNMODIFIED_SINCE, "yesterday".parse().unwrap());
        let r = ObjectRequest::new("b", "k").with_headers(&headers);
        assert_eq!(
            r.range_header(),
            Some(RangeHeader::Single(ByteRange::From { first: 10 }))
        );
        assert_eq!(r.if_none_match.as_deref(), Some("\"abc\""));
        assert_eq!(
            r.if_modified_since,
            Some(DateTime::from_secs(1_445_412_480))
        );
        assert_eq!(
            r.if_unmodified_since, None,
            "an unparseable date is ignored"
        );
    }
}
