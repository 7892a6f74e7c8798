//! `StreamError`: how a response that already started tells that it failed.

use std::error::Error as StdError;
use std::fmt;

use base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue};
use lambda_stream_s3::{BodyError, BodyErrorKind};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// The trailer that names the error type of a failed streamed response.
pub const ERROR_TYPE_TRAILER: &str = "Lambda-Runtime-Function-Error-Type";

/// The trailer that carries the error of a failed streamed response: base64 of
/// `{"errorType","errorMessage","trace"}`.
pub const ERROR_BODY_TRAILER: &str = "Lambda-Runtime-Function-Error-Body";

/// A streamed response that failed after it started: the body's source failed, or the
/// response outgrew its budget.
///
/// It has an error type in the runtime's `Category.Reason` form, a message, and a trace
/// (the messages of the error's causes, outermost first). [`trailers`](Self::trailers)
/// renders the two trailers the Lambda Runtime API reads after the last chunk, the same
/// bytes the Node.js runtime sends.
///
/// | error type | when |
/// | --- | --- |
/// | `Response.TooLarge` | the next byte would exceed the budget |
/// | `Body.Truncated` | an S3 body ended short of its length |
/// | `Body.ObjectChanged` | an S3 object changed while being resumed |
/// | `Body.ChecksumMismatch` | the SDK rejected an S3 object's checksum, after its last byte |
/// | `Body.RetriesExhausted` | resuming an S3 body gave up |
/// | `Body.Failed` | any other failure of the body's source |
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
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
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
    /// An error of type `error_type` (`Category.Reason`) with `message`.
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

    /// The failure of a body's source, typed by what it is (see the table above).
    pub fn from_source(error: Box<dyn StdError + Send + Sync + 'static>) -> Self {
        let error_type = match error.downcast_ref::<BodyError>() {
            Some(e) if e.is_checksum_mismatch() => "Body.ChecksumMismatch",
            Some(e) => match e.kind() {
                BodyErrorKind::Truncated { .. } => "Body.Truncated",
                BodyErrorKind::ObjectChanged { .. } => "Body.ObjectChanged",
                BodyErrorKind::RetriesExhausted { .. } => "Body.RetriesExhausted",
                _ => "Body.Failed",
            },
            None => "Body.Failed",
        };
        let message = error.to_string();
        let mut trace = Vec::new();
        let mut next = error.source();
        while let Some(cause) = next {
            trace.push(cause.to_string());
            next = cause.source();
        }
        StreamError {
            inner: Box::new(Inner {
                error_type: error_type.to_owned(),
                message,
                trace,
                source: Some(error),
            }),
        }
    }

    /// The budget would be exceeded by the next byte.
    pub(crate) fn too_large(limit: u64) -> Self {
        StreamError::new(
            "Response.TooLarge",
            format!(
                "response too large: expected at most {limit} bytes (prelude included), the body had more; \
                 sent the first {limit}"
            ),
        )
    }

    /// `Category.Reason`.
    pub fn error_type(&self) -> &str {
        &self.inner.error_type
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The causes' messages, outermost first.
    pub fn trace(&self) -> &[String] {
        &self.inner.trace
    }

    /// `{"errorType":...,"errorMessage":...,"trace":[...]}`, compact, in that key order.
    pub fn body_json(&self) -> String {
        // Serializing strings into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The two trailers of a failed streamed response: the error type, and the base64 of
    /// [`body_json`](Self::body_json).
    pub fn trailers(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(2);
        let body = base64::engine::general_purpose::STANDARD.encode(self.body_json());
        // An error type that is not a valid header value (a control byte) is sent with those
        // bytes replaced, rather than not at all.
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
        if let Ok(body) = HeaderValue::from_str(&body) {
            // base64 is always a valid header value.
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
        write!(f, "{}: {}", self.inner.error_type, self.inner.message)
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
    fn too_large_names_the_limit() {
        let e = StreamError::too_large(1000);
        assert_eq!(e.error_type(), "Response.TooLarge");
        assert!(e.message().contains("at most 1000 bytes"), "{e}");
    }
}
