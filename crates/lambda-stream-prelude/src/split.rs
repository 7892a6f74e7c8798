//! `split_prelude`: separates the prelude from the body of a response byte stream.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use pin_project_lite::pin_project;

use crate::decoder::{Decoded, PreludeDecoder};
use crate::error::SplitError;
use crate::prelude::MetadataPrelude;

/// Reads the prelude from the start of `stream`; resolves to the prelude and a stream of the
/// body bytes after it.
///
/// This is for clients of `InvokeWithResponseStream`, where the prelude arrives mixed into
/// the payload chunks. Only the chunks up to the end of the delimiter are read; the body
/// stream yields the rest of the chunk that held the delimiter (if any), then the source's
/// own chunks untouched.
///
/// # Errors
///
/// The future fails with [`SplitError::Source`] if the source fails first, and with
/// [`SplitError::Decode`] if the bytes are not a valid prelude or the stream ends before the
/// delimiter ([`DecodeError::is_eof`](crate::DecodeError::is_eof)).
///
/// # Example
///
/// ```
/// use bytes::Bytes;
/// use futures_util::{stream, StreamExt};
/// use lambda_stream_prelude::split_prelude;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let chunks = ["{\"statusCode\":200,\"co", "okies\":[]}\0\0\0\0", "\0\0\0\0hel", "lo"];
/// let source = stream::iter(chunks.map(|c| Ok::<_, std::io::Error>(Bytes::from(c))));
/// let (prelude, body) = split_prelude(source).await?;
/// assert_eq!(prelude.status(), 200);
/// let body: Vec<Bytes> = body.map(|c| c.unwrap()).collect().await;
/// assert_eq!(body.concat(), b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn split_prelude<S>(stream: S) -> SplitPrelude<S> {
    SplitPrelude::new(stream, PreludeDecoder::new())
}

/// The future returned by [`split_prelude`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct SplitPrelude<S> {
    stream: Option<S>,
    decoder: PreludeDecoder,
}

impl<S> SplitPrelude<S> {
    /// Splits `stream` with the configuration (limit, hop-by-hop policy) of `decoder`; only
    /// its configuration is used, decoding starts afresh.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::stream;
    /// use lambda_stream_prelude::{PreludeDecoder, SplitError, SplitPrelude};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let source = stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"{\"statusCode\":200}\0\0\0\0\0\0\0\0"))]);
    /// let e = SplitPrelude::new(source, PreludeDecoder::new().with_max_len(8)).await.unwrap_err();
    /// assert!(matches!(e, SplitError::Decode(_)));
    /// # });
    /// ```
    pub fn new(stream: S, decoder: PreludeDecoder) -> Self {
        SplitPrelude {
            stream: Some(stream),
            decoder: decoder.reset(),
        }
    }
}

impl<S, E> Future for SplitPrelude<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Output = Result<(MetadataPrelude, PreludeBody<S>), SplitError<E>>;

    /// # Panics
    ///
    /// When polled again after it completed, as futures may.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            #[allow(clippy::expect_used)]
            let stream = this
                .stream
                .as_mut()
                .expect("SplitPrelude polled after completion");
            let decoded = match ready!(Pin::new(stream).poll_next(cx)) {
                Some(Ok(chunk)) => this.decoder.decode(chunk).map_err(SplitError::Decode),
                Some(Err(e)) => Err(SplitError::Source(e)),
                None => match this.decoder.finish() {
                    Ok(()) => Ok(Decoded::NeedMore),
                    Err(e) => Err(SplitError::Decode(e)),
                },
            };
            let (prelude, first) = match decoded {
                Ok(Decoded::NeedMore) => continue,
                Ok(Decoded::Prelude { prelude, body }) => (prelude, body),
                // The decoder was fresh and this future returns as soon as the prelude is
                // decoded, so it never passes body chunks through.
                Ok(Decoded::Body(_)) => unreachable!("fresh decoder yields the prelude first"),
                Err(e) => {
                    this.stream = None;
                    return Poll::Ready(Err(e));
                }
            };
            #[allow(clippy::expect_used)]
            let stream = this.stream.take().expect("checked at the top of the loop");
            let first = (!first.is_empty()).then_some(first);
            return Poll::Ready(Ok((
                prelude,
                PreludeBody {
                    stream,
                    first,
                    done: false,
                },
            )));
        }
    }
}

pin_project! {
    /// The body after a prelude: the bytes that came with the delimiter, then the rest of
    /// the source. Fused: after the source ends or fails it yields `None` and is not polled
    /// again.
    ///
    /// ```
    /// use std::pin::Pin;
    /// use bytes::Bytes;
    /// use futures_util::{stream, StreamExt};
    /// use lambda_stream_prelude::{PreludeBody, split_prelude};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let chunks = ["{}\0\0\0\0\0\0\0\0he", "llo"].map(|c| Ok::<_, std::io::Error>(Bytes::from(c)));
    /// let (_, mut body): (_, PreludeBody<_>) = split_prelude(stream::iter(chunks)).await?;
    /// let _source = body.get_mut();
    /// let _pinned = Pin::new(&mut body).get_pin_mut();
    /// let body: Vec<Bytes> = body.map(|c| c.unwrap()).collect().await;
    /// assert_eq!(body.concat(), b"hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[must_use = "streams do nothing unless polled"]
    #[derive(Debug)]
    pub struct PreludeBody<S> {
        #[pin]
        stream: S,
        first: Option<Bytes>,
        done: bool,
    }
}

impl<S> PreludeBody<S> {
    /// The source stream.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The source stream.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// The pinned source stream.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut S> {
        self.project().stream
    }

    /// The source and the body bytes read with the prelude and not yet yielded.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::stream;
    /// use lambda_stream_prelude::split_prelude;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let source = stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"{}\0\0\0\0\0\0\0\0abc"))]);
    /// let (_, body) = split_prelude(source).await?;
    /// // The source's one chunk was read with the prelude.
    /// assert_eq!(futures_util::Stream::size_hint(body.get_ref()), (0, Some(0)));
    /// let (_source, pending) = body.into_inner_with_chunk();
    /// assert_eq!(pending.as_deref(), Some(&b"abc"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn into_inner_with_chunk(self) -> (S, Option<Bytes>) {
        (self.stream, self.first)
    }
}

impl<S, E> Stream for PreludeBody<S>
where
    S: Stream<Item = Result<Bytes, E>>,
{
    type Item = Result<Bytes, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        if let Some(first) = this.first.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        if *this.done {
            return Poll::Ready(None);
        }
        let item = ready!(this.stream.poll_next(cx));
        if !matches!(item, Some(Ok(_))) {
            *this.done = true;
        }
        Poll::Ready(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (
                usize::from(self.first.is_some()),
                Some(usize::from(self.first.is_some())),
            );
        }
        let extra = usize::from(self.first.is_some());
        let (lo, hi) = self.stream.size_hint();
        (
            lo.saturating_add(extra),
            hi.and_then(|h| h.checked_add(extra)),
        )
    }
}
