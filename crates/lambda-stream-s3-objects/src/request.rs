//! `ObjectRequest`: what to fetch, and the HTTP request it comes from.

use aws_smithy_types::date_time::DateTime;
use http::{HeaderMap, Method};

use crate::conditional::Conditions;
use crate::keys::KeyPolicy;
use crate::range::{ByteRange, RangeHeader};
use crate::request_error::RequestError;

/// What to fetch: an object, an optional byte range, conditions, and the method (`GET`, or
/// `HEAD` for the headers alone).
///
/// [`from_http`](Self::from_http) reads it all from an incoming HTTP request: the key from
/// the path, `Range` (see [`RangeHeader`] for what is served and what is ignored), and the
/// conditional headers (see [`Conditions`]). The conditions are forwarded to S3, which may
/// save a transfer, but [`get_object`](crate::get_object) evaluates them itself against what
/// S3 returns, so the answer does not depend on the server.
///
/// ```
/// use lambda_stream_s3_objects::{ByteRange, ObjectRequest, RangeHeader};
///
/// let request = http::Request::get("/videos/clip%20one.mp4")
///     .header("range", "bytes=0-1023")
///     .body(())?;
/// let object = ObjectRequest::from_http("my-bucket", &request)?;
/// assert_eq!(object.key(), "videos/clip one.mp4");
/// assert_eq!(object.range_header(), Some(RangeHeader::Single(ByteRange::FromTo { first: 0, last: 1023 })));
///
/// let post = http::Request::post("/videos/clip.mp4").body(())?;
/// let refused = ObjectRequest::from_http("my-bucket", &post).unwrap_err();
/// assert_eq!(refused.status(), 405);
/// assert_eq!(refused.allow(), Some("GET, HEAD"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRequest {
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) method: Method,
    pub(crate) range: Option<RangeHeader>,
    pub(crate) conditions: Conditions,
    pub(crate) version_id: Option<String>,
    pub(crate) checksum: bool,
    pub(crate) max_body_len: Option<u64>,
}

impl ObjectRequest {
    /// A `GET` of the whole object `key` in `bucket`, unconditionally.
    ///
    /// ```
    /// use aws_smithy_types::DateTime;
    /// use lambda_stream_s3_objects::{ByteRange, ObjectRequest};
    ///
    /// let request = ObjectRequest::new("my-bucket", "reports/2026.csv")
    ///     .head()
    ///     .range(ByteRange::From { first: 1024 })
    ///     .if_match("\"abc\"")
    ///     .if_none_match("\"old\"")
    ///     .if_modified_since(DateTime::from_secs(1_700_000_000))
    ///     .if_unmodified_since(DateTime::from_secs(1_800_000_000))
    ///     .version_id("v3")
    ///     .checksum_validation(true)
    ///     .max_body_len(200 * 1024 * 1024);
    /// assert_eq!((request.bucket(), request.key()), ("my-bucket", "reports/2026.csv"));
    /// assert_eq!(request.method(), http::Method::HEAD);
    /// assert!(!request.conditions().is_empty());
    /// assert!(ObjectRequest::new("b", "k").conditions().is_empty());
    /// ```
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        ObjectRequest {
            bucket: bucket.into(),
            key: key.into(),
            method: Method::GET,
            range: None,
            conditions: Conditions::default(),
            version_id: None,
            checksum: false,
            max_body_len: None,
        }
    }

    /// The request for the object an HTTP request asks for: the key is the path without its
    /// leading `/`, percent-decoded once (so `%20` is a space, `%25` a `%`, and `+` stays
    /// `+`); the method must be `GET` or `HEAD`; `Range` and the conditional headers come
    /// along ([`with_headers`](Self::with_headers)). Every key without a `.` or `..`
    /// segment is served ([`KeyPolicy::new`]); [`from_http_with`](Self::from_http_with)
    /// restricts them.
    ///
    /// # Errors
    ///
    /// A [`RequestError`] to answer with: `405` (with `Allow`) for another method, `400` for
    /// an empty key, one that is not UTF-8 once decoded, one with a `.` or `..` segment,
    /// or one longer than S3 allows ([`MAX_KEY_LEN`](crate::MAX_KEY_LEN)).
    pub fn from_http<B>(
        bucket: impl Into<String>,
        request: &http::Request<B>,
    ) -> Result<Self, RequestError> {
        ObjectRequest::from_http_with(bucket, request, request.uri().path(), &KeyPolicy::new())
    }

    /// As [`from_http`](Self::from_http), with the key read from `path` (the path as the
    /// client sent it) and held to `keys`.
    ///
    /// Pass the path as it arrived, not as a URL parser normalised it: `lambda_http`'s
    /// `request.uri()` has its dot segments resolved already (`/a/../b` is `/b` there), so
    /// use `lambda_http::RequestExt::raw_http_path` to refuse them as sent.
    ///
    /// ```
    /// use lambda_stream_s3_objects::{KeyPolicy, ObjectRequest, RequestError};
    ///
    /// let keys = KeyPolicy::new().prefix("public/");
    /// let request = http::Request::get("/public/a.txt").body(())?;
    /// let object = ObjectRequest::from_http_with("b", &request, "/public/a.txt", &keys)?;
    /// assert_eq!(object.key(), "public/a.txt");
    ///
    /// let e = ObjectRequest::from_http_with("b", &request, "/private/a.txt", &keys).unwrap_err();
    /// assert_eq!(e, RequestError::KeyNotServed("private/a.txt".into()));
    /// assert_eq!(e.status(), 403);
    /// let e = ObjectRequest::from_http_with("b", &request, "/public/..%2Fprivate/a.txt", &keys).unwrap_err();
    /// assert_eq!(e, RequestError::DotSegment("public/../private/a.txt".into()));
    /// assert_eq!(e.status(), 400);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`from_http`](Self::from_http), and `403` for a key `keys` does not allow.
    pub fn from_http_with<B>(
        bucket: impl Into<String>,
        request: &http::Request<B>,
        path: &str,
        keys: &KeyPolicy,
    ) -> Result<Self, RequestError> {
        let method = request.method();
        if method != Method::GET && method != Method::HEAD {
            return Err(RequestError::MethodNotAllowed(method.clone()));
        }
        let key = keys.key_from_path(path)?;
        let mut object = ObjectRequest::new(bucket, key).with_headers(request.headers());
        object.method = method.clone();
        Ok(object)
    }

    /// Takes `Range` and the conditional headers from an incoming request.
    ///
    /// ```
    /// use lambda_stream_s3_objects::{ByteRange, ObjectRequest, RangeHeader};
    ///
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("range", "bytes=-100".parse()?);
    /// headers.insert("if-none-match", "\"abc\"".parse()?);
    /// let request = ObjectRequest::new("b", "k").with_headers(&headers);
    /// assert_eq!(request.range_header(), Some(RangeHeader::Single(ByteRange::Suffix { len: 100 })));
    /// assert!(!request.conditions().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_headers(mut self, headers: &HeaderMap) -> Self {
        if let Some(range) = headers.get(http::header::RANGE) {
            self.range = Some(RangeHeader::parse(range.as_bytes()));
        }
        self.conditions = Conditions::from_headers(headers);
        self
    }

    /// `HEAD`: the same answer as a `GET`, without a body.
    #[must_use]
    pub fn head(mut self) -> Self {
        self.method = Method::HEAD;
        self
    }

    /// Asks for one byte range.
    #[must_use]
    pub fn range(mut self, range: ByteRange) -> Self {
        self.range = Some(RangeHeader::Single(range));
        self
    }

    /// Serve only if the object's ETag is `etag` (`412` otherwise).
    #[must_use]
    pub fn if_match(mut self, etag: impl AsRef<str>) -> Self {
        self.conditions.set_if_match(etag.as_ref());
        self
    }

    /// Answer `304` if the object's ETag is `etag`.
    #[must_use]
    pub fn if_none_match(mut self, etag: impl AsRef<str>) -> Self {
        self.conditions.set_if_none_match(etag.as_ref());
        self
    }

    /// Answer `304` unless the object changed after `time`.
    #[must_use]
    pub fn if_modified_since(mut self, time: DateTime) -> Self {
        self.conditions.set_if_modified_since(time);
        self
    }

    /// Serve only if the object did not change after `time` (`412` otherwise).
    #[must_use]
    pub fn if_unmodified_since(mut self, time: DateTime) -> Self {
        self.conditions.set_if_unmodified_since(time);
        self
    }

    /// A given version of the object.
    #[must_use]
    pub fn version_id(mut self, version_id: impl Into<String>) -> Self {
        self.version_id = Some(version_id.into());
        self
    }

    /// Asks S3 for the object's checksum and has the SDK check it. The SDK can only tell
    /// after the last byte; see [`BodyError::is_checksum_mismatch`](lambda_stream_s3::BodyError::is_checksum_mismatch).
    #[must_use]
    pub fn checksum_validation(mut self, on: bool) -> Self {
        self.checksum = on;
        self
    }

    /// The most body bytes the answer may carry: an object (or range) longer than this is
    /// refused before its first byte, with a [`GetErrorKind::TooLarge`](crate::GetErrorKind::TooLarge)
    /// error (`413`), instead of a response that would fail later. For a streamed Lambda
    /// response: its 200 MiB budget less the prelude.
    #[must_use]
    pub fn max_body_len(mut self, len: u64) -> Self {
        self.max_body_len = Some(len);
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

    /// `GET` or `HEAD`.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// What the `Range` header asked for, if there was one.
    pub fn range_header(&self) -> Option<RangeHeader> {
        self.range
    }

    /// The conditions.
    pub fn conditions(&self) -> &Conditions {
        &self.conditions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str) -> Result<String, RequestError> {
        let request = http::Request::get(path).body(()).unwrap();
        ObjectRequest::from_http("b", &request).map(|r| r.key)
    }

    #[test]
    fn keys_are_decoded_once() {
        assert_eq!(key("/a%20b").unwrap(), "a b");
        assert_eq!(key("/%C3%BC").unwrap(), "ü");
        assert_eq!(key("/100%2525").unwrap(), "100%25");
        assert_eq!(key("/a+b").unwrap(), "a+b");
        assert_eq!(key("/dir/file.txt").unwrap(), "dir/file.txt");
        assert_eq!(key("/").unwrap_err(), RequestError::EmptyKey);
        assert_eq!(key("/%FF").unwrap_err().status(), 400);
        let long = format!("/{}", "k".repeat(1024));
        assert_eq!(key(&long).unwrap().len(), 1024);
        let too_long = format!("/{}", "k".repeat(1100));
        assert_eq!(
            key(&too_long).unwrap_err(),
            RequestError::KeyTooLong { len: 1100 }
        );
    }

    #[test]
    fn head_is_served_and_other_methods_are_refused() {
        let head = http::Request::head("/k").body(()).unwrap();
        assert_eq!(
            ObjectRequest::from_http("b", &head).unwrap().method(),
            Method::HEAD
        );
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS] {
            let request = http::Request::builder()
                .method(method.clone())
                .uri("/k")
                .body(())
                .unwrap();
            let e = ObjectRequest::from_http("b", &request).unwrap_err();
            assert_eq!(
                (e.status(), e.allow()),
                (http::StatusCode::METHOD_NOT_ALLOWED, Some("GET, HEAD"))
            );
        }
    }
}
