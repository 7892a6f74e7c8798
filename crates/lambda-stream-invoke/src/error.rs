//! `InvokeError`: why a streamed invocation's body did not end cleanly.

use std::error::Error as StdError;
use std::fmt;

use lambda_stream_prelude::DecodeError;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong; see [`InvokeError::kind`].
///
/// ```
/// use aws_sdk_lambda::primitives::Blob;
/// use aws_sdk_lambda::types::InvokeResponseStreamUpdate;
/// use aws_sdk_lambda::types::InvokeWithResponseStreamResponseEvent as Event;
/// use futures_util::{stream, TryStreamExt};
/// use lambda_stream_invoke::{InvokeErrorKind, InvokeResponse};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let events = stream::iter([Ok::<_, std::io::Error>(Event::PayloadChunk(
///     InvokeResponseStreamUpdate::builder().payload(Blob::new("partial")).build(),
/// ))]);
/// let body = InvokeResponse::from_events(events, None).await?.into_body();
/// let e = body.try_collect::<Vec<_>>().await.unwrap_err();
/// assert!(matches!(e.kind(), InvokeErrorKind::Incomplete));
/// assert_eq!(e.delivered(), 7);
/// # Ok::<(), lambda_stream_invoke::InvokeError>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum InvokeErrorKind {
    /// The function failed: `InvokeComplete` carried an error code. Before its first byte (a
    /// handler error), or after it (the error trailers of a streamed response).
    Function {
        /// The error type the function reported (`ErrorCode`).
        error_code: String,
        /// What it said about it (`ErrorDetails`).
        details: Option<String>,
        /// The end of its log (`LogResult`, base64-decoded), when the invocation asked for
        /// it with `LogType::Tail`.
        log_tail: Option<String>,
    },
    /// The event stream ended without an `InvokeComplete`: the response is incomplete.
    Incomplete,
    /// The event stream failed (a broken connection, an exception event); the SDK's error is
    /// the [`source`](StdError::source).
    Stream(BoxError),
    /// An event this SDK does not know: it might have carried bytes, so the body stops
    /// rather than skip it.
    UnknownEvent,
    /// The response's content type says it starts with an HTTP prelude, and it does not;
    /// the decoder's error is the [`source`](StdError::source).
    Prelude(DecodeError),
}

/// A streamed invocation that failed, and how many body bytes were delivered before.
///
/// `Display` says what failed and after how many bytes; an underlying error is the
/// [`source`](StdError::source).
#[derive(Debug)]
pub struct InvokeError {
    kind: InvokeErrorKind,
    delivered: u64,
}

impl InvokeError {
    pub(crate) fn new(kind: InvokeErrorKind, delivered: u64) -> Self {
        InvokeError { kind, delivered }
    }

    /// What went wrong.
    pub fn kind(&self) -> &InvokeErrorKind {
        &self.kind
    }

    /// Body bytes delivered before the failure.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// The error type the function reported, for [`InvokeErrorKind::Function`].
    pub fn error_code(&self) -> Option<&str> {
        match &self.kind {
            InvokeErrorKind::Function { error_code, .. } => Some(error_code),
            _ => None,
        }
    }
}

impl fmt::Display for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.delivered;
        match &self.kind {
            InvokeErrorKind::Function {
                error_code,
                details,
                ..
            } => {
                write!(f, "the function failed after {n} body bytes: {error_code}")?;
                if let Some(details) = details {
                    write!(f, ": {details}")?;
                }
                Ok(())
            }
            InvokeErrorKind::Incomplete => write!(
                f,
                "the response stream ended after {n} body bytes without InvokeComplete"
            ),
            InvokeErrorKind::Stream(_) => {
                write!(f, "the response stream failed after {n} body bytes")
            }
            InvokeErrorKind::UnknownEvent => write!(
                f,
                "the response stream sent an event this SDK does not know after {n} body bytes"
            ),
            InvokeErrorKind::Prelude(_) => f.write_str(
                "the response does not start with the HTTP prelude its content type announces",
            ),
        }
    }
}

impl StdError for InvokeError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.kind {
            InvokeErrorKind::Stream(e) => Some(e.as_ref()),
            InvokeErrorKind::Prelude(e) => Some(e),
            _ => None,
        }
    }
}

/// For `AsyncRead`: an incomplete stream is [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof),
/// the rest [`Other`](std::io::ErrorKind::Other); the `InvokeError` is the inner error.
impl From<InvokeError> for std::io::Error {
    fn from(e: InvokeError) -> Self {
        let kind = match e.kind {
            InvokeErrorKind::Incomplete => std::io::ErrorKind::UnexpectedEof,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, e)
    }
}
