//! `Prefetch`: bounded read-ahead, counted in bytes.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::stream::{FusedStream, Stream, TryStream};
use pin_project_lite::pin_project;

/// Default read-ahead window of [`Prefetch`]: 64 KiB. Not part of the contract.
///
/// Several chunks as an HTTP client hands them out (8 to 16 KiB each), 32 ms of cover for a
/// source stall at Lambda's 2 MB/s streaming rate, on top of what the kernel's socket
/// buffers already absorb. Small enough that the window, its overshoot by one chunk and
/// the rechunk buffer fill within the smallest reference object (0.2 MB), so the memory of
/// a streamed response is flat in the object size.
pub const DEFAULT_WINDOW: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Streaming,
    /// The source ended or failed; the queue drains, then the end or the error follows.
    Ended,
    Done,
}

pin_project! {
    /// Reads ahead of its consumer, up to a window counted in bytes.
    ///
    /// Each time the consumer asks for a chunk, `Prefetch` first takes everything the source
    /// has ready, as long as fewer than `window` bytes are queued, then hands out the oldest
    /// chunk. The source thus drains its own buffers (a socket's, an HTTP client's) while the
    /// consumer is still working through earlier bytes, so that reading the source overlaps
    /// with writing to the client; when the window is full the source is not polled, and its
    /// backpressure reaches the sender.
    ///
    /// It runs inside the consumer's task: no task is spawned, nothing needs `Send` or
    /// `'static`, and dropping the `Prefetch` drops the source and the queued chunks at once.
    /// Chunks come out unchanged and in order (empty ones are skipped); a source error comes
    /// after every chunk before it, then the stream yields `None` and never polls the source
    /// again (it is fused).
    ///
    /// # Memory
    ///
    /// The source is polled only while fewer than `window` bytes are queued, so at most
    /// `window - 1 + c` bytes are queued, `c` being the source's largest chunk; the queue
    /// adds one 32-byte entry per queued chunk. With `window = 0` it reads nothing ahead.
    ///
    /// # Example
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::{stream, StreamExt};
    /// use lambda_stream_chunk::ChunkStreamExt;
    ///
    /// # futures_executor::block_on(async {
    /// let source = stream::iter((0..8).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![1u8; 100]))));
    /// let mut ahead = source.prefetch(250);
    /// let first = ahead.next().await.unwrap().unwrap();
    /// assert_eq!(first.len(), 100);
    /// // Three chunks were read (300 bytes, the last one crossing the window), one handed out.
    /// assert_eq!(ahead.queued_bytes(), 200);
    /// # });
    /// ```
    ///
    /// # Taking it apart
    ///
    /// ```
    /// use std::pin::Pin;
    /// use bytes::Bytes;
    /// use futures_util::{stream, StreamExt};
    /// use lambda_stream_chunk::ChunkStreamExt;
    ///
    /// # futures_executor::block_on(async {
    /// let source = stream::iter((0..4).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 100]))));
    /// let mut ahead = source.prefetch(250);
    /// assert_eq!(ahead.window(), 250);
    /// ahead.next().await.unwrap()?;
    /// assert_eq!(ahead.peak_queued_bytes(), 300);
    /// assert_eq!(futures_util::Stream::size_hint(ahead.get_ref()), (1, Some(1)));
    /// let _source = ahead.get_mut();
    /// let _pinned = Pin::new(&mut ahead).get_pin_mut();
    /// // Two chunks were read ahead: they come back with the source, not lost.
    /// let (source, queued) = ahead.into_inner_with_chunks();
    /// assert_eq!(queued.len(), 2);
    /// assert_eq!(source.count().await, 1);
    /// # let _ = stream::iter([Ok::<Bytes, std::io::Error>(Bytes::new())]).prefetch(1).into_inner();
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub struct Prefetch<S>
    where
        S: TryStream,
    {
        #[pin]
        stream: S,
        queue: VecDeque<Bytes>,
        queued: usize,
        peak: usize,
        window: usize,
        held_error: Option<S::Error>,
        state: State,
    }
}

impl<S: TryStream> Prefetch<S> {
    /// Reads ahead of the consumer of `stream` by at most `window` bytes.
    pub fn new(stream: S, window: usize) -> Self {
        Prefetch {
            stream,
            queue: VecDeque::new(),
            queued: 0,
            peak: 0,
            window,
            held_error: None,
            state: State::Streaming,
        }
    }

    /// The window, in bytes.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Bytes read from the source and not yet handed out.
    pub fn queued_bytes(&self) -> usize {
        self.queued
    }

    /// The most bytes that were queued at once.
    pub fn peak_queued_bytes(&self) -> usize {
        self.peak
    }

    /// The source.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The source. Taking items from it directly skips the queued chunks.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// The pinned source.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut S> {
        self.project().stream
    }

    /// The source; queued chunks are dropped. See
    /// [`into_inner_with_chunks`](Self::into_inner_with_chunks) to keep them.
    pub fn into_inner(self) -> S {
        self.stream
    }

    /// The source and the chunks read from it but not handed out, oldest first.
    pub fn into_inner_with_chunks(self) -> (S, VecDeque<Bytes>) {
        (self.stream, self.queue)
    }
}

impl<S> fmt::Debug for Prefetch<S>
where
    S: TryStream + fmt::Debug,
    S::Error: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prefetch")
            .field("stream", &self.stream)
            .field("window", &self.window)
            .field("queued_chunks", &self.queue.len())
            .field("queued_bytes", &self.queued)
            .field("held_error", &self.held_error)
            .field("state", &self.state)
            .finish()
    }
}

impl<S> Stream for Prefetch<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
{
    type Item = Result<Bytes, S::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        // Read ahead: everything ready, while the window has room (or, with nothing
        // queued, at least until one chunk is there for the consumer).
        while *this.state == State::Streaming
            && (*this.queued < *this.window || this.queue.is_empty())
        {
            match this.stream.as_mut().try_poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    let chunk: Bytes = chunk.into();
                    // Alone it fills the window, so the read-ahead would stop here and
                    // hand it out next: skip the queue.
                    if this.queue.is_empty() && !chunk.is_empty() && chunk.len() >= *this.window {
                        *this.peak = (*this.peak).max(chunk.len());
                        return Poll::Ready(Some(Ok(chunk)));
                    }
                    if !chunk.is_empty() {
                        *this.queued += chunk.len();
                        *this.peak = (*this.peak).max(*this.queued);
                        this.queue.push_back(chunk);
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    *this.held_error = Some(e);
                    *this.state = State::Ended;
                }
                Poll::Ready(None) => *this.state = State::Ended,
                Poll::Pending => break,
            }
        }
        if let Some(chunk) = this.queue.pop_front() {
            *this.queued -= chunk.len();
            return Poll::Ready(Some(Ok(chunk)));
        }
        match *this.state {
            State::Streaming => Poll::Pending,
            State::Ended => {
                *this.state = State::Done;
                Poll::Ready(this.held_error.take().map(Err))
            }
            State::Done => Poll::Ready(None),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let queued = self.queue.len() + usize::from(self.held_error.is_some());
        match self.state {
            // Upstream's lower bound may count empty chunks, which are skipped.
            State::Streaming => (
                queued,
                self.stream
                    .size_hint()
                    .1
                    .and_then(|h| h.checked_add(queued)),
            ),
            State::Ended | State::Done => (queued, Some(queued)),
        }
    }
}

impl<S> FusedStream for Prefetch<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
{
    fn is_terminated(&self) -> bool {
        self.state == State::Done
    }
}
