//! `BodyError`: what went wrong with an object body, and after how many bytes.

use std::error::Error as StdError;
use std::fmt;

use aws_smithy_types::byte_stream::error::Error as ByteStreamError;

/// What went wrong; see [`BodyError::kind`].
#[derive(Debug)]
#[non_exhaustive]
pub enum BodyErrorKind {
    /// The SDK's body failed (connection reset, timeout, checksum mismatch...); the SDK's
    /// error is the [`source`](StdError::source).
    Source(ByteStreamError),
    /// The body ended cleanly but short of the length it announced.
    Truncated {
        /// The announced length.
        expected: u64,
    },
    /// Resuming found a different object than the one being streamed (its ETag no longer
    /// matches): the rest cannot be served without mixing two versions.
    ObjectChanged {
        /// The ETag of the object whose bytes were already delivered.
        etag: String,
    },
    /// Resuming gave up after this many attempts; the last failure is the
    /// [`source`](StdError::source).
    RetriesExhausted {
        /// Attempts made, the first request excluded.
        attempts: u32,
        /// The last failure.
        last: Box<BodyError>,
    },
    /// A resume request failed in a way retrying cannot fix (access denied, no such key...);
    /// the SDK's error is the [`source`](StdError::source).
    ResumeRequest(Box<dyn StdError + Send + Sync + 'static>),
    /// A resume answered with bytes from another offset than the one asked for.
    ResumeOffset {
        /// The offset asked for.
        asked: u64,
        /// The `Content-Range` the answer carried, if any.
        content_range: Option<String>,
    },
}

/// An object body that failed, and how many bytes were delivered before it did.
///
/// `Display` names the failure and walks the whole error chain, since the SDK's errors say
/// only "IO error" or "streaming error" themselves.
#[derive(Debug)]
pub struct BodyError {
    kind: BodyErrorKind,
    delivered: u64,
}

impl BodyError {
    pub(crate) fn new(kind: BodyErrorKind, delivered: u64) -> Self {
        BodyError { kind, delivered }
    }

    /// The same failure, counted against a body that had delivered `delivered` bytes.
    #[cfg(feature = "sdk")]
    pub(crate) fn rebased(mut self, delivered: u64) -> Self {
        self.delivered = delivered;
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &BodyErrorKind {
        &self.kind
    }

    /// Bytes of the body delivered before the failure.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Whether the SDK rejected the body's checksum. It can only tell after the last byte,
    /// so every byte has been delivered by then; see the crate docs for what a streamed
    /// response does about it.
    pub fn is_checksum_mismatch(&self) -> bool {
        let mut next: Option<&(dyn StdError + 'static)> = self.source();
        while let Some(e) = next {
            if e.to_string()
                .to_ascii_lowercase()
                .contains("checksum mismatch")
            {
                return true;
            }
            next = e.source();
        }
        false
    }

    /// Whether the failure may go away by asking again (a broken connection, a truncated
    /// body), as opposed to a changed object, a checksum mismatch or exhausted retries.
    pub fn is_transient(&self) -> bool {
        match &self.kind {
            BodyErrorKind::Source(_) => !self.is_checksum_mismatch(),
            BodyErrorKind::Truncated { .. } => true,
            _ => false,
        }
    }
}

/// An error and its sources on one line: each message after ": ", leaving out the SDK's
/// placeholder messages ("IO error", "dispatch failure", ...) when a source with the real
/// cause follows. The SDK's own `Display` often says no more than the placeholder.
///
/// ```
/// use std::error::Error;
/// use std::fmt;
/// use lambda_stream_s3::ErrorChain;
///
/// /// What the SDK's byte stream error looks like.
/// #[derive(Debug)]
/// struct Sdk(std::io::Error);
/// impl fmt::Display for Sdk {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         f.write_str("IO error")
///     }
/// }
/// impl Error for Sdk {
///     fn source(&self) -> Option<&(dyn Error + 'static)> {
///         Some(&self.0)
///     }
/// }
///
/// let error = Sdk(std::io::Error::other("connection reset by peer"));
/// assert_eq!(error.to_string(), "IO error");
/// assert_eq!(ErrorChain(&error).to_string(), "connection reset by peer");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn StdError + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut next = Some(self.0);
        while let Some(e) = next {
            next = e.source();
            let text = e.to_string();
            if next.is_some()
                && matches!(
                    text.as_str(),
                    "IO error"
                        | "streaming error"
                        | "io error"
                        | "dispatch failure"
                        | "service error"
                )
            {
                continue;
            }
            if !first {
                f.write_str(": ")?;
            }
            f.write_str(&text)?;
            first = false;
        }
        Ok(())
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.delivered;
        match &self.kind {
            BodyErrorKind::Source(e) => {
                write!(f, "S3 object body failed after {n} bytes: ")?;
                ErrorChain(e).fmt(f)
            }
            BodyErrorKind::Truncated { expected } => write!(
                f,
                "S3 object body truncated: expected {expected} bytes, the body ended after {n}"
            ),
            BodyErrorKind::ObjectChanged { etag } => write!(
                f,
                "S3 object changed while streaming it: expected ETag {etag} when resuming after \
                 {n} bytes, found another version; not mixing two versions"
            ),
            BodyErrorKind::RetriesExhausted { attempts, last } => {
                write!(
                    f,
                    "S3 object body failed after {n} bytes; gave up after {attempts} resume attempts, the last: {last}"
                )
            }
            BodyErrorKind::ResumeRequest(e) => {
                write!(
                    f,
                    "S3 object body failed after {n} bytes and resuming it failed: "
                )?;
                ErrorChain(e.as_ref()).fmt(f)
            }
            BodyErrorKind::ResumeOffset {
                asked,
                content_range,
            } => write!(
                f,
                "S3 object resume: expected bytes from offset {asked}, found Content-Range {}",
                content_range.as_deref().unwrap_or("(none)")
            ),
        }
    }
}

impl StdError for BodyError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.kind {
            BodyErrorKind::Source(e) => Some(e),
            BodyErrorKind::RetriesExhausted { last, .. } => Some(last.as_ref()),
            BodyErrorKind::ResumeRequest(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

/// For `AsyncRead`: a truncation is [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof),
/// an SDK failure keeps the SDK's I/O error kind where there is one, and the rest is
/// [`Other`](std::io::ErrorKind::Other). The `BodyError` is the inner error.
impl From<BodyError> for std::io::Error {
    fn from(e: BodyError) -> Self {
        let kind = match &e.kind {
            BodyErrorKind::Truncated { .. } => std::io::ErrorKind::UnexpectedEof,
            BodyErrorKind::Source(source) => io_kind(source).unwrap_or(std::io::ErrorKind::Other),
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, e)
    }
}

/// The kind of the first `std::io::Error` in `error`'s chain.
pub(crate) fn io_kind(error: &(dyn StdError + 'static)) -> Option<std::io::ErrorKind> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && (io.get_ref().is_none() || io.kind() != std::io::ErrorKind::Other)
        {
            return Some(io.kind());
        }
        next = e.source();
    }
    None
}
