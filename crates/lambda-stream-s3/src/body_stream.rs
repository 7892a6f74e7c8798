//! `BodyStream`: an S3 `ByteStream` as a `futures_core::Stream`.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use aws_smithy_types::byte_stream::ByteStream;
use bytes::Bytes;
use futures_core::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;

use crate::error::{BodyError, BodyErrorKind};

pin_project! {
    /// An S3 object body (`aws_smithy_types::byte_stream::ByteStream`) as a
    /// `Stream<Item = Result<Bytes, BodyError>>`.
    ///
    /// Chunks are passed on as the SDK hands them out (no copy). The stream is `Send`,
    /// `Sync` and `Unpin`, forwards the body's `size_hint` (in bytes, through
    /// [`remaining_hint`](Self::remaining_hint)), and is fused: after the end or an error
    /// it yields `None` and never polls the body again.
    ///
    /// Errors say how many bytes were delivered before them and keep the SDK's error chain
    /// (whose own `Display` says only "IO error" or "streaming error"). When the body
    /// announced its length (an S3 `Content-Length`) and ends short of it, the stream ends
    /// with a [`BodyErrorKind::Truncated`] error instead of a clean end: a truncated object
    /// never looks complete.
    ///
    /// # Example
    ///
    /// ```
    /// use aws_smithy_types::byte_stream::ByteStream;
    /// use futures_util::TryStreamExt;
    /// use lambda_stream_s3::BodyStream;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let body = BodyStream::new(ByteStream::from_static(b"object bytes"));
    /// let chunks: Vec<bytes::Bytes> = body.try_collect().await?;
    /// assert_eq!(chunks.concat(), b"object bytes");
    /// # Ok::<(), lambda_stream_s3::BodyError>(())
    /// # }).unwrap();
    /// ```
    #[must_use = "streams do nothing unless polled"]
    #[derive(Debug)]
    pub struct BodyStream {
        #[pin]
        body: ByteStream,
        delivered: u64,
        expected: Option<u64>,
        done: bool,
    }
}

impl BodyStream {
    /// Wraps an S3 body. If its size hint is exact, that length is checked at the end.
    ///
    /// The body of a `GetObject` does not always say its length (`aws-sdk-s3` 1.157 wraps
    /// it in layers that do not), so prefer [`with_expected_len`](Self::with_expected_len)
    /// with the response's `Content-Length`.
    pub fn new(body: ByteStream) -> Self {
        BodyStream::with_expected_len(body, None)
    }

    /// Wraps an S3 body that must yield exactly `len` bytes
    /// (`GetObjectOutput::content_length`); with `None`, or a negative length (which S3
    /// never sends), the body's size hint is checked if it is exact, as in [`new`](Self::new).
    pub fn with_expected_len(body: ByteStream, len: Option<i64>) -> Self {
        BodyStream {
            expected: expected_len(&body, len),
            body,
            delivered: 0,
            done: false,
        }
    }

    /// Bytes delivered so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// The length the body announced, if it did.
    pub fn expected_len(&self) -> Option<u64> {
        self.expected
    }

    /// Bounds on the bytes still to come, as the SDK reports them.
    pub fn remaining_hint(&self) -> (u64, Option<u64>) {
        if self.done {
            (0, Some(0))
        } else {
            self.body.size_hint()
        }
    }

    /// The body.
    pub fn get_ref(&self) -> &ByteStream {
        &self.body
    }

    /// The body. Reading from it directly bypasses the byte count and the length check.
    pub fn get_mut(&mut self) -> &mut ByteStream {
        &mut self.body
    }

    /// The body.
    pub fn into_inner(self) -> ByteStream {
        self.body
    }
}

/// A body's length: `content_length` if given and not negative, else the body's exact size
/// hint, if it has one.
pub(crate) fn expected_len(body: &ByteStream, content_length: Option<i64>) -> Option<u64> {
    content_length
        .and_then(|len| u64::try_from(len).ok())
        .or(match body.size_hint() {
            (lo, Some(hi)) if lo == hi => Some(hi),
            _ => None,
        })
}

impl From<ByteStream> for BodyStream {
    fn from(body: ByteStream) -> Self {
        BodyStream::new(body)
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        match ready!(this.body.poll_next(cx)) {
            Some(Ok(chunk)) => {
                *this.delivered += chunk.len() as u64;
                Poll::Ready(Some(Ok(chunk)))
            }
            Some(Err(e)) => {
                *this.done = true;
                Poll::Ready(Some(Err(BodyError::new(
                    BodyErrorKind::Source(e),
                    *this.delivered,
                ))))
            }
            None => {
                *this.done = true;
                match *this.expected {
                    Some(expected) if expected != *this.delivered => {
                        let kind = BodyErrorKind::Truncated { expected };
                        Poll::Ready(Some(Err(BodyError::new(kind, *this.delivered))))
                    }
                    _ => Poll::Ready(None),
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // In chunks: nothing certain but the end.
        if self.done { (0, Some(0)) } else { (0, None) }
    }
}

impl FusedStream for BodyStream {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_traits<T: Send + Sync + Unpin + 'static>() {}

    #[test]
    fn send_sync_unpin() {
        assert_traits::<BodyStream>();
    }
}
