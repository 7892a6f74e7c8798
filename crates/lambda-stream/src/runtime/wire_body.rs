//! `WireBody`: what `run_http` posts to the Runtime API.

use std::error::Error as StdError;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::error::StreamError;

pin_project! {
    /// The prelude frames, then the handler's body; a failure of the body, or its own
    /// trailers, become the trailers of the request.
    pub(crate) struct WireBody<B> {
        head: [Option<Bytes>; 2],
        #[pin]
        inner: B,
        done: bool,
    }
}

impl<B> WireBody<B> {
    pub(crate) fn new(json: Bytes, delimiter: Bytes, inner: B) -> Self {
        WireBody {
            head: [Some(json), Some(delimiter)],
            inner,
            done: false,
        }
    }
}

impl<B> Body for WireBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.project();
        if let Some(frame) = this.head.iter_mut().find_map(Option::take) {
            return Poll::Ready(Some(Ok(Frame::data(frame))));
        }
        if *this.done {
            return Poll::Ready(None);
        }
        match ready!(this.inner.poll_frame(cx)) {
            Some(Ok(frame)) => {
                if frame.is_trailers() {
                    *this.done = true;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(e)) => {
                *this.done = true;
                let e = match e.into().downcast::<StreamError>() {
                    Ok(e) => *e,
                    Err(other) => StreamError::from_source(other),
                };
                Poll::Ready(Some(Ok(Frame::trailers(e.trailers()))))
            }
            None => {
                *this.done = true;
                Poll::Ready(None)
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        // A chunked request: nothing certain.
        SizeHint::new()
    }
}
