//! `RequestError`: an HTTP request that asks for no object this crate can serve, and
//! `MAX_KEY_LEN`.

use std::fmt;

use http::{Method, StatusCode};

/// The longest key S3 accepts, in bytes of UTF-8. Part of the S3 contract.
///
/// ```
/// use lambda_stream_s3_objects::{MAX_KEY_LEN, ObjectRequest, RequestError};
///
/// let path = format!("/{}", "k".repeat(MAX_KEY_LEN + 1));
/// let request = http::Request::get(path).body(())?;
/// let e = ObjectRequest::from_http("b", &request).unwrap_err();
/// assert_eq!(e, RequestError::KeyTooLong { len: MAX_KEY_LEN + 1 });
/// assert_eq!(e.status(), 400);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MAX_KEY_LEN: usize = 1024;

/// An HTTP request that asks for no object this crate can serve.
///
/// ```
/// use lambda_stream_s3_objects::{ObjectRequest, RequestError};
///
/// let e = ObjectRequest::from_http("b", &http::Request::get("/").body(())?).unwrap_err();
/// assert_eq!(e, RequestError::EmptyKey);
/// assert_eq!((e.status(), e.allow()), (http::StatusCode::BAD_REQUEST, None));
/// let e = ObjectRequest::from_http("b", &http::Request::get("/%ff").body(())?).unwrap_err();
/// assert_eq!(e, RequestError::KeyNotUtf8("%ff".into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// A method other than `GET` and `HEAD`: `405`, with `Allow: GET, HEAD`.
    MethodNotAllowed(Method),
    /// The path names no key: `400`.
    EmptyKey,
    /// The path, percent-decoded, is not UTF-8: `400`.
    KeyNotUtf8(String),
    /// The key is longer than [`MAX_KEY_LEN`]: `400`.
    KeyTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The key, percent-decoded, has a `.` or `..` segment: `400` (see [`KeyPolicy`](crate::KeyPolicy)).
    DotSegment(String),
    /// The [`KeyPolicy`](crate::KeyPolicy) does not serve the key: `403`.
    KeyNotServed(String),
}

impl RequestError {
    /// The status to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            RequestError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            RequestError::EmptyKey
            | RequestError::KeyNotUtf8(_)
            | RequestError::KeyTooLong { .. }
            | RequestError::DotSegment(_) => StatusCode::BAD_REQUEST,
            RequestError::KeyNotServed(_) => StatusCode::FORBIDDEN,
        }
    }

    /// The `Allow` header to answer a `405` with.
    pub fn allow(&self) -> Option<&'static str> {
        match self {
            RequestError::MethodNotAllowed(_) => Some("GET, HEAD"),
            _ => None,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::MethodNotAllowed(m) => {
                write!(f, "method {m} not allowed: expected GET or HEAD")
            }
            RequestError::EmptyKey => f.write_str("no object key: expected a path /<key>"),
            RequestError::KeyNotUtf8(raw) => {
                write!(f, "object key {raw:?}: expected UTF-8 once percent-decoded")
            }
            RequestError::KeyTooLong { len } => write!(
                f,
                "object key of {len} bytes: expected at most {MAX_KEY_LEN}, as S3 allows"
            ),
            RequestError::DotSegment(key) => write!(
                f,
                "object key {key:?}: expected no `.` or `..` segment, which a server could \
                 resolve to another key or bucket"
            ),
            RequestError::KeyNotServed(key) => {
                write!(
                    f,
                    "object key {key:?}: not among the keys this function serves"
                )
            }
        }
    }
}

impl std::error::Error for RequestError {}
