//! `BodyError`: what went wrong with an object body, and after how many bytes.

use std::error::Error as StdError;
use std::fmt;

use aws_smithy_types::byte_stream::error::Error as ByteStreamError;

/// What went wrong; see [`BodyError::kind`].
#[derive(Debug)]
#[non_exhaustive]
pub enum BodyErrorKind {
    /// The SDK's body failed (connection reset, timeout...); the SDK's error is the
    /// [`source`](StdError::source).
    Source(ByteStreamError),
    /// The SDK found the object's checksum wrong, once its last byte had gone through (see
    /// the crate docs); the SDK's error is the [`source`](StdError::source).
    ChecksumMismatch(ByteStreamError),
    /// The body ended cleanly but short of the length it announced.
    Truncated {
        /// The announced length.
        expected: u64,
    },
    /// The body went on past the length it announced; the chunk that would have crossed
    /// it was not delivered.
    Overrun {
        /// The announced length.
        expected: u64,
    },
    /// Resuming found a different object than the one being streamed: the rest cannot be
    /// served without mixing two versions.
    ObjectChanged {
        /// The ETag of the object whose bytes were already delivered.
        etag: String,
        /// What the resume found instead (another ETag, another size, no object...).
        found: String,
    },
    /// Resuming gave up after this many attempts; the last failure is the
    /// [`source`](StdError::source).
    RetriesExhausted {
        /// Attempts made, the first request excluded.
        attempts: u32,
        /// The last failure.
        last: Box<BodyError>,
    },
    /// A resume request failed in a way retrying cannot fix (access denied...); the SDK's
    /// error is the [`source`](StdError::source).
    ResumeRequest(Box<dyn StdError + Send + Sync + 'static>),
    /// A resume request got no answer, or a `5xx`: another attempt may succeed. The SDK's
    /// error is the [`source`](StdError::source).
    ResumeUnavailable(Box<dyn StdError + Send + Sync + 'static>),
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
/// `Display` says what failed and after how many bytes; the cause, when there is one (the
/// SDK's error, the last failure of a resume), is [`source`](StdError::source) only, so
/// that a chain printer shows each thing once.
///
/// ```
/// use aws_smithy_types::byte_stream::ByteStream;
/// use futures_util::TryStreamExt;
/// use lambda_stream_s3::BodyStream;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let short = BodyStream::with_expected_len(ByteStream::from_static(b"object"), Some(12));
/// let e = short.try_collect::<Vec<_>>().await.unwrap_err();
/// assert_eq!(e.delivered(), 6);
/// assert!(e.is_transient(), "asking again may give the whole object");
/// assert!(!e.is_checksum_mismatch());
/// assert_eq!(e.to_string(), "S3 object body truncated: expected 12 bytes, the body ended after 6");
/// # });
/// ```
#[derive(Debug)]
pub struct BodyError {
    kind: BodyErrorKind,
    delivered: u64,
}

impl BodyError {
    /// A failure of kind `kind` after `delivered` bytes: for adapters built on this one,
    /// such as a body that resumes.
    ///
    /// ```
    /// use lambda_stream_s3::{BodyError, BodyErrorKind};
    ///
    /// let e = BodyError::new(BodyErrorKind::Truncated { expected: 10 }, 4);
    /// assert_eq!(e.to_string(), "S3 object body truncated: expected 10 bytes, the body ended after 4");
    /// ```
    pub fn new(kind: BodyErrorKind, delivered: u64) -> Self {
        BodyError { kind, delivered }
    }

    /// The failure of the SDK's body, typed once, here: a checksum mismatch is recognised
    /// by the SDK's own error type, never by the text of a message.
    pub(crate) fn from_sdk(error: ByteStreamError, delivered: u64) -> Self {
        let kind = if is_checksum_error(&error) {
            BodyErrorKind::ChecksumMismatch(error)
        } else {
            BodyErrorKind::Source(error)
        };
        BodyError::new(kind, delivered)
    }

    /// The same failure, counted against a body that had delivered `delivered` bytes (a
    /// resumed body's errors count from the start of the whole body).
    ///
    /// ```
    /// use lambda_stream_s3::{BodyError, BodyErrorKind};
    ///
    /// let e = BodyError::new(BodyErrorKind::Truncated { expected: 10 }, 4).rebased(1004);
    /// assert_eq!(e.delivered(), 1004);
    /// ```
    #[must_use]
    pub fn rebased(mut self, delivered: u64) -> Self {
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

    /// Whether the SDK rejected the body's checksum ([`BodyErrorKind::ChecksumMismatch`]).
    /// It can only tell after the last byte, so every byte has been delivered by then; see
    /// the crate docs for what a streamed response does about it.
    pub fn is_checksum_mismatch(&self) -> bool {
        matches!(self.kind, BodyErrorKind::ChecksumMismatch(_))
    }

    /// Whether the failure may go away by asking again (a broken connection, a truncated
    /// body, a resume request without an answer), as opposed to a changed object, a
    /// checksum mismatch or exhausted retries.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            BodyErrorKind::Source(_)
                | BodyErrorKind::Truncated { .. }
                | BodyErrorKind::ResumeUnavailable(_)
        )
    }
}

/// Whether the SDK's checksum validation produced `error`: its chain holds the typed error
/// of `aws-smithy-checksums` (with feature `sdk`, which brings the checksums).
fn is_checksum_error(error: &(dyn StdError + 'static)) -> bool {
    #[cfg(feature = "sdk")]
    {
        let mut next = Some(error);
        while let Some(e) = next {
            if e.is::<aws_smithy_checksums::body::validate::Error>() {
                return true;
            }
            next = e.source();
        }
        false
    }
    #[cfg(not(feature = "sdk"))]
    {
        let _ = error;
        false
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.delivered;
        match &self.kind {
            BodyErrorKind::Source(_) => write!(f, "S3 object body failed after {n} bytes"),
            BodyErrorKind::ChecksumMismatch(_) => write!(
                f,
                "S3 object body failed its checksum check after all {n} bytes had been delivered"
            ),
            BodyErrorKind::Truncated { expected } => write!(
                f,
                "S3 object body truncated: expected {expected} bytes, the body ended after {n}"
            ),
            BodyErrorKind::Overrun { expected } => write!(
                f,
                "S3 object body longer than announced: expected {expected} bytes, more came \
                 after {n}"
            ),
            BodyErrorKind::ObjectChanged { etag, found } => write!(
                f,
                "S3 object changed while streaming it: expected ETag {etag} when resuming after \
                 {n} bytes, found {found}; not mixing two versions"
            ),
            BodyErrorKind::RetriesExhausted { attempts, .. } => write!(
                f,
                "gave up resuming the S3 object body after {attempts} attempts, {n} bytes in"
            ),
            BodyErrorKind::ResumeRequest(_) => write!(
                f,
                "S3 object body failed after {n} bytes, and the request to resume it failed"
            ),
            BodyErrorKind::ResumeUnavailable(_) => write!(
                f,
                "the request to resume the S3 object body after {n} bytes got no answer or a \
                 server error"
            ),
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
            BodyErrorKind::Source(e) | BodyErrorKind::ChecksumMismatch(e) => Some(e),
            BodyErrorKind::RetriesExhausted { last, .. } => Some(last.as_ref()),
            BodyErrorKind::ResumeRequest(e) | BodyErrorKind::ResumeUnavailable(e) => {
                Some(e.as_ref())
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An error whose text says "checksum mismatch" but that is not the SDK's checksum
    /// error: text never decides.
    #[derive(Debug)]
    struct Impostor;

    impl fmt::Display for Impostor {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("body checksum mismatch. expected body checksum to be 00 but it was 01")
        }
    }

    impl StdError for Impostor {}

    #[test]
    fn a_checksum_mismatch_is_told_by_its_type_not_its_text() {
        // A `ByteStreamError` made from an I/O error carrying the impostor.
        let sdk = ByteStreamError::from(std::io::Error::other(Impostor));
        let e = BodyError::from_sdk(sdk, 10);
        assert!(!e.is_checksum_mismatch(), "{e}");
        assert!(e.is_transient());
    }
}
