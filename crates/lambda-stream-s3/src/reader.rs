//! `BodyReader`: the SDK's own `into_async_read`, with errors that say what happened.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::byte_stream::error::Error as ByteStreamError;
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

use crate::error::{BodyError, BodyErrorKind};

type Inner = Pin<Box<dyn AsyncBufRead + Send + Sync>>;

/// An S3 object body as `AsyncRead` and `AsyncBufRead`.
///
/// Reads go through the SDK's own `ByteStream::into_async_read`. What this adds: errors
/// carry a [`BodyError`] (the byte offset, with the SDK's error as its source and the SDK's
/// I/O error kind kept), and a body that ends short of its known length fails with
/// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) instead of a clean end of file.
///
/// Make it from the SDK's output (`BodyReader::from(output)`, feature `sdk`), which takes the
/// length from `Content-Length`; [`new`](Self::new) cannot tell a `GetObject` body that ends
/// short from a complete one, as for [`BodyStream::new`](crate::BodyStream::new).
///
/// ```
/// use aws_smithy_types::byte_stream::ByteStream;
/// use lambda_stream_s3::BodyReader;
/// use tokio::io::AsyncReadExt;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut reader = BodyReader::new(ByteStream::from_static(b"line one\nline two\n"));
/// let mut text = String::new();
/// reader.read_to_string(&mut text).await?;
/// assert_eq!(text.lines().count(), 2);
/// assert_eq!(reader.consumed(), 18);
///
/// // Known to be 30 bytes long: ending at 18 is an error, not an end of file.
/// let mut short = BodyReader::with_expected_len(ByteStream::from_static(b"line one\nline two\n"), Some(30));
/// let e = short.read_to_end(&mut Vec::new()).await.unwrap_err();
/// assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct BodyReader {
    inner: Inner,
    consumed: u64,
    expected: Option<u64>,
}

impl fmt::Debug for BodyReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyReader")
            .field("consumed", &self.consumed)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

impl BodyReader {
    /// Reads `body`, checking its length at the end only if its size hint is exact (a
    /// `GetObject` body's is not: use `BodyReader::from(output)` or
    /// [`with_expected_len`](Self::with_expected_len)).
    pub fn new(body: ByteStream) -> Self {
        BodyReader::with_expected_len(body, None)
    }

    /// Reads `body`, which must yield exactly `len` bytes (`GetObjectOutput::content_length`).
    pub fn with_expected_len(body: ByteStream, len: Option<i64>) -> Self {
        BodyReader {
            expected: crate::body_stream::expected_len(&body, len),
            inner: Box::pin(body.into_async_read()),
            consumed: 0,
        }
    }

    /// Bytes consumed so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }
}

#[cfg(feature = "sdk")]
#[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
impl From<aws_sdk_s3::operation::get_object::GetObjectOutput> for BodyReader {
    /// The body of a `GetObject` answer, checked against its `Content-Length`.
    fn from(output: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Self {
        let len = output.content_length();
        BodyReader::with_expected_len(output.body, len)
    }
}

/// The SDK reader's error as an `io::Error` carrying a [`BodyError`].
fn map_error(e: io::Error, delivered: u64) -> io::Error {
    if !e
        .get_ref()
        .is_some_and(|inner| inner.is::<ByteStreamError>())
    {
        return e;
    }
    let kind = e.kind();
    match e
        .into_inner()
        .map(|inner| inner.downcast::<ByteStreamError>())
    {
        Some(Ok(sdk)) => {
            let body = BodyError::from_sdk(*sdk, delivered);
            let kind = crate::error::io_kind(&body).unwrap_or(kind);
            io::Error::new(kind, body)
        }
        // Checked above: the inner error is a `ByteStreamError`.
        Some(Err(other)) => io::Error::new(kind, other),
        None => io::Error::from(kind),
    }
}

impl AsyncBufRead for BodyReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        let consumed = this.consumed;
        let expected = this.expected;
        match ready!(this.inner.as_mut().poll_fill_buf(cx)) {
            Ok([]) => match expected {
                Some(expected) if expected != consumed => {
                    let e = BodyError::new(BodyErrorKind::Truncated { expected }, consumed);
                    Poll::Ready(Err(e.into()))
                }
                _ => Poll::Ready(Ok(&[])),
            },
            Ok(buf) => Poll::Ready(Ok(buf)),
            Err(e) => Poll::Ready(Err(map_error(e, consumed))),
        }
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.consumed += amt as u64;
        this.inner.as_mut().consume(amt);
    }
}

impl AsyncRead for BodyReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = {
            let available = ready!(self.as_mut().poll_fill_buf(cx))?;
            let n = available.len().min(buf.remaining());
            buf.put_slice(&available[..n]);
            n
        };
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}
