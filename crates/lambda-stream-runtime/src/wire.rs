//! The bodies of the requests the runtime sends, and the handler's body on its way there.

use std::any::Any;
use std::convert::Infallible;
use std::error::Error as StdError;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::TryStream;
use futures_util::stream::{FusedStream, Stream};
use http_body::{Body, Frame, SizeHint};
use lambda_stream::{ResponseStream, StreamError};
use pin_project_lite::pin_project;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::shutdown::SHUTDOWN_ERROR;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The message of a caught panic.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "(a panic without a message)"
    }
}

pin_project! {
    /// A handler's `http_body::Body` as a stream of its data, for `ResponseStream`: empty
    /// data frames are skipped; an error, a panic while polling, or trailers that carry a
    /// `Lambda-Runtime-Function-Error-Type` end it with a [`StreamError`]; other trailers
    /// are dropped (the Runtime API reads no others). Fused.
    pub(crate) struct BodyChunks<B> {
        #[pin]
        body: B,
        done: bool,
    }
}

impl<B> BodyChunks<B> {
    pub(crate) fn new(body: B) -> Self {
        BodyChunks { body, done: false }
    }
}

impl<B> Stream for BodyChunks<B>
where
    B: Body,
    B::Data: Into<Bytes>,
    B::Error: Into<BoxError> + 'static,
{
    type Item = Result<Bytes, StreamError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            if *this.done {
                return Poll::Ready(None);
            }
            let body = this.body.as_mut();
            // A panic leaves the body in an unknown state: it is never polled again.
            let polled = catch_unwind(AssertUnwindSafe(|| body.poll_frame(cx)));
            let frame = match polled {
                Err(panic) => {
                    *this.done = true;
                    let message = format!(
                        "the response body panicked: {}",
                        panic_message(panic.as_ref())
                    );
                    tracing::error!(target: "lambda_stream_runtime", %message);
                    return Poll::Ready(Some(Err(StreamError::new("Runtime.Panic", message))));
                }
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(None)) => {
                    *this.done = true;
                    return Poll::Ready(None);
                }
                Ok(Poll::Ready(Some(Err(e)))) => {
                    *this.done = true;
                    return Poll::Ready(Some(Err(StreamError::from_body_error(e))));
                }
                Ok(Poll::Ready(Some(Ok(frame)))) => frame,
            };
            match frame.into_data() {
                Ok(data) => {
                    let data: Bytes = data.into();
                    if !data.is_empty() {
                        return Poll::Ready(Some(Ok(data)));
                    }
                }
                Err(frame) => {
                    let Ok(trailers) = frame.into_trailers() else {
                        continue;
                    };
                    // The body's own failure: its type, message and trace passed on.
                    if let Some(e) = StreamError::from_trailers(&trailers) {
                        *this.done = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                    tracing::debug!(target: "lambda_stream_runtime", trailers = trailers.len(), "trailers of the response body dropped: the Runtime API reads only its error trailers");
                }
            }
        }
    }
}

impl<B> FusedStream for BodyChunks<B>
where
    B: Body,
    B::Data: Into<Bytes>,
    B::Error: Into<BoxError> + 'static,
{
    fn is_terminated(&self) -> bool {
        self.done
    }
}

/// A streamed response on its way to the Runtime API, whatever the handler's body type:
/// boxed at the edge, so the Runtime API client is not generic over it.
pub(crate) type BoxWire = Pin<Box<dyn Body<Data = Bytes, Error = Infallible>>>;

/// What the runtime posts: nothing (`GET .../next`), a whole body (`.../error`), or a
/// streamed response.
pub(crate) enum ApiBody {
    Empty,
    Full(Option<Bytes>),
    Stream(BoxWire),
}

pin_project! {
    /// The streamed response on the wire: the frames of a [`ResponseStream`] as data, and
    /// its error, if it fails, as the trailers of the request. Never an error itself: hyper
    /// would abort the request, and the Runtime API would not learn why.
    pub(crate) struct WireBody<S>
    where
        S: TryStream,
        S::Ok: Into<Bytes>,
    {
        #[pin]
        stream: ResponseStream<S>,
        trailers_sent: bool,
        request_id: Box<str>,
    }
}

impl<S> WireBody<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
{
    pub(crate) fn new(stream: ResponseStream<S>, request_id: &str) -> Self {
        WireBody {
            stream,
            trailers_sent: false,
            request_id: request_id.into(),
        }
    }
}

impl<S> Body for WireBody<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
    S::Error: Into<BoxError> + 'static,
{
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.project();
        if *this.trailers_sent {
            return Poll::Ready(None);
        }
        match this.stream.poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(data))) => Poll::Ready(Some(Ok(Frame::data(data)))),
            Poll::Ready(Some(Err(e))) => {
                *this.trailers_sent = true;
                Poll::Ready(Some(Ok(failed(this.request_id, &e))))
            }
            Poll::Ready(None) => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.trailers_sent || self.stream.is_terminated()
    }
}

/// The trailers that end a response which failed after it started with `e`; the failure is
/// logged, with its causes.
fn failed(request_id: &str, e: &StreamError) -> Frame<Bytes> {
    let mut message = e.message().to_owned();
    for cause in e.trace() {
        message.push_str(": ");
        message.push_str(cause);
    }
    crate::failure::log(
        Some(request_id),
        "the response failed after it started",
        e.error_type(),
        &message,
    );
    Frame::trailers(e.trailers())
}

pin_project! {
    /// A response that the runtime's shutdown may cut: once its token is cancelled, it
    /// ends with the error trailers of a `Runtime.Shutdown` (unless it has ended already).
    pub(crate) struct Cut {
        inner: BoxWire,
        #[pin]
        cut: WaitForCancellationFutureOwned,
        done: bool,
        request_id: Box<str>,
    }
}

impl Cut {
    pub(crate) fn new(inner: BoxWire, token: CancellationToken, request_id: &str) -> Self {
        Cut {
            inner,
            cut: token.cancelled_owned(),
            done: false,
            request_id: request_id.into(),
        }
    }
}

impl Body for Cut {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        if this.cut.poll(cx).is_ready() {
            *this.done = true;
            let e = StreamError::new(
                SHUTDOWN_ERROR,
                "the function shut down before the response ended",
            );
            return Poll::Ready(Some(Ok(failed(this.request_id, &e))));
        }
        let polled = this.inner.as_mut().poll_frame(cx);
        match &polled {
            Poll::Ready(None) => *this.done = true,
            Poll::Ready(Some(Ok(frame))) if frame.is_trailers() => *this.done = true,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Body for ApiBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        // `ApiBody` is `Unpin`: the streamed body is pinned in its box.
        match self.get_mut() {
            ApiBody::Empty => Poll::Ready(None),
            ApiBody::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            ApiBody::Stream(wire) => wire.as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ApiBody::Empty => true,
            ApiBody::Full(data) => data.is_none(),
            ApiBody::Stream(wire) => wire.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ApiBody::Empty => SizeHint::with_exact(0),
            ApiBody::Full(data) => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            // Chunked.
            ApiBody::Stream(_) => SizeHint::new(),
        }
    }
}
