//! `GetError`, and the one classification of `GetObject` failures that the first request
//! and the resumes share.

use std::error::Error as StdError;
use std::fmt;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_smithy_types::date_time::DateTime;

use crate::conditional::http_date;
use http::StatusCode;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What a failed `GetObject` means.
#[derive(Debug)]
pub(crate) enum Failure {
    /// `304`: a condition S3 applied; the validators it answered with.
    NotModified {
        etag: Option<String>,
        last_modified: Option<DateTime>,
        headers: http::HeaderMap,
    },
    /// `412`: a condition S3 applied.
    PreconditionFailed,
    /// `416`: the range lies past the end.
    InvalidRange,
    /// The key does not exist.
    NoSuchKey,
    /// The bucket does not exist.
    NoSuchBucket,
    /// Access denied.
    AccessDenied,
    /// Another answer from S3 (`5xx` among them).
    Service { status: u16, error: BoxError },
    /// No answer: connection, timeout.
    Unreachable(BoxError),
}

/// Classifies a `GetObject` failure, once for every caller.
pub(crate) fn classify(error: SdkError<GetObjectError>) -> Failure {
    let SdkError::ServiceError(ctx) = error else {
        return Failure::Unreachable(Box::new(error));
    };
    let status = ctx.raw().status().as_u16();
    let code = ctx.err().code().map(str::to_owned);
    match (status, code.as_deref()) {
        (304, _) => {
            let raw = ctx.raw().headers();
            let text = |name: &str| raw.get(name).map(str::to_owned);
            let mut headers = http::HeaderMap::new();
            for name in [
                http::header::ETAG,
                http::header::LAST_MODIFIED,
                http::header::CACHE_CONTROL,
                http::header::EXPIRES,
            ] {
                if let Some(v) = raw
                    .get(name.as_str())
                    .and_then(|v| http::HeaderValue::from_str(v).ok())
                {
                    headers.insert(name, v);
                }
            }
            Failure::NotModified {
                etag: text("etag"),
                last_modified: text("last-modified").and_then(|t| http_date(&t)),
                headers,
            }
        }
        (412, _) | (_, Some("PreconditionFailed")) => Failure::PreconditionFailed,
        (416, _) | (_, Some("InvalidRange")) => Failure::InvalidRange,
        (_, Some("NoSuchKey")) => Failure::NoSuchKey,
        (_, Some("NoSuchBucket")) => Failure::NoSuchBucket,
        (403, _) | (_, Some("AccessDenied")) => Failure::AccessDenied,
        (404, _) => Failure::NoSuchKey,
        _ => Failure::Service {
            status,
            error: Box::new(SdkError::ServiceError(ctx)),
        },
    }
}

/// Why [`get_object`](crate::get_object) could not answer with the object.
///
/// `Display` names the object and what went wrong; the SDK's error, when there is one, is
/// the [`source`](StdError::source).
///
/// ```no_run
/// # async fn example(client: aws_sdk_s3::Client) {
/// use lambda_stream_s3_objects::{GetErrorKind, MetadataOptions, ObjectRequest, get_object};
///
/// let request = ObjectRequest::new("my-bucket", "missing.txt");
/// if let Err(e) = get_object(&client, &request, &MetadataOptions::default()).await {
///     match e.kind() {
///         GetErrorKind::NoSuchKey => assert_eq!(e.status(), 404),
///         GetErrorKind::TooLarge { len, limit } => println!("{len} bytes, at most {limit}"),
///         _ => println!("{}: {e}", e.status()),
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct GetError {
    kind: GetErrorKind,
    bucket: String,
    key: String,
    source: Option<BoxError>,
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
    /// S3's answer is not what was asked for: a `Content-Range` other than the range
    /// asked for, a `200` to a `Range` or a `206` to a whole object, a length that does
    /// not match its range, or no length at all. Answer 502 before the first byte; what
    /// was wrong is the [`source`](StdError::source).
    AnswerMismatch,
    /// The key has a `.` or `..` segment, which a server that resolves dot segments would
    /// read as another key or bucket: answer 400, without asking S3.
    InvalidKey,
    /// S3 could not be reached or did not answer (connection, timeout): answer 502.
    Unreachable,
    /// The object's metadata cannot be sent as HTTP headers: answer 500.
    Metadata,
    /// The body (the object, or the range asked for) is longer than
    /// [`ObjectRequest::max_body_len`](crate::ObjectRequest::max_body_len): answer 413
    /// before its first byte.
    ///
    /// RFC 9110 gives 413 (Content Too Large) to request content; no status says that a
    /// response is, and this is the one a client reads right: the object exists, and a
    /// `Range` of at most `limit` bytes can be served.
    TooLarge {
        /// The body's length.
        len: u64,
        /// The most it may be.
        limit: u64,
    },
}

impl GetError {
    pub(crate) fn new(
        kind: GetErrorKind,
        bucket: &str,
        key: &str,
        source: Option<BoxError>,
    ) -> Self {
        GetError {
            kind,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            source,
        }
    }

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
            GetErrorKind::Service | GetErrorKind::Unreachable | GetErrorKind::AnswerMismatch => {
                StatusCode::BAD_GATEWAY
            }
            GetErrorKind::InvalidKey => StatusCode::BAD_REQUEST,
            GetErrorKind::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GetObject s3://{}/{}: ", self.bucket, self.key)?;
        match self.kind {
            GetErrorKind::NoSuchKey => f.write_str("no such key"),
            GetErrorKind::NoSuchBucket => f.write_str("no such bucket"),
            GetErrorKind::AccessDenied => f.write_str("access denied"),
            GetErrorKind::Service => f.write_str("S3 answered with an error"),
            GetErrorKind::AnswerMismatch => f.write_str("S3's answer does not match the request"),
            GetErrorKind::InvalidKey => f.write_str("refused the key before asking S3"),
            GetErrorKind::Unreachable => f.write_str("S3 did not answer"),
            GetErrorKind::Metadata => f.write_str("the object's metadata cannot be sent"),
            GetErrorKind::TooLarge { len, limit } => write!(
                f,
                "too large: expected at most {limit} body bytes in one response, found {len}; \
                 ask for a Range of at most {limit} bytes"
            ),
        }
    }
}

impl StdError for GetError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}
