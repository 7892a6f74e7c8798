//! `ResponseBody` and [`response`]: a body and its metadata as an `http::Response`.

use std::error::Error as StdError;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::stream::TryStream;
use http_body::{Body, Frame};
use lambda_stream_prelude::MetadataPrelude;
use pin_project_lite::pin_project;

use crate::error::StreamError;

pin_project! {
    /// A body for a streamed response: a `TryStream` of bytes as an `http_body::Body`, its
    /// chunks as data frames, its first error as the body's [`StreamError`] (see its table
    /// of types), and nothing after that.
    ///
    /// It carries no prelude: the runtime writes one from the response's status and
    /// headers. Make the whole response with [`response`], and run it with
    /// `lambda-stream-runtime`, which frames the body, keeps it within the budget and sends
    /// its error as the Runtime API's error trailers.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::stream;
    /// use http_body_util::BodyExt;
    /// use lambda_stream::ResponseBody;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let failing = stream::iter([Ok(Bytes::from("abc")), Err(std::io::Error::other("disk gone"))]);
    /// let mut body = ResponseBody::new(failing);
    /// let first = body.frame().await.unwrap().unwrap();
    /// assert_eq!(first.into_data().unwrap(), "abc");
    /// let error = body.frame().await.unwrap().unwrap_err();
    /// assert_eq!(error.error_type(), "Body.Failed"); // a cause that names nothing
    /// assert_eq!(error.message(), "disk gone");
    /// assert!(body.frame().await.is_none(), "nothing after the error");
    /// # });
    /// ```
    ///
    /// The stream inside:
    ///
    /// ```
    /// use std::pin::Pin;
    /// use bytes::Bytes;
    /// use futures_util::stream;
    /// use lambda_stream::ResponseBody;
    ///
    /// let mut body = ResponseBody::new(stream::iter([Ok::<_, std::io::Error>(Bytes::from("abc"))]));
    /// assert_eq!(futures_util::Stream::size_hint(body.get_ref()), (1, Some(1)));
    /// let _stream = body.get_mut();
    /// let _pinned = Pin::new(&mut body).get_pin_mut();
    /// let _stream = body.into_inner();
    /// ```
    #[must_use = "bodies do nothing unless polled"]
    pub struct ResponseBody<S> {
        #[pin]
        stream: S,
        done: bool,
    }
}

impl<S> ResponseBody<S> {
    /// The body `stream` yields.
    pub fn new(stream: S) -> Self {
        ResponseBody {
            stream,
            done: false,
        }
    }

    /// The stream.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The stream.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// The stream, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut S> {
        self.project().stream
    }

    /// The stream.
    pub fn into_inner(self) -> S {
        self.stream
    }
}

impl<S: fmt::Debug> fmt::Debug for ResponseBody<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("stream", &self.stream)
            .field("done", &self.done)
            .finish()
    }
}

impl<S> Body for ResponseBody<S>
where
    S: TryStream,
    S::Ok: Into<Bytes>,
    S::Error: Into<Box<dyn StdError + Send + Sync + 'static>> + 'static,
{
    type Data = Bytes;
    type Error = StreamError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StreamError>>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        match ready!(this.stream.try_poll_next(cx)) {
            Some(Ok(data)) => Poll::Ready(Some(Ok(Frame::data(data.into())))),
            Some(Err(e)) => {
                *this.done = true;
                Poll::Ready(Some(Err(StreamError::from_body_error(e))))
            }
            None => {
                *this.done = true;
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

/// A streamed response: the status and headers of `prelude` (its cookies as `set-cookie`
/// headers), `body` as a [`ResponseBody`], and a [`HeaderCase`](crate::prelude::HeaderCase)
/// in the extensions, so that the runtime writes the header names in the spelling and
/// order given (an `http::HeaderMap` keeps them lowercase only).
///
/// What a handler returns to `lambda-stream-runtime`, which makes the prelude of the
/// response as it finds it, at the wire edge: a tower layer may still add, change or
/// remove headers, and those it left keep their spelling. A plain `http::Response` works
/// the same, with lowercase names. A [`ResponseConfig`](crate::ResponseConfig) in the
/// extensions sets this response's framing and budget.
///
/// ```
/// use bytes::Bytes;
/// use futures_util::stream;
/// use lambda_stream::MetadataPrelude;
/// use lambda_stream::prelude::HeaderCase;
///
/// let prelude = MetadataPrelude::builder()
///     .status(200)
///     .header("Content-Type", "text/plain")
///     .cookie("seen=1")
///     .build()?;
/// let body = stream::iter([Ok::<_, std::io::Error>(Bytes::from("hello"))]);
/// let response = lambda_stream::response(prelude.clone(), body);
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["content-type"], "text/plain");
/// assert_eq!(response.headers()["set-cookie"], "seen=1");
/// let case = response.extensions().get::<HeaderCase>().unwrap();
/// assert_eq!(case.names().collect::<Vec<_>>(), ["Content-Type"]);
/// // The prelude made of the response at the wire edge is the one given.
/// assert_eq!(MetadataPrelude::try_from(&response)?, prelude);
/// # Ok::<(), lambda_stream::PreludeError>(())
/// ```
pub fn response<S>(prelude: MetadataPrelude, body: S) -> http::Response<ResponseBody<S>> {
    prelude.into_response(ResponseBody::new(body))
}
