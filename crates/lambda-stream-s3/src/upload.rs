//! `ByteStream`s from streams and readers, e.g. as `PutObject` bodies.

use std::error::Error as StdError;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use aws_smithy_types::byte_stream::ByteStream;
use bytes::Bytes;
use futures_core::Stream;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use sync_wrapper::SyncStream;
use tokio::io::AsyncRead;
use tokio_util::io::ReaderStream;

/// Read size when a `ByteStream` is made from an `AsyncRead`: 64 KiB (tokio-util's default
/// of 4 KiB caps throughput). Not part of the contract.
///
/// ```
/// use futures_util::StreamExt;
/// use lambda_stream_s3::{UPLOAD_READ_SIZE, byte_stream_from_reader};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let file = vec![7u8; 3 * UPLOAD_READ_SIZE];
/// let mut body = byte_stream_from_reader(std::io::Cursor::new(file), None);
/// let first = body.next().await.unwrap()?;
/// assert!(first.len() <= UPLOAD_READ_SIZE);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub const UPLOAD_READ_SIZE: usize = 64 * 1024;

/// A `ByteStream` that yields the chunks of `stream`, for a `PutObject` body for instance.
///
/// With `len` given, the body announces that exact length (S3 needs a `Content-Length` for
/// a body it cannot measure first) and fails with [`UploadError`] if the stream yields
/// more or fewer bytes, so a short source never uploads a short object. Without it the
/// length is unknown, which `PutObject` refuses unless the request sets one.
///
/// The body can be sent once: the SDK cannot replay it, so a request that fails after
/// sending part of it is not retried.
///
/// ```
/// use bytes::Bytes;
/// use futures_util::stream;
/// use lambda_stream_s3::byte_stream_from_stream;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let chunks = stream::iter([Ok::<_, std::io::Error>(Bytes::from("ab")), Ok(Bytes::from("cd"))]);
/// let body = byte_stream_from_stream(chunks, Some(4));
/// assert_eq!(body.size_hint(), (4, Some(4)));
/// assert_eq!(body.collect().await?.into_bytes(), "abcd");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn byte_stream_from_stream<S, B, E>(stream: S, len: Option<u64>) -> ByteStream
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: Into<Bytes> + 'static,
    E: Into<Box<dyn StdError + Send + Sync>> + 'static,
{
    ByteStream::from_body_1_x(UploadBody {
        stream: SyncStream::new(stream),
        len,
        sent: 0,
        done: false,
    })
}

/// A `ByteStream` that reads `reader` in [`UPLOAD_READ_SIZE`] chunks; `len` as for
/// [`byte_stream_from_stream`].
///
/// ```
/// use lambda_stream_s3::byte_stream_from_reader;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// // A file, say: here bytes in memory, read as an `AsyncRead`.
/// let body = byte_stream_from_reader(&b"0123456789"[..], Some(10));
/// assert_eq!(body.size_hint(), (10, Some(10)));
/// assert_eq!(body.collect().await?.into_bytes(), "0123456789");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn byte_stream_from_reader<R>(reader: R, len: Option<u64>) -> ByteStream
where
    R: AsyncRead + Send + 'static,
{
    byte_stream_from_stream(ReaderStream::with_capacity(reader, UPLOAD_READ_SIZE), len)
}

/// An upload body that failed: its source did, or it did not match its announced length.
///
/// ```
/// use std::error::Error as _;
/// use bytes::Bytes;
/// use futures_util::stream;
/// use lambda_stream_s3::{UploadError, byte_stream_from_stream};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// // Announced as 10 bytes, the source has 4: the upload fails instead of storing 4.
/// let chunks = stream::iter([Ok::<_, std::io::Error>(Bytes::from("abcd"))]);
/// let e = byte_stream_from_stream(chunks, Some(10)).collect().await.unwrap_err();
/// let upload = e.source().and_then(|s| s.downcast_ref::<UploadError>());
/// assert_eq!(upload.map(UploadError::sent), Some(4));
/// # });
/// ```
#[derive(Debug)]
pub struct UploadError {
    sent: u64,
    kind: UploadErrorKind,
}

#[derive(Debug)]
enum UploadErrorKind {
    Source(Box<dyn StdError + Send + Sync>),
    Length { expected: u64, more: bool },
}

impl UploadError {
    /// Bytes handed to the SDK before the failure.
    pub fn sent(&self) -> u64 {
        self.sent
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            // The cause is the source.
            UploadErrorKind::Source(_) => {
                write!(f, "upload body failed after {} bytes", self.sent)
            }
            UploadErrorKind::Length {
                expected,
                more: true,
            } => write!(
                f,
                "upload body: expected {expected} bytes as announced, found more ({} so far)",
                self.sent
            ),
            UploadErrorKind::Length {
                expected,
                more: false,
            } => write!(
                f,
                "upload body: expected {expected} bytes as announced, found the end after {}",
                self.sent
            ),
        }
    }
}

impl StdError for UploadError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.kind {
            UploadErrorKind::Source(e) => Some(e.as_ref()),
            UploadErrorKind::Length { .. } => None,
        }
    }
}

pin_project! {
    struct UploadBody<S> {
        #[pin]
        stream: SyncStream<S>,
        len: Option<u64>,
        sent: u64,
        done: bool,
    }
}

impl<S, B, E> Body for UploadBody<S>
where
    S: Stream<Item = Result<B, E>>,
    B: Into<Bytes>,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    type Data = Bytes;
    type Error = UploadError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, UploadError>>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        let fail = |kind, sent| Poll::Ready(Some(Err(UploadError { sent, kind })));
        match ready!(this.stream.poll_next(cx)) {
            Some(Ok(chunk)) => {
                let chunk: Bytes = chunk.into();
                *this.sent += chunk.len() as u64;
                if let Some(expected) = *this.len
                    && *this.sent > expected
                {
                    *this.done = true;
                    return fail(
                        UploadErrorKind::Length {
                            expected,
                            more: true,
                        },
                        *this.sent,
                    );
                }
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Some(Err(e)) => {
                *this.done = true;
                fail(UploadErrorKind::Source(e.into()), *this.sent)
            }
            None => {
                *this.done = true;
                match *this.len {
                    Some(expected) if expected != *this.sent => fail(
                        UploadErrorKind::Length {
                            expected,
                            more: false,
                        },
                        *this.sent,
                    ),
                    _ => Poll::Ready(None),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        match self.len {
            Some(len) => SizeHint::with_exact(len.saturating_sub(self.sent)),
            None => SizeHint::default(),
        }
    }
}
