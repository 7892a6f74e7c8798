//! `InvokeBody`: the payload events of an `InvokeWithResponseStream` as the body they
//! carry.

use std::error::Error as StdError;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use aws_sdk_lambda::types::InvokeWithResponseStreamResponseEvent as Event;
use base64::Engine as _;
use bytes::Bytes;
use futures_core::stream::{FusedStream, Stream};
use lambda_stream_prelude::{Decoded, PreludeDecoder, ReceivedPrelude};

use crate::error::{InvokeError, InvokeErrorKind};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The events of a response stream, from the SDK's receiver or anywhere else.
pub(crate) type Events = Pin<Box<dyn Stream<Item = Result<Event, BoxError>> + Send>>;

/// The body of a streamed invocation: the payload chunks, as they arrive and without a
/// copy, as a `Stream<Item = Result<Bytes, InvokeError>>`.
///
/// It ends cleanly only after an `InvokeComplete` without an error code. An
/// `InvokeComplete` with one ends it with [`InvokeErrorKind::Function`] (the function's error
/// type, details and log tail), after however many bytes came before; a stream that ends
/// without `InvokeComplete`, or fails, ends it with an error too. Fused: after its end or
/// its error it yields `None`. [`into_async_read`](Self::into_async_read) reads it as an
/// `AsyncRead`.
///
/// ```
/// use aws_sdk_lambda::primitives::Blob;
/// use aws_sdk_lambda::types::{InvokeResponseStreamUpdate, InvokeWithResponseStreamCompleteEvent};
/// use aws_sdk_lambda::types::InvokeWithResponseStreamResponseEvent as Event;
/// use futures_util::{stream, StreamExt};
/// use lambda_stream_invoke::{InvokeErrorKind, InvokeResponse};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// // Three bytes, then the function failed (the error trailers of a streamed response).
/// let events = stream::iter([
///     Ok::<_, std::io::Error>(Event::PayloadChunk(InvokeResponseStreamUpdate::builder().payload(Blob::new("abc")).build())),
///     Ok(Event::InvokeComplete(
///         InvokeWithResponseStreamCompleteEvent::builder().error_code("Body.Failed").error_details("disk gone").build(),
///     )),
/// ]);
/// let (prelude, mut body) = InvokeResponse::from_events(events, None).await?.into_parts();
/// assert!(prelude.is_none());
/// assert_eq!(body.next().await.unwrap()?, "abc");
/// assert_eq!(body.delivered(), 3);
/// let e = body.next().await.unwrap().unwrap_err();
/// assert!(matches!(e.kind(), InvokeErrorKind::Function { .. }));
/// assert_eq!(e.error_code(), Some("Body.Failed"));
/// assert_eq!(e.delivered(), 3);
/// assert!(body.next().await.is_none());
/// # Ok::<(), lambda_stream_invoke::InvokeError>(())
/// # }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct InvokeBody {
    events: Events,
    /// Body bytes that came in the same event as the end of the prelude.
    first: Option<Bytes>,
    delivered: u64,
    done: bool,
}

impl fmt::Debug for InvokeBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvokeBody")
            .field("delivered", &self.delivered)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// The `AsyncRead` of an [`InvokeBody`] (tokio-util's `StreamReader`; errors are
/// `std::io::Error`s carrying the [`InvokeError`]).
///
/// ```
/// use aws_sdk_lambda::primitives::Blob;
/// use aws_sdk_lambda::types::InvokeResponseStreamUpdate;
/// use aws_sdk_lambda::types::InvokeWithResponseStreamResponseEvent as Event;
/// use futures_util::stream;
/// use lambda_stream_invoke::{InvokeReader, InvokeResponse};
/// use tokio::io::AsyncReadExt;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// // The stream ends without `InvokeComplete`: read as an `AsyncRead`, an error, not an
/// // end of file.
/// let events = stream::iter([Ok::<_, std::io::Error>(Event::PayloadChunk(
///     InvokeResponseStreamUpdate::builder().payload(Blob::new("partial")).build(),
/// ))]);
/// let mut reader: InvokeReader = InvokeResponse::from_events(events, None).await?.into_body().into_async_read();
/// let mut text = String::new();
/// let e = reader.read_to_string(&mut text).await.unwrap_err();
/// assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
/// # Ok::<(), lambda_stream_invoke::InvokeError>(())
/// # }).unwrap();
/// ```
pub type InvokeReader = tokio_util::io::StreamReader<InvokeBody, Bytes>;

impl InvokeBody {
    fn new(events: Events, first: Option<Bytes>) -> Self {
        InvokeBody {
            events,
            first: first.filter(|b| !b.is_empty()),
            delivered: 0,
            done: false,
        }
    }

    /// Body bytes delivered so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// The body as an `AsyncRead` and `AsyncBufRead`.
    pub fn into_async_read(self) -> InvokeReader {
        tokio_util::io::StreamReader::new(self)
    }

    fn fail(&mut self, kind: InvokeErrorKind) -> Poll<Option<Result<Bytes, InvokeError>>> {
        self.done = true;
        Poll::Ready(Some(Err(InvokeError::new(kind, self.delivered))))
    }
}

/// What an `InvokeComplete` means: `None` for success, the error otherwise.
fn completion(
    event: &aws_sdk_lambda::types::InvokeWithResponseStreamCompleteEvent,
) -> Option<InvokeErrorKind> {
    let error_code = event.error_code().filter(|c| !c.is_empty())?;
    let log_tail = event.log_result().map(|log| {
        base64::engine::general_purpose::STANDARD
            .decode(log)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_else(|_| log.to_owned())
    });
    Some(InvokeErrorKind::Function {
        error_code: error_code.to_owned(),
        details: event.error_details().map(str::to_owned),
        log_tail,
    })
}

impl Stream for InvokeBody {
    type Item = Result<Bytes, InvokeError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if let Some(first) = this.first.take() {
            this.delivered += first.len() as u64;
            return Poll::Ready(Some(Ok(first)));
        }
        loop {
            match ready!(this.events.as_mut().poll_next(cx)) {
                None => return this.fail(InvokeErrorKind::Incomplete),
                Some(Err(e)) => return this.fail(InvokeErrorKind::Stream(e)),
                Some(Ok(Event::PayloadChunk(chunk))) => {
                    let Some(payload) = chunk.payload else {
                        continue;
                    };
                    let bytes = payload.into_bytes();
                    if bytes.is_empty() {
                        continue;
                    }
                    this.delivered += bytes.len() as u64;
                    return Poll::Ready(Some(Ok(bytes)));
                }
                Some(Ok(Event::InvokeComplete(complete))) => {
                    return match completion(&complete) {
                        Some(kind) => this.fail(kind),
                        None => {
                            this.done = true;
                            Poll::Ready(None)
                        }
                    };
                }
                Some(Ok(_)) => return this.fail(InvokeErrorKind::UnknownEvent),
            }
        }
    }
}

impl FusedStream for InvokeBody {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

/// Splits `events` into the prelude (when `http`) and the body: reads payload chunks until
/// the prelude's delimiter, holding at most the prelude's 16 KiB.
pub(crate) async fn split(
    mut events: Events,
    http: bool,
) -> Result<(Option<ReceivedPrelude>, InvokeBody), InvokeError> {
    if !http {
        return Ok((None, InvokeBody::new(events, None)));
    }
    let mut decoder = PreludeDecoder::new();
    let fail = |kind| Err(InvokeError::new(kind, 0));
    loop {
        let next = std::future::poll_fn(|cx| events.as_mut().poll_next(cx)).await;
        match next {
            None => return fail(InvokeErrorKind::Incomplete),
            Some(Err(e)) => return fail(InvokeErrorKind::Stream(e)),
            Some(Ok(Event::PayloadChunk(chunk))) => {
                let Some(payload) = chunk.payload else {
                    continue;
                };
                match decoder.decode(payload.into_bytes()) {
                    Ok(Decoded::NeedMore) => {}
                    Ok(Decoded::Prelude { prelude, body }) => {
                        return Ok((Some(prelude), InvokeBody::new(events, Some(body))));
                    }
                    // Only after the prelude, which returns above.
                    Ok(Decoded::Body(_)) => return fail(InvokeErrorKind::Incomplete),
                    Err(e) => return fail(InvokeErrorKind::Prelude(e)),
                }
            }
            Some(Ok(Event::InvokeComplete(complete))) => {
                return match completion(&complete) {
                    Some(kind) => fail(kind),
                    // A clean end before the prelude did: the stream is cut.
                    None => match decoder.finish() {
                        Err(e) => fail(InvokeErrorKind::Prelude(e)),
                        Ok(()) => fail(InvokeErrorKind::Incomplete),
                    },
                };
            }
            Some(Ok(_)) => return fail(InvokeErrorKind::UnknownEvent),
        }
    }
}
