//! `ResponseStream`: prelude, delimiter and body frames of a streamed Lambda response.

use std::error::Error as StdError;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

#[cfg(feature = "s3")]
use aws_smithy_types::byte_stream::ByteStream;
use bytes::Bytes;
use futures_core::stream::{FusedStream, Stream, TryStream};
use lambda_stream_chunk::{ChunkStreamExt, Prefetch, ReadChunks, Rechunk};
use lambda_stream_prelude::{MetadataPrelude, PreludeError};
#[cfg(feature = "s3")]
use lambda_stream_s3::BodyStream;
use pin_project_lite::pin_project;
use tokio::io::AsyncRead;

use crate::config::ResponseConfig;
use crate::error::StreamError;
use crate::stats::StreamStats;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Streaming,
    Done,
}

pin_project! {
    /// A streamed Lambda response: the prelude JSON as one frame, the 8-byte delimiter as
    /// the next, then the body, as a `Stream<Item = Result<Bytes, StreamError>>`. The Rust
    /// counterpart of the Node.js runtime's `awslambda.HttpResponseStream.from(stream,
    /// metadata)` followed by `pipeline(body, stream)`.
    ///
    /// - The body goes through [`Prefetch`] (read-ahead within a byte window) and
    ///   [`Rechunk`] (frames within a size band, flushed when the source stalls), both set by
    ///   [`ResponseConfig`]; in-band chunks pass without a copy.
    /// - The prelude goes out even for an empty body. [`raw`](Self::raw) sends none, for
    ///   functions invoked through `InvokeWithResponseStream` that are not behind HTTP.
    /// - A budget ([`DEFAULT_MAX_RESPONSE_BYTES`](crate::DEFAULT_MAX_RESPONSE_BYTES) by
    ///   default) counts every byte, prelude included: the byte that would exceed it is
    ///   never sent; the stream sends the body bytes that fit (the prelude only whole),
    ///   then ends with a `Response.TooLarge` [`StreamError`] whose source is a
    ///   [`ResponseTooLarge`](crate::ResponseTooLarge) naming the limit.
    /// - The first error of the body ends the stream: it becomes a [`StreamError`] (see its
    ///   table of types; a `StreamError` passes unchanged), the source is not polled again,
    ///   and the stream yields `None` afterwards. No error and no truncation ever ends it
    ///   cleanly.
    /// - It is a `Stream` of frames, not an `http_body::Body`: its first frames are the
    ///   prelude, which an HTTP body must not carry. Hand a body to the Lambda runtime as
    ///   [`ResponseBody`](crate::ResponseBody) in an `http::Response` made by
    ///   [`response`](crate::response); `lambda-stream-runtime` frames it with this type.
    /// - [`stats`](Self::stats) counts bytes and times, readable while it streams.
    ///
    /// # Example
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::{stream, TryStreamExt};
    /// use lambda_stream::{MetadataPrelude, ResponseStream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let prelude = MetadataPrelude::builder().status(200).header("Content-Type", "text/plain").build()?;
    /// let body = stream::iter([Ok::<_, std::io::Error>(Bytes::from("hello"))]);
    /// let frames: Vec<Bytes> = ResponseStream::new(prelude, body)?.try_collect().await?;
    /// assert_eq!(frames.len(), 3);
    /// assert_eq!(&frames[0][..], br#"{"statusCode":200,"headers":{"Content-Type":"text/plain"},"cookies":[]}"#);
    /// assert_eq!(&frames[1][..], &[0u8; 8]);
    /// assert_eq!(frames[2], "hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub struct ResponseStream<S>
    where
        S: TryStream,
        S::Ok: Into<Bytes>,
    {
        #[pin]
        body: Rechunk<Prefetch<S>>,
        head: [Option<Bytes>; 2],
        prelude_len: usize,
        limit: u64,
        sent: u64,
        pending_error: Option<StreamError>,
        stats: StreamStats,
        state: State,
    }
}

impl<S> ResponseStream<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
    S::Error: Into<Box<dyn StdError + Send + Sync + 'static>> + 'static,
{
    /// A response with `prelude` and `body`, with the default [`ResponseConfig`].
    ///
    /// # Errors
    ///
    /// [`PreludeError::TooLarge`] if the prelude does not fit in 16 KiB; nothing has been
    /// sent then.
    pub fn new(prelude: MetadataPrelude, body: S) -> Result<Self, PreludeError> {
        ResponseStream::with_config(&prelude, body, &ResponseConfig::default())
    }

    /// A response with `prelude` and `body`, framed and bounded by `config`.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn with_config(
        prelude: &MetadataPrelude,
        body: S,
        config: &ResponseConfig,
    ) -> Result<Self, PreludeError> {
        let (json, delimiter) = prelude.frames(config.dialect())?.into_parts();
        Ok(ResponseStream::build(
            body,
            config,
            [Some(json), Some(delimiter)],
        ))
    }

    /// A response from `http::response::Parts` (status, headers, `set-cookie` as cookies)
    /// and `body`.
    ///
    /// # Errors
    ///
    /// The [`PreludeError`] of the first part that cannot be sent.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::{stream, StreamExt};
    /// use lambda_stream::{ResponseConfig, ResponseStream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (parts, ()) = http::Response::builder()
    ///     .status(201)
    ///     .header("set-cookie", "id=7")
    ///     .body(())?
    ///     .into_parts();
    /// let body = stream::iter([Ok::<_, std::io::Error>(Bytes::from("created"))]);
    /// let mut frames = ResponseStream::from_parts(&parts, body, &ResponseConfig::default())?;
    /// assert_eq!(frames.next().await.unwrap()?, r#"{"statusCode":201,"headers":{},"cookies":["id=7"]}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn from_parts(
        parts: &http::response::Parts,
        body: S,
        config: &ResponseConfig,
    ) -> Result<Self, PreludeError> {
        ResponseStream::with_config(&MetadataPrelude::try_from(parts)?, body, config)
    }

    /// A response without a prelude: only the body, framed and bounded as usual.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::{stream, StreamExt};
    /// use lambda_stream::{ResponseConfig, ResponseStream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let body = stream::iter([Ok::<_, std::io::Error>(Bytes::from("just the body"))]);
    /// let frames: Vec<_> = ResponseStream::raw(body, &ResponseConfig::default()).collect().await;
    /// assert_eq!(frames.len(), 1);
    /// # });
    /// ```
    pub fn raw(body: S, config: &ResponseConfig) -> Self {
        ResponseStream::build(body, config, [None, None])
    }

    fn build(body: S, config: &ResponseConfig, head: [Option<Bytes>; 2]) -> Self {
        let prelude_bytes: usize = head.iter().flatten().map(Bytes::len).sum();
        tracing::debug!(target: "lambda_stream", prelude_bytes, limit = config.max_bytes(), "response started");
        let body = body.prefetch(config.window()).rechunk(config.rechunk());
        ResponseStream {
            body,
            head,
            prelude_len: prelude_bytes,
            limit: config.max_bytes(),
            sent: 0,
            pending_error: None,
            stats: StreamStats::new(),
            state: State::Streaming,
        }
    }
}

impl<R: AsyncRead> ResponseStream<ReadChunks<R>> {
    /// A response whose body is read from `reader` (in frames of the configured maximum).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use lambda_stream::{MetadataPrelude, ResponseConfig, ResponseStream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// // A file, say: here bytes in memory, read as an `AsyncRead`.
    /// let file = &b"line one\nline two\n"[..];
    /// let prelude = MetadataPrelude::builder().header("Content-Type", "text/plain").build()?;
    /// let frames: Vec<_> = ResponseStream::from_reader(&prelude, file, &ResponseConfig::default())?
    ///     .skip(2)
    ///     .collect()
    ///     .await;
    /// assert_eq!(frames[0].as_ref().unwrap(), "line one\nline two\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn from_reader(
        prelude: &MetadataPrelude,
        reader: R,
        config: &ResponseConfig,
    ) -> Result<Self, PreludeError> {
        let frame = std::num::NonZeroUsize::new(config.rechunk().max())
            .unwrap_or(std::num::NonZeroUsize::MIN);
        ResponseStream::with_config(prelude, ReadChunks::new(reader, frame), config)
    }
}

#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
impl ResponseStream<BodyStream> {
    /// A response whose body is an S3 object body (`GetObjectOutput::body`).
    ///
    /// The SDK's body does not always announce its length; to have a short body end with an
    /// error rather than cleanly, give the response's `Content-Length` through
    /// [`BodyStream::with_expected_len`] and [`with_config`](Self::with_config) (or use
    /// `lambda_stream::objects::get_object`, which does).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// ```
    /// use aws_smithy_types::byte_stream::ByteStream;
    /// use futures_util::StreamExt;
    /// use lambda_stream::{MetadataPrelude, ResponseConfig, ResponseStream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let object = ByteStream::from_static(b"object bytes"); // `GetObjectOutput::body`
    /// let prelude = MetadataPrelude::builder().build()?;
    /// let stream = ResponseStream::from_byte_stream(&prelude, object, &ResponseConfig::default())?;
    /// let frames: Vec<_> = stream.skip(2).collect().await;
    /// assert_eq!(frames[0].as_ref().unwrap(), "object bytes");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn from_byte_stream(
        prelude: &MetadataPrelude,
        body: ByteStream,
        config: &ResponseConfig,
    ) -> Result<Self, PreludeError> {
        ResponseStream::with_config(prelude, BodyStream::new(body), config)
    }
}

impl<S> ResponseStream<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
{
    /// A handle on the counters of this response; clone it before handing the stream over.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::{stream, StreamExt};
    /// use lambda_stream::{MetadataPrelude, ResponseStream, StreamStats};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let chunks = (0..100).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 100])));
    /// let stream = ResponseStream::new(MetadataPrelude::builder().build()?, stream::iter(chunks))?;
    /// let stats: StreamStats = stream.stats().clone();
    /// assert_eq!(stream.limit(), 200 * 1024 * 1024);
    /// assert_eq!(stats.time_to_first_byte(), None);
    /// let frames: Vec<_> = stream.collect().await;
    /// assert_eq!(stats.body_bytes_sent(), 10_000);
    /// assert_eq!(stats.bytes_sent(), frames.iter().map(|f| f.as_ref().unwrap().len() as u64).sum::<u64>());
    /// assert!(stats.time_to_first_byte().is_some());
    /// assert!(stats.is_finished());
    /// assert!(stats.elapsed() >= stats.time_to_first_byte().unwrap());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }

    /// The bytes of the prelude and its delimiter, encoded once when the stream was made
    /// (0 for a [`raw`](Self::raw) stream): what the budget spends before the body.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::stream;
    /// use lambda_stream::{MetadataPrelude, ResponseConfig, ResponseStream};
    ///
    /// let body = stream::iter([Ok::<_, std::io::Error>(Bytes::from("x"))]);
    /// let stream = ResponseStream::new(MetadataPrelude::builder().status(204).build()?, body)?;
    /// assert_eq!(stream.prelude_len(), r#"{"statusCode":204,"headers":{},"cookies":[]}"#.len() + 8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn prelude_len(&self) -> usize {
        self.prelude_len
    }

    /// The budget in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Body bytes copied so far to coalesce small chunks into frames (0 when every chunk
    /// was in or above the frame band: the body then passed without a copy).
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::{stream, StreamExt};
    /// use lambda_stream::{MetadataPrelude, ResponseStream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// // 100 chunks of 100 bytes: coalesced into frames of at least 64 KiB, so copied.
    /// let small = (0..100).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 100])));
    /// let mut stream = ResponseStream::new(MetadataPrelude::builder().build()?, stream::iter(small))?;
    /// while stream.next().await.is_some() {}
    /// assert_eq!(stream.bytes_copied(), 10_000);
    /// // Chunks already within the frame band pass without a copy.
    /// let big = (0..4).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 100_000])));
    /// let mut stream = ResponseStream::new(MetadataPrelude::builder().build()?, stream::iter(big))?;
    /// while stream.next().await.is_some() {}
    /// assert_eq!(stream.bytes_copied(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn bytes_copied(&self) -> u64 {
        self.body.bytes_copied()
    }
}

impl<S> fmt::Debug for ResponseStream<S>
where
    S: TryStream + fmt::Debug,
    S::Ok: Into<Bytes>,
    S::Error: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseStream")
            .field("body", &self.body)
            .field("limit", &self.limit)
            .field("sent", &self.sent)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<S> Stream for ResponseStream<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
    S::Error: Into<Box<dyn StdError + Send + Sync + 'static>> + 'static,
{
    type Item = Result<Bytes, StreamError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        if *this.state == State::Done {
            return Poll::Ready(None);
        }
        let (frame, body) = match this.head.iter_mut().find_map(Option::take) {
            Some(frame) => (frame, false),
            None => {
                if let Some(e) = this.pending_error.take() {
                    *this.state = State::Done;
                    this.stats.finish(Some(&e));
                    return Poll::Ready(Some(Err(e)));
                }
                match this.body.poll_next(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Ok(frame))) => (frame, true),
                    Poll::Ready(Some(Err(e))) => {
                        *this.state = State::Done;
                        let e = StreamError::from_body_error(e);
                        this.stats.finish(Some(&e));
                        return Poll::Ready(Some(Err(e)));
                    }
                    Poll::Ready(None) => {
                        *this.state = State::Done;
                        this.stats.finish(None);
                        return Poll::Ready(None);
                    }
                }
            }
        };
        // The budget: send what fits, then the error, never a byte past the limit.
        let room = *this.limit - *this.sent;
        let mut frame = frame;
        if frame.len() as u64 > room {
            let e = StreamError::too_large(*this.limit);
            // A cut prelude would be garbage on the wire: all of it or none.
            if room == 0 || !body {
                *this.state = State::Done;
                this.stats.finish(Some(&e));
                return Poll::Ready(Some(Err(e)));
            }
            // `room` is below `frame.len()`, a `usize`.
            frame.truncate(room as usize);
            *this.pending_error = Some(e);
        }
        *this.sent += frame.len() as u64;
        this.stats.add(frame.len(), body);
        Poll::Ready(Some(Ok(frame)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.state {
            State::Done => (0, Some(0)),
            State::Streaming => (self.head.iter().flatten().count(), None),
        }
    }
}

impl<S> FusedStream for ResponseStream<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
    S::Error: Into<Box<dyn StdError + Send + Sync + 'static>> + 'static,
{
    fn is_terminated(&self) -> bool {
        self.state == State::Done
    }
}
