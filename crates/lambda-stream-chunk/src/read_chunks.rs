//! `ReadChunks`: an `AsyncRead` as a stream of frames of a target size.

use std::io;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use futures_core::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;
use tokio::io::AsyncRead;

/// Default frame size of [`ReadChunks`]: 64 KiB. Not part of the contract.
///
/// `tokio_util::io::ReaderStream` reads 4 KiB at a time by default, which caps throughput
/// with per-frame costs; 64 KiB matches what socket and file reads return in one call.
///
/// ```
/// use lambda_stream_chunk::{DEFAULT_READ_FRAME, ReadChunks};
///
/// assert_eq!(ReadChunks::with_default_size(&b""[..]).frame_size(), DEFAULT_READ_FRAME);
/// ```
pub const DEFAULT_READ_FRAME: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    Ended,
    Done,
}

pin_project! {
    /// Reads an [`AsyncRead`] into frames of up to `frame_size` bytes.
    ///
    /// Reads go into one reused `BytesMut` without zero-filling it first
    /// (`tokio_util::io::poll_read_buf`), and each frame is handed out with
    /// `split().freeze()`, without a copy. A frame is sent when it reaches `frame_size`, when
    /// the reader returns `Pending` with bytes already read (so a slow reader does not delay
    /// them), and at the end. No frame is empty. Bytes read before an error come out before
    /// the error; after the end or an error the stream yields `None` and never polls the
    /// reader again (it is fused).
    ///
    /// # Memory
    ///
    /// At most `frame_size` bytes are read ahead, into one buffer of `frame_size` bytes that
    /// is taken back once the consumer drops the frames cut from it; otherwise a fresh one
    /// is allocated, so the heap it owns peaks at `2 * frame_size` plus allocation headers.
    ///
    /// # Example
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use futures_util::StreamExt;
    /// use lambda_stream_chunk::ReadChunks;
    ///
    /// # futures_executor::block_on(async {
    /// let reader: &[u8] = &[7u8; 10];
    /// let frames: Vec<usize> = ReadChunks::new(reader, NonZeroUsize::new(4).unwrap())
    ///     .map(|frame| frame.unwrap().len())
    ///     .collect()
    ///     .await;
    /// assert_eq!(frames, [4, 4, 2]);
    /// # });
    /// ```
    ///
    /// # Taking it apart
    ///
    /// ```
    /// use std::pin::Pin;
    /// use futures_util::StreamExt;
    /// use lambda_stream_chunk::{DEFAULT_READ_FRAME, ReadChunks};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut frames = ReadChunks::with_default_size(&b"abc"[..]);
    /// assert_eq!(frames.frame_size(), DEFAULT_READ_FRAME);
    /// assert_eq!(frames.get_ref().len(), 3);
    /// let _reader = frames.get_mut();
    /// let _pinned = Pin::new(&mut frames).get_pin_mut();
    /// let (reader, pending) = frames.into_inner_with_chunk();
    /// assert_eq!((reader, pending), (&b"abc"[..], None));
    /// # let _ = ReadChunks::with_default_size(&b""[..]).into_inner();
    /// # });
    /// ```
    #[must_use = "streams do nothing unless polled"]
    #[derive(Debug)]
    pub struct ReadChunks<R> {
        #[pin]
        reader: R,
        buf: BytesMut,
        frame_size: usize,
        held_error: Option<io::Error>,
        state: State,
    }
}

impl<R: AsyncRead> ReadChunks<R> {
    /// Frames of up to `frame_size` bytes from `reader`.
    pub fn new(reader: R, frame_size: NonZeroUsize) -> Self {
        ReadChunks {
            reader,
            buf: BytesMut::new(),
            frame_size: frame_size.get(),
            held_error: None,
            state: State::Reading,
        }
    }

    /// Frames of [`DEFAULT_READ_FRAME`] bytes.
    pub fn with_default_size(reader: R) -> Self {
        let mut chunks = ReadChunks::new(reader, NonZeroUsize::MIN);
        chunks.frame_size = DEFAULT_READ_FRAME;
        chunks
    }

    /// The frame size.
    pub fn frame_size(&self) -> usize {
        self.frame_size
    }

    /// The reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The reader. Reading from it directly skips the bytes buffered here.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The pinned reader.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().reader
    }

    /// The reader; buffered bytes are dropped. See
    /// [`into_inner_with_chunk`](Self::into_inner_with_chunk) to keep them.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// The reader and the bytes read from it but not yet handed out, if any.
    pub fn into_inner_with_chunk(mut self) -> (R, Option<Bytes>) {
        let chunk = (!self.buf.is_empty()).then(|| self.buf.split().freeze());
        (self.reader, chunk)
    }
}

impl<R: AsyncRead> Stream for ReadChunks<R> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            match *this.state {
                State::Reading => {}
                State::Ended => {
                    if !this.buf.is_empty() {
                        return Poll::Ready(Some(Ok(this.buf.split().freeze())));
                    }
                    *this.state = State::Done;
                    return Poll::Ready(this.held_error.take().map(Err));
                }
                State::Done => return Poll::Ready(None),
            }
            let room = *this.frame_size - this.buf.len();
            if this.buf.capacity() - this.buf.len() < room {
                crate::buffer::make_room(this.buf, *this.frame_size);
            }
            let mut limited = (&mut *this.buf).limit(room);
            match tokio_util::io::poll_read_buf(this.reader.as_mut(), cx, &mut limited) {
                Poll::Ready(Ok(0)) => *this.state = State::Ended,
                Poll::Ready(Ok(_)) => {
                    if this.buf.len() >= *this.frame_size {
                        return Poll::Ready(Some(Ok(this.buf.split().freeze())));
                    }
                }
                Poll::Ready(Err(e)) => {
                    *this.held_error = Some(e);
                    *this.state = State::Ended;
                }
                Poll::Pending if this.buf.is_empty() => return Poll::Pending,
                Poll::Pending => return Poll::Ready(Some(Ok(this.buf.split().freeze()))),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.state {
            State::Done => (0, Some(0)),
            _ => (
                usize::from(!self.buf.is_empty() || self.held_error.is_some()),
                None,
            ),
        }
    }
}

impl<R: AsyncRead> FusedStream for ReadChunks<R> {
    fn is_terminated(&self) -> bool {
        self.state == State::Done
    }
}
