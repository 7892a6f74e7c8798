//! `Rechunk`: frames within a size band from chunks of any size.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::stream::{FusedStream, Stream, TryStream};
use pin_project_lite::pin_project;

use crate::config::{FlushPolicy, RechunkConfig};
use crate::framer::Framer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the source.
    Streaming,
    /// The source ended or failed: send what is buffered, then the end or the error.
    Draining,
    /// Finished; the source is never polled again.
    Done,
}

pin_project! {
    /// Turns a stream of byte chunks of any size into frames of `min..=max` bytes.
    ///
    /// - A chunk already within the band, arriving with nothing buffered, passes through
    ///   untouched (the same `Bytes`, no copy).
    /// - A larger chunk is cut with `Bytes::split_to` (no copy). When a plain cut at `max` would
    ///   leave a tail shorter than `min`, the last two pieces are balanced so both stay in the
    ///   band (possible whenever `max >= 2 * min`); only otherwise is the short tail copied.
    /// - A smaller chunk arriving with nothing buffered is held as it is; only when another
    ///   one comes to join it are they copied into one reused buffer, until it holds `min`
    ///   bytes and goes out as one frame ([`bytes_copied`](Self::bytes_copied) counts these
    ///   bytes). A held chunk that is flushed goes out untouched.
    /// - A shorter frame is sent only as the last one, before an error, or when the
    ///   [`FlushPolicy`] says so; the default sends what is buffered as soon as the source
    ///   has nothing ready, so a first byte never waits for a full frame.
    ///
    /// No frame is empty. Bytes buffered before a source error come out before the error.
    /// After the end or an error the stream yields `None` and never polls the source again
    /// (it is fused).
    ///
    /// # Memory
    ///
    /// Besides the upstream chunk it is cutting (a reference, not a copy), a `Rechunk` holds
    /// at most `min - 1` copied bytes between polls and never more than `max` while building
    /// a frame, in one buffer of `b = min(2 * min, max)` bytes (a frame built by copying
    /// never needs more). Frames share that allocation until the consumer drops them; with a
    /// consumer that drops each frame before asking for the next, it is taken back and
    /// nothing new is allocated. When it cannot be, a fresh buffer takes the partial frame, so
    /// the heap it owns peaks at `2 * b` (at most `2 * max`) plus two allocation headers.
    /// `BytesMut::reserve`, which may double an allocation, is never used.
    ///
    /// # Example
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::{stream, StreamExt};
    /// use lambda_stream_chunk::{ChunkStreamExt, FlushPolicy, RechunkConfig};
    ///
    /// # futures_executor::block_on(async {
    /// let chunks = [3, 1, 4, 1, 5, 9, 2, 6].map(|n| Ok::<_, std::io::Error>(Bytes::from(vec![0u8; n])));
    /// let config = RechunkConfig::new(8, 10)?.flush(FlushPolicy::Never);
    /// let frames: Vec<usize> = stream::iter(chunks)
    ///     .rechunk(config)
    ///     .map(|frame| frame.unwrap().len())
    ///     .collect()
    ///     .await;
    /// // 3+1+4 | 1+5+4 of the 9 | the other 5 of the 9 +2+3 of the 6 | the last 3
    /// assert_eq!(frames, [8, 10, 10, 3]);
    /// # Ok::<(), lambda_stream_chunk::ConfigError>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Taking it apart
    ///
    /// ```
    /// use std::pin::Pin;
    /// use bytes::Bytes;
    /// use futures_util::{stream, StreamExt};
    /// use lambda_stream_chunk::{ChunkStreamExt, FlushPolicy, RechunkConfig};
    ///
    /// # futures_executor::block_on(async {
    /// let chunks = [Bytes::from(vec![1u8; 300]), Bytes::from(vec![2u8; 300]), Bytes::from(vec![3u8; 5])];
    /// let source = stream::iter(chunks.map(Ok::<_, std::io::Error>));
    /// let mut frames = source.rechunk(RechunkConfig::new(500, 1000)?.flush(FlushPolicy::Never));
    /// assert_eq!(frames.next().await.unwrap()?.len(), 600);
    /// assert_eq!(frames.bytes_copied(), 600, "two small chunks coalesced");
    /// assert_eq!(frames.buffered_len(), 0);
    /// assert_eq!(frames.config().min(), 500);
    /// assert_eq!(futures_util::Stream::size_hint(frames.get_ref()), (1, Some(1)));
    /// let _source = frames.get_mut();
    /// let _pinned = Pin::new(&mut frames).get_pin_mut();
    /// let (mut source, pending) = frames.into_inner_with_chunk();
    /// assert_eq!(pending, None);
    /// assert_eq!(source.next().await.unwrap()?.len(), 5);
    /// # let _ = stream::iter([Ok::<Bytes, std::io::Error>(Bytes::new())]).rechunk(RechunkConfig::default()).into_inner();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub struct Rechunk<S>
    where
        S: TryStream,
    {
        #[pin]
        stream: S,
        core: Framer,
        held_error: Option<S::Error>,
        state: State,
    }
}

impl<S: TryStream> Rechunk<S> {
    /// Rechunks `stream` with `config`.
    pub fn new(stream: S, config: RechunkConfig) -> Self {
        Rechunk {
            stream,
            core: Framer::new(config),
            held_error: None,
            state: State::Streaming,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RechunkConfig {
        &self.core.config
    }

    /// Bytes copied so far to coalesce small chunks (0 when every chunk was in or above the
    /// band).
    pub fn bytes_copied(&self) -> u64 {
        self.core.copied
    }

    /// Bytes held and not yet sent (copied bytes, or the rest of a chunk being cut).
    pub fn buffered_len(&self) -> usize {
        self.core.held.len() + self.core.buf.len() + self.core.carry.len()
    }

    /// The source.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The source. Taking items from it directly skips the bytes buffered here.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// The pinned source.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut S> {
        self.project().stream
    }

    /// The source; bytes buffered here are dropped. See
    /// [`into_inner_with_chunk`](Self::into_inner_with_chunk) to keep them.
    pub fn into_inner(self) -> S {
        self.stream
    }

    /// The source and the bytes buffered here, not yet sent, if any.
    pub fn into_inner_with_chunk(self) -> (S, Option<Bytes>) {
        // Between polls at most one of the three is non-empty (see `Framer::frame_from_carry`),
        // and it is handed back as it is; should there be more, they are joined in the
        // order they arrived.
        let Framer {
            held, buf, carry, ..
        } = self.core;
        let mut parts = [held, buf.freeze(), carry]
            .into_iter()
            .filter(|b| !b.is_empty());
        let chunk = match (parts.next(), parts.next()) {
            (None, _) => None,
            (Some(only), None) => Some(only),
            (Some(first), Some(second)) => {
                let mut joined = BytesMut::from(&first[..]);
                joined.extend_from_slice(&second);
                parts.for_each(|rest| joined.extend_from_slice(&rest));
                Some(joined.freeze())
            }
        };
        (self.stream, chunk)
    }
}

impl<S> fmt::Debug for Rechunk<S>
where
    S: TryStream + fmt::Debug,
    S::Error: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rechunk")
            .field("stream", &self.stream)
            .field("config", &self.core.config)
            .field("buffered", &self.buffered_len())
            .field("bytes_copied", &self.core.copied)
            .field("held_error", &self.held_error)
            .field("state", &self.state)
            .finish()
    }
}

impl<S> Rechunk<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
{
    /// Everything but the pass-through of an in-band chunk arriving with nothing buffered.
    #[inline(never)]
    fn poll_general(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, S::Error>>> {
        let mut this = self.project();
        loop {
            if !this.core.carry.is_empty() {
                if let Some(frame) = this.core.frame_from_carry() {
                    return Poll::Ready(Some(Ok(frame)));
                }
            }
            match *this.state {
                State::Streaming => {}
                State::Draining => {
                    if this.core.has_pending() {
                        return Poll::Ready(Some(Ok(this.core.take_buf())));
                    }
                    *this.state = State::Done;
                    return Poll::Ready(this.held_error.take().map(Err));
                }
                State::Done => return Poll::Ready(None),
            }
            if this.core.deadline_passed(cx) {
                return Poll::Ready(Some(Ok(this.core.take_buf())));
            }
            match this.stream.as_mut().try_poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    let chunk: Bytes = chunk.into();
                    if !this.core.has_pending() && this.core.in_band(chunk.len()) {
                        return Poll::Ready(Some(Ok(chunk)));
                    }
                    this.core.carry = chunk;
                }
                Poll::Ready(Some(Err(e))) => {
                    *this.held_error = Some(e);
                    *this.state = State::Draining;
                }
                Poll::Ready(None) => *this.state = State::Draining,
                Poll::Pending => {
                    let flush = match this.core.config.flush_policy() {
                        FlushPolicy::OnPending => this.core.has_pending(),
                        // Polling the timer here registers this task to be woken at the
                        // deadline.
                        _ => this.core.deadline_passed(cx),
                    };
                    if flush {
                        return Poll::Ready(Some(Ok(this.core.take_buf())));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

impl<S> Stream for Rechunk<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
{
    type Item = Result<Bytes, S::Error>;

    // A small inlined fast path for an in-band chunk arriving with nothing buffered;
    // everything else in `poll_general`.
    #[inline]
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.as_mut().project();
        if *this.state == State::Streaming && this.core.carry.is_empty() && !this.core.has_pending()
        {
            match this.stream.try_poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    let chunk: Bytes = chunk.into();
                    if this.core.in_band(chunk.len()) {
                        return Poll::Ready(Some(Ok(chunk)));
                    }
                    this.core.carry = chunk;
                }
                // Nothing is buffered, so no policy has anything to flush.
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => {
                    *this.held_error = Some(e);
                    *this.state = State::Draining;
                }
                Poll::Ready(None) => *this.state = State::Draining,
            }
        }
        self.poll_general(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // Frames do not map to upstream items, so only the bounds that are certain.
        match self.state {
            State::Done => (0, Some(0)),
            _ => (
                usize::from(self.buffered_len() > 0 || self.held_error.is_some()),
                None,
            ),
        }
    }
}

impl<S> FusedStream for Rechunk<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
{
    fn is_terminated(&self) -> bool {
        self.state == State::Done
    }
}
