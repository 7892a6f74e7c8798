//! `StreamError`: how a response that already started tells that it failed.

use std::error::Error as StdError;
use std::fmt;

use base64::Engine as _;

use http::{HeaderMap, HeaderName, HeaderValue};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::naming::{MAX_CHAIN, chain, error_type_of};

/// The trailer that names the error type of a failed streamed response.
///
/// ```
/// use lambda_stream::{ERROR_TYPE_TRAILER, StreamError};
///
/// let trailers = StreamError::new("Body.Failed", "the source went away").trailers();
/// assert_eq!(trailers[ERROR_TYPE_TRAILER], "Body.Failed");
/// ```
pub const ERROR_TYPE_TRAILER: &str = "Lambda-Runtime-Function-Error-Type";

/// The trailer that carries the error of a failed streamed response: base64 of
/// `{"errorType","errorMessage","trace"}`.
///
/// ```
/// use base64::Engine as _;
/// use lambda_stream::{ERROR_BODY_TRAILER, StreamError};
///
/// let error = StreamError::new("Body.Failed", "the source went away");
/// let body = error.trailers()[ERROR_BODY_TRAILER].to_str()?.to_owned();
/// let json = base64::engine::general_purpose::STANDARD.decode(body)?;
/// assert_eq!(json, br#"{"errorType":"Body.Failed","errorMessage":"the source went away","trace":[]}"#);
/// assert_eq!(json, error.body_json().as_bytes());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const ERROR_BODY_TRAILER: &str = "Lambda-Runtime-Function-Error-Body";

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A streamed response that failed after it started: the body's source failed, or the
/// response outgrew its budget.
///
/// It has an error type (the `errorType` the Lambda Runtime API records), a message, and a
/// trace (the messages of the error's causes, outermost first). [`trailers`](Self::trailers)
/// renders the two trailers the Runtime API reads after the last chunk, the same bytes the
/// Node.js runtime sends.
///
/// The error type of a failure of the body's source is its cause's own: that of the first
/// error in its source chain that names itself ([`error_type_of`](crate::error_type_of):
/// a `StreamError`, kept whole; [`ResponseTooLarge`], `Response.TooLarge`; with feature
/// `s3`, an S3 body's failure, `Body.Truncated` and the like; an AWS SDK error, its code),
/// and `Body.Failed` when none does. The errors of known kinds are found by type, never by
/// the text of a message or a type name.
///
/// `Display` says what this layer knows (the error type, and the message when there is no
/// source); the cause is [`source`](StdError::source), never repeated.
///
/// ```
/// use std::error::Error as _;
/// use lambda_stream::StreamError;
///
/// // An error that names no cause: `Body.Failed`, with its message.
/// let io = StreamError::from_body_error(std::io::Error::other("connection reset"));
/// assert_eq!(io.error_type(), "Body.Failed");
/// assert_eq!(io.message(), "connection reset");
/// assert!(io.source_ref::<std::io::Error>().is_some());
///
/// // One that carries a `StreamError`, however deep: named by it.
/// let wrapped = std::io::Error::other(StreamError::new("Upstream.Gone", "went away"));
/// assert_eq!(StreamError::from_body_error(wrapped).error_type(), "Upstream.Gone");
///
/// // A type of your own, with the source's message and its causes as the trace.
/// #[derive(Debug)]
/// struct Render(std::fmt::Error);
/// impl std::fmt::Display for Render {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("rendering the page failed")
///     }
/// }
/// impl std::error::Error for Render {
///     fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
///         Some(&self.0)
///     }
/// }
/// let custom = StreamError::with_source("Render.Failed", Box::new(Render(std::fmt::Error)));
/// assert_eq!(custom.error_type(), "Render.Failed");
/// assert_eq!(custom.message(), "rendering the page failed");
/// assert_eq!(custom.trace(), ["an error occurred when formatting an argument"]);
/// assert!(custom.source().is_some());
/// assert_eq!(
///     custom.body_json(),
///     r#"{"errorType":"Render.Failed","errorMessage":"rendering the page failed","trace":["an error occurred when formatting an argument"]}"#
/// );
/// ```
pub struct StreamError {
    // Boxed: a stream's items are `Result<Bytes, StreamError>`, moved on every frame, and
    // stay as small as `Bytes` this way.
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    error_type: String,
    message: String,
    trace: Vec<String>,
    source: Option<BoxError>,
}

/// The budget of a response was reached: its next byte would have exceeded the limit.
///
/// The source of a `Response.TooLarge` [`StreamError`]; find it with `downcast_ref`, as
/// `http_body_util::LengthLimitError` is found:
///
/// ```
/// use bytes::Bytes;
/// use futures_util::{stream, StreamExt};
/// use lambda_stream::{ResponseConfig, ResponseStream, ResponseTooLarge};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let body = stream::iter([Ok::<_, std::io::Error>(Bytes::from(vec![7u8; 100]))]);
/// let mut response = ResponseStream::raw(body, &ResponseConfig::default().with_max_bytes(60));
/// assert_eq!(response.next().await.unwrap().unwrap().len(), 60);
/// let error = response.next().await.unwrap().unwrap_err();
/// let too_large = error.source_ref::<ResponseTooLarge>().unwrap();
/// assert_eq!(too_large.limit(), 60);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseTooLarge {
    limit: u64,
}

impl ResponseTooLarge {
    /// The budget in bytes, prelude included.
    pub fn limit(&self) -> u64 {
        self.limit
    }
}

impl fmt::Display for ResponseTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "response too large: expected at most {} bytes (prelude included), the body had more; \
             sent the first {}",
            self.limit, self.limit
        )
    }
}

impl StdError for ResponseTooLarge {}

/// An error that names its own Lambda error type (`errorType`, `Category.Reason`).
///
/// [`error_type_of`](crate::error_type_of) walks an error and its source chain and looks,
/// by downcast, for the types that name themselves: [`StreamError`], [`ResponseTooLarge`]
/// and, with feature `s3`, `lambda_stream_s3::BodyError`, among others. The first one found
/// names the failure. An error type of your own names itself by being, or carrying as its
/// source, a [`StreamError`].
///
/// ```
/// use lambda_stream::{NamedError, StreamError};
///
/// let e = StreamError::new("Upstream.Gone", "the upstream went away");
/// assert_eq!(NamedError::error_type(&e), "Upstream.Gone");
/// ```
pub trait NamedError: StdError + 'static {
    /// The error type, as the Lambda Runtime API records it.
    fn error_type(&self) -> &str;
}

impl NamedError for StreamError {
    fn error_type(&self) -> &str {
        &self.inner.error_type
    }
}

impl NamedError for ResponseTooLarge {
    fn error_type(&self) -> &str {
        "Response.TooLarge"
    }
}

/// The kinds of an S3 body's failure: `Body.Truncated`, `Body.ObjectChanged`,
/// `Body.RetriesExhausted`, `Body.ChecksumMismatch`, and `Body.Failed` for the rest.
#[cfg(feature = "s3")]
impl NamedError for lambda_stream_s3::BodyError {
    fn error_type(&self) -> &str {
        use lambda_stream_s3::BodyErrorKind;
        match self.kind() {
            BodyErrorKind::Truncated { .. } => "Body.Truncated",
            BodyErrorKind::ObjectChanged { .. } => "Body.ObjectChanged",
            BodyErrorKind::RetriesExhausted { .. } => "Body.RetriesExhausted",
            _ if self.is_checksum_mismatch() => "Body.ChecksumMismatch",
            _ => "Body.Failed",
        }
    }
}

impl fmt::Debug for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamError")
            .field("error_type", &self.inner.error_type)
            .field("message", &self.inner.message)
            .field("trace", &self.inner.trace)
            .field("source", &self.inner.source)
            .finish()
    }
}

impl StreamError {
    /// An error of type `error_type` with `message`, and no source.
    pub fn new(error_type: impl Into<String>, message: impl Into<String>) -> Self {
        StreamError {
            inner: Box::new(Inner {
                error_type: error_type.into(),
                message: message.into(),
                trace: Vec::new(),
                source: None,
            }),
        }
    }

    /// The failure of a body's source, typed as its cause names itself: a `StreamError` is
    /// returned unchanged, an error whose chain names itself gets that name, any other is
    /// `Body.Failed`.
    pub fn from_body_error<E>(error: E) -> Self
    where
        E: Into<BoxError>,
    {
        StreamError::from_source(error.into())
    }

    /// As [`from_body_error`](Self::from_body_error) for an already boxed error.
    pub fn from_source(error: BoxError) -> Self {
        let error = match error.downcast::<StreamError>() {
            Ok(e) => return *e,
            Err(other) => other,
        };
        // A `StreamError` inside a wrapper (`axum::Error`, `std::io::Error`) is kept whole:
        // its message and trace too.
        let own = chain(error.as_ref())
            .find_map(|e| e.downcast_ref::<StreamError>())
            .map(|own| {
                let mut found = StreamError::new(own.error_type(), own.message());
                found.inner.trace = own.inner.trace.clone();
                found
            });
        if let Some(mut found) = own {
            found.inner.source = Some(error);
            return found;
        }
        let error_type = error_type_of(error.as_ref()).unwrap_or_else(|| "Body.Failed".to_owned());
        StreamError::with_source(error_type, error)
    }

    /// An error of type `error_type` whose message is `source`'s and whose trace is the
    /// messages of `source`'s causes.
    pub fn with_source(error_type: impl Into<String>, source: BoxError) -> Self {
        let message = source.to_string();
        // The causes as `source()` gives them, bounded as every chain walk is.
        let trace = std::iter::successors(source.source(), |&e| e.source())
            .take(MAX_CHAIN - 1)
            .map(ToString::to_string)
            .collect();
        StreamError {
            inner: Box::new(Inner {
                error_type: error_type.into(),
                message,
                trace,
                source: Some(source),
            }),
        }
    }

    /// The error that the trailers of a failed response carry, as [`trailers`](Self::trailers)
    /// writes them (and as the Runtime API reads them): `None` when there is no
    /// `Lambda-Runtime-Function-Error-Type`. A body trailer that is not base64 of
    /// `{"errorType","errorMessage","trace"}` leaves the message saying so, and the trace
    /// empty.
    ///
    /// ```
    /// use lambda_stream::StreamError;
    ///
    /// let sent = StreamError::new("Upstream.Gone", "the upstream went away");
    /// let read = StreamError::from_trailers(&sent.trailers()).unwrap();
    /// assert_eq!(read.body_json(), sent.body_json());
    /// ```
    pub fn from_trailers(trailers: &HeaderMap) -> Option<Self> {
        let error_type = trailers.get(ERROR_TYPE_TRAILER)?;
        let error_type = String::from_utf8_lossy(error_type.as_bytes()).into_owned();
        let body = trailers
            .get(ERROR_BODY_TRAILER)
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.as_bytes())
                    .ok()
            })
            .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok());
        let Some(body) = body else {
            return Some(StreamError::new(
                error_type,
                format!(
                    "the response body ended with a `{ERROR_TYPE_TRAILER}` trailer and no readable `{ERROR_BODY_TRAILER}`"
                ),
            ));
        };
        // A message that is not a string is passed on as its JSON, not dropped.
        let message = match &body["errorMessage"] {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        let mut error = StreamError::new(error_type, message);
        error.inner.trace = body["trace"]
            .as_array()
            .map(|t| {
                t.iter()
                    .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Some(error)
    }

    /// The budget of `limit` bytes would be exceeded by the next byte.
    pub(crate) fn too_large(limit: u64) -> Self {
        StreamError::with_source("Response.TooLarge", Box::new(ResponseTooLarge { limit }))
    }

    /// The error type, as the Runtime API records it (`errorType`).
    pub fn error_type(&self) -> &str {
        &self.inner.error_type
    }

    /// The message (`errorMessage`): the source's, when there is one.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The causes' messages, outermost first (`trace`).
    pub fn trace(&self) -> &[String] {
        &self.inner.trace
    }

    /// The source as a `T`, if it is one.
    pub fn source_ref<T: StdError + 'static>(&self) -> Option<&T> {
        self.inner.source.as_deref().and_then(|e| e.downcast_ref())
    }

    /// `{"errorType":...,"errorMessage":...,"trace":[...]}`, compact, in that key order.
    pub fn body_json(&self) -> String {
        // Serializing strings into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The two trailers of a failed streamed response: the error type, and the base64 of
    /// [`body_json`](Self::body_json).
    ///
    /// An error type that cannot be a header value (a control byte, a non-ASCII letter) is
    /// sent with each such character replaced by `_`; the body keeps it as it is.
    pub fn trailers(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(2);
        let body = base64::engine::general_purpose::STANDARD.encode(self.body_json());
        let error_type = HeaderValue::from_str(&self.inner.error_type).unwrap_or_else(|_| {
            let clean: String = self
                .error_type()
                .chars()
                .map(|c| if c.is_ascii_graphic() { c } else { '_' })
                .collect();
            HeaderValue::from_str(&clean).unwrap_or(HeaderValue::from_static("Runtime.StreamError"))
        });
        map.insert(
            HeaderName::from_static("lambda-runtime-function-error-type"),
            error_type,
        );
        // base64 is always a valid header value.
        if let Ok(body) = HeaderValue::from_str(&body) {
            map.insert(
                HeaderName::from_static("lambda-runtime-function-error-body"),
                body,
            );
        }
        map
    }
}

impl Serialize for StreamError {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut s = ser.serialize_struct("StreamError", 3)?;
        s.serialize_field("errorType", &self.inner.error_type)?;
        s.serialize_field("errorMessage", &self.inner.message)?;
        s.serialize_field("trace", &self.inner.trace)?;
        s.end()
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.source {
            // The message is the source's: it is told by `source()`.
            Some(_) => write!(f, "streamed response failed ({})", self.inner.error_type),
            None => write!(f, "{}: {}", self.inner.error_type, self.inner.message),
        }
    }
}

impl StdError for StreamError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_are_the_node_runtime_layout() {
        let e = StreamError::from_source(Box::new(std::io::Error::other("disk on fire")));
        assert_eq!(e.error_type(), "Body.Failed");
        assert_eq!(
            e.body_json(),
            r#"{"errorType":"Body.Failed","errorMessage":"disk on fire","trace":[]}"#
        );
        let t = e.trailers();
        assert_eq!(t[ERROR_TYPE_TRAILER], "Body.Failed");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(t[ERROR_BODY_TRAILER].as_bytes())
            .unwrap();
        assert_eq!(decoded, e.body_json().as_bytes());
    }

    #[test]
    fn an_error_keeps_its_own_type() {
        let own = StreamError::new("Upstream.Gone", "the upstream went away");
        let passed = StreamError::from_body_error(own);
        assert_eq!(passed.error_type(), "Upstream.Gone");
        assert!(passed.source().is_none(), "not wrapped");
        let boxed: BoxError = Box::new(StreamError::new("Upstream.Gone", "x"));
        assert_eq!(
            StreamError::from_body_error(boxed).error_type(),
            "Upstream.Gone"
        );
        let io = StreamError::from_body_error(std::io::Error::other("x"));
        assert_eq!(io.error_type(), "Body.Failed");
        let boxed_io: BoxError = Box::new(std::io::Error::other("x"));
        assert_eq!(
            StreamError::from_body_error(boxed_io).error_type(),
            "Body.Failed"
        );
        // Found inside a wrapper, as `axum::Error` or `std::io::Error` carry it.
        let wrapped = std::io::Error::other(StreamError::new("Upstream.Gone", "gone"));
        let found = StreamError::from_body_error(wrapped);
        assert_eq!(
            (found.error_type(), found.message()),
            ("Upstream.Gone", "gone")
        );
    }

    /// Trailers a body made itself are read whatever they hold: a body that is not base64
    /// keeps the type and says what was wrong; fields that are not strings are kept as JSON.
    #[test]
    fn hostile_error_trailers_lose_nothing_silently() {
        let mut t = HeaderMap::new();
        t.insert(ERROR_TYPE_TRAILER, HeaderValue::from_static("Upstream.Odd"));
        t.insert(
            ERROR_BODY_TRAILER,
            HeaderValue::from_static("%%% not base64"),
        );
        let e = StreamError::from_trailers(&t).unwrap();
        assert_eq!(e.error_type(), "Upstream.Odd");
        assert!(e.message().contains("no readable"), "{}", e.message());
        let json = r#"{"errorType":"Upstream.Odd","errorMessage":{"code":7},"trace":["a",3]}"#;
        let body = base64::engine::general_purpose::STANDARD.encode(json);
        t.insert(ERROR_BODY_TRAILER, HeaderValue::from_str(&body).unwrap());
        let e = StreamError::from_trailers(&t).unwrap();
        assert_eq!(e.message(), r#"{"code":7}"#);
        assert_eq!(e.trace(), ["a", "3"]);
        assert!(StreamError::from_trailers(&HeaderMap::new()).is_none());
    }

    #[test]
    fn too_large_is_typed_and_names_the_limit() {
        let e = StreamError::too_large(1000);
        assert_eq!(e.error_type(), "Response.TooLarge");
        assert_eq!(
            e.source_ref::<ResponseTooLarge>().map(|t| t.limit()),
            Some(1000)
        );
        assert!(e.message().contains("at most 1000 bytes"), "{e}");
        // Said once: the layer's line, then the cause.
        assert_eq!(
            e.to_string(),
            "streamed response failed (Response.TooLarge)"
        );
        assert!(!e.to_string().contains(&e.source().unwrap().to_string()));
    }
}
