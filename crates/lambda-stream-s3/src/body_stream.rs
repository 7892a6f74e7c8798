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
    /// Errors say how many bytes were delivered before them and keep the SDK's error as
    /// their source. When the length of the body is known (an S3 `Content-Length`) and the
    /// body ends short of it, the stream ends with a [`BodyErrorKind::Truncated`] error
    /// instead of a clean end: a truncated object never looks complete. A body that goes
    /// on past that length ends with [`BodyErrorKind::Overrun`] before the chunk that
    /// would cross it.
    ///
    /// Make it from the SDK's output (`BodyStream::from(output)`, with feature `sdk`), which
    /// takes the length from `Content-Length`: the safe way. [`new`](Self::new) knows the
    /// length only if the body says it, which a `GetObject` body does not: a body cut short
    /// then ends cleanly.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # #[cfg(feature = "sdk")]
    /// # async fn example(client: aws_sdk_s3::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use futures_util::TryStreamExt;
    /// use lambda_stream_s3::BodyStream;
    ///
    /// let output = client.get_object().bucket("b").key("k").send().await?;
    /// let expected = output.content_length();
    /// // Checked against Content-Length: a body cut short ends with an error.
    /// let body = BodyStream::from(output);
    /// let bytes: Vec<bytes::Bytes> = body.try_collect().await?;
    /// assert_eq!(Some(bytes.iter().map(|b| b.len() as i64).sum()), expected);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Any `ByteStream` whose length is known, and what happens when it ends short:
    ///
    /// ```
    /// use aws_smithy_types::byte_stream::ByteStream;
    /// use futures_util::TryStreamExt;
    /// use lambda_stream_s3::{BodyErrorKind, BodyStream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let whole = BodyStream::with_expected_len(ByteStream::from_static(b"object bytes"), Some(12));
    /// let chunks: Vec<bytes::Bytes> = whole.try_collect().await.unwrap();
    /// assert_eq!(chunks.concat(), b"object bytes");
    ///
    /// let short = BodyStream::with_expected_len(ByteStream::from_static(b"object"), Some(12));
    /// let e = short.try_collect::<Vec<_>>().await.unwrap_err();
    /// assert!(matches!(e.kind(), BodyErrorKind::Truncated { expected: 12 }));
    /// # });
    /// ```
    ///
    /// Its counters, and the body inside:
    ///
    /// ```
    /// use aws_smithy_types::byte_stream::ByteStream;
    /// use futures_util::StreamExt;
    /// use lambda_stream_s3::BodyStream;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut body = BodyStream::new(ByteStream::from_static(b"abc"));
    /// assert_eq!(body.expected_len(), Some(3), "from the body's exact size hint");
    /// assert_eq!(body.remaining_hint(), (3, Some(3)));
    /// body.next().await.unwrap().unwrap();
    /// assert_eq!(body.delivered(), 3);
    /// assert_eq!(body.get_ref().size_hint(), (0, Some(0)));
    /// let _sdk_body = body.get_mut();
    /// let _sdk_body: ByteStream = body.into_inner();
    /// # });
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
    /// Wraps an S3 body, checking its length at the end only if its size hint is exact.
    ///
    /// What it cannot detect: the body of a `GetObject` does not say its length
    /// (`aws-sdk-s3` 1.157 wraps it in layers that do not), so a `GetObject` body that ends
    /// short ends cleanly here. Use `BodyStream::from(output)` (feature `sdk`), or
    /// [`with_expected_len`](Self::with_expected_len) with the response's
    /// `Content-Length`.
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

    /// Wraps an S3 body that must yield exactly `len` bytes: the length of an answer
    /// checked against its `Content-Range` and `Content-Length`, say.
    ///
    /// ```
    /// use aws_smithy_types::byte_stream::ByteStream;
    /// use futures_util::TryStreamExt;
    /// use lambda_stream_s3::{BodyErrorKind, BodyStream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let long = BodyStream::with_len(ByteStream::from_static(b"object bytes"), 6);
    /// let e = long.try_collect::<Vec<_>>().await.unwrap_err();
    /// assert!(matches!(e.kind(), BodyErrorKind::Overrun { expected: 6 }));
    /// assert_eq!(e.delivered(), 0, "the chunk that would cross the length is not delivered");
    /// # });
    /// ```
    pub fn with_len(body: ByteStream, len: u64) -> Self {
        BodyStream {
            body,
            delivered: 0,
            expected: Some(len),
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
    /// As [`BodyStream::new`]: the length is checked only if the body says it.
    fn from(body: ByteStream) -> Self {
        BodyStream::new(body)
    }
}

#[cfg(feature = "sdk")]
#[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
impl From<aws_sdk_s3::operation::get_object::GetObjectOutput> for BodyStream {
    /// The body of a `GetObject` answer, checked against its `Content-Length` (for a `206`,
    /// the range's): a body that ends short ends with [`BodyErrorKind::Truncated`].
    fn from(output: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Self {
        let len = output.content_length();
        BodyStream::with_expected_len(output.body, len)
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
                let delivered = *this.delivered + chunk.len() as u64;
                if let Some(expected) = *this.expected
                    && delivered > expected
                {
                    *this.done = true;
                    let kind = BodyErrorKind::Overrun { expected };
                    return Poll::Ready(Some(Err(BodyError::new(kind, *this.delivered))));
                }
                *this.delivered = delivered;
                Poll::Ready(Some(Ok(chunk)))
            }
            Some(Err(e)) => {
                *this.done = true;
                Poll::Ready(Some(Err(BodyError::from_sdk(e, *this.delivered))))
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
