//! `ResponseBody`: a [`ResponseStream`] as an `http_body::Body`.

use std::error::Error as StdError;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::stream::{FusedStream, Stream, TryStream};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::error::StreamError;
use crate::response_stream::ResponseStream;

/// How a [`ResponseBody`] reports a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ErrorMode {
    /// A trailers frame with [`StreamError::trailers`], then the end: what the Lambda Runtime
    /// API expects after the last chunk of a failed streamed response (the default).
    #[default]
    Trailers,
    /// An `Err` from `poll_frame`. For consumers that drop trailers frames, such as
    /// `lambda_http`'s streaming adapter, which would otherwise end the body cleanly and
    /// lose the error.
    Error,
}

pin_project! {
    /// A [`ResponseStream`] as an `http_body::Body` (http-body 1): data frames, then on
    /// failure either a trailers frame or an error, as [`ErrorMode`] says. Fits hyper,
    /// `lambda_http` and anything built on http-body 1.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::stream;
    /// use http_body_util::BodyExt;
    /// use lambda_stream::{ErrorMode, ResponseBody, ResponseConfig, ResponseStream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let failing = stream::iter([Ok(Bytes::from("abc")), Err(std::io::Error::other("disk gone"))]);
    /// let body = ResponseBody::new(ResponseStream::raw(failing, &ResponseConfig::default()), ErrorMode::Trailers);
    /// let collected = body.collect().await?;
    /// let trailers = collected.trailers().cloned().unwrap();
    /// assert_eq!(trailers["lambda-runtime-function-error-type"], "Body.Failed");
    /// assert_eq!(collected.to_bytes(), "abc");
    /// # Ok::<(), lambda_stream::StreamError>(())
    /// # }).unwrap();
    /// ```
    #[must_use = "bodies do nothing unless polled"]
    pub struct ResponseBody<S>
    where
        S: TryStream,
        S::Ok: Into<Bytes>,
    {
        #[pin]
        stream: ResponseStream<S>,
        mode: ErrorMode,
    }
}

impl<S> ResponseBody<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
{
    /// Wraps `stream`, reporting its failure as `mode` says.
    pub fn new(stream: ResponseStream<S>, mode: ErrorMode) -> Self {
        ResponseBody { stream, mode }
    }

    /// The stream.
    pub fn get_ref(&self) -> &ResponseStream<S> {
        &self.stream
    }
}

impl<S> fmt::Debug for ResponseBody<S>
where
    S: TryStream + fmt::Debug,
    S::Ok: Into<Bytes>,
    S::Error: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("stream", &self.stream)
            .field("mode", &self.mode)
            .finish()
    }
}

impl<S> Body for ResponseBody<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
    S::Error: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    type Data = Bytes;
    type Error = StreamError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StreamError>>> {
        let this = self.project();
        // The stream is fused: after its error or its end it yields `None`.
        match ready!(this.stream.poll_next(cx)) {
            Some(Ok(data)) => Poll::Ready(Some(Ok(Frame::data(data)))),
            Some(Err(e)) => match this.mode {
                ErrorMode::Trailers => Poll::Ready(Some(Ok(Frame::trailers(e.trailers())))),
                ErrorMode::Error => Poll::Ready(Some(Err(e))),
            },
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.stream.is_terminated()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = SizeHint::new();
        if self.stream.is_terminated() {
            hint.set_exact(0);
        } else {
            hint.set_upper(self.stream.limit() - self.stream.stats().bytes_sent());
        }
        hint
    }
}
