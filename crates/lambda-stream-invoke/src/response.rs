//! `InvokeResponse` and `invoke`: an `InvokeWithResponseStream` answer, split into the
//! function's prelude and its body.

use std::error::Error as StdError;

use aws_sdk_lambda::operation::invoke_with_response_stream::InvokeWithResponseStreamOutput;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvokeWithResponseStreamResponseEvent;
use bytes::Bytes;
use futures_core::stream::Stream;
use lambda_stream_prelude::{CONTENT_TYPE, ReceivedPrelude};

use crate::body::{self, InvokeBody};
use crate::error::{InvokeError, InvokeErrorKind};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A streamed invocation's answer: the function's HTTP prelude, if it sent one, and its
/// body.
#[derive(Debug)]
pub struct InvokeResponse {
    prelude: Option<ReceivedPrelude>,
    body: InvokeBody,
    executed_version: Option<String>,
}

impl InvokeResponse {
    /// The prelude and body of an SDK answer.
    ///
    /// Reads the first payload chunks until the prelude's delimiter when the content type
    /// announces one.
    ///
    /// # Errors
    ///
    /// An [`InvokeError`] when the answer ends, fails or reports the function's failure
    /// before the prelude is complete, or does not start with one.
    ///
    /// ```no_run
    /// # async fn example(client: aws_sdk_lambda::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use lambda_stream_invoke::InvokeResponse;
    ///
    /// let output = client
    ///     .invoke_with_response_stream()
    ///     .function_name("my-function")
    ///     .payload(aws_sdk_lambda::primitives::Blob::new(r#"{"rawPath":"/"}"#))
    ///     .send()
    ///     .await?;
    /// let response = InvokeResponse::from_output(output).await?;
    /// println!("version {:?}, status {:?}", response.executed_version(), response.prelude().map(|p| p.status()));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn from_output(output: InvokeWithResponseStreamOutput) -> Result<Self, InvokeError> {
        let http = output.response_stream_content_type() == Some(CONTENT_TYPE);
        let executed_version = output.executed_version().map(str::to_owned);
        let receiver = output.event_stream;
        let events = futures_util::stream::unfold(receiver, |mut receiver| async move {
            match receiver.recv().await {
                Ok(Some(event)) => Some((Ok(event), receiver)),
                Ok(None) => None,
                Err(e) => Some((Err(BoxError::from(e)), receiver)),
            }
        });
        let (prelude, body) = body::split(Box::pin(events), http).await?;
        Ok(InvokeResponse {
            prelude,
            body,
            executed_version,
        })
    }

    /// The prelude and body of `events`, the events of an answer from anywhere (a test, a
    /// proxy), with `content_type` the answer's content type.
    ///
    /// ```
    /// use aws_sdk_lambda::primitives::Blob;
    /// use aws_sdk_lambda::types::{InvokeResponseStreamUpdate, InvokeWithResponseStreamCompleteEvent};
    /// use aws_sdk_lambda::types::InvokeWithResponseStreamResponseEvent as Event;
    /// use futures_util::{stream, TryStreamExt};
    /// use lambda_stream_invoke::InvokeResponse;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let chunk = |b: &'static [u8]| Ok::<_, std::io::Error>(Event::PayloadChunk(
    ///     InvokeResponseStreamUpdate::builder().payload(Blob::new(b)).build(),
    /// ));
    /// let events = stream::iter([
    ///     chunk(b"{\"statusCode\":200,\"headers\":{\"Content-Type\":\"text/plain\"}}\0\0\0\0"),
    ///     chunk(b"\0\0\0\0hello"),
    ///     Ok(Event::InvokeComplete(InvokeWithResponseStreamCompleteEvent::builder().build())),
    /// ]);
    /// let content_type = Some("application/vnd.awslambda.http-integration-response");
    /// let response = InvokeResponse::from_events(events, content_type).await?;
    /// assert_eq!(response.prelude().unwrap().get("content-type"), Some("text/plain"));
    /// let body: Vec<bytes::Bytes> = response.into_body().try_collect().await?;
    /// assert_eq!(body.concat(), b"hello");
    /// # Ok::<(), lambda_stream_invoke::InvokeError>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`from_output`](Self::from_output).
    pub async fn from_events<S, E>(
        events: S,
        content_type: Option<&str>,
    ) -> Result<Self, InvokeError>
    where
        S: Stream<Item = Result<InvokeWithResponseStreamResponseEvent, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let events = futures_util::StreamExt::map(events, |e| e.map_err(Into::into));
        let (prelude, body) =
            body::split(Box::pin(events), content_type == Some(CONTENT_TYPE)).await?;
        Ok(InvokeResponse {
            prelude,
            body,
            executed_version: None,
        })
    }

    /// The function's HTTP prelude (status, headers, cookies), if its answer had one. Read
    /// leniently: whatever the function sent.
    pub fn prelude(&self) -> Option<&ReceivedPrelude> {
        self.prelude.as_ref()
    }

    /// The version of the function that ran, when the SDK said.
    pub fn executed_version(&self) -> Option<&str> {
        self.executed_version.as_deref()
    }

    /// The body.
    pub fn into_body(self) -> InvokeBody {
        self.body
    }

    /// The prelude and the body.
    pub fn into_parts(self) -> (Option<ReceivedPrelude>, InvokeBody) {
        (self.prelude, self.body)
    }
}

/// Invokes `function` with `payload` through `InvokeWithResponseStream` and splits its
/// answer ([`InvokeResponse::from_output`]).
///
/// # Errors
///
/// An [`InvokeError`]: [`InvokeErrorKind::Stream`] when the request fails (the SDK's error
/// is the source), or as [`InvokeResponse::from_output`].
pub async fn invoke(
    client: &aws_sdk_lambda::Client,
    function: &str,
    payload: impl Into<Bytes>,
) -> Result<InvokeResponse, InvokeError> {
    let output = client
        .invoke_with_response_stream()
        .function_name(function)
        .payload(Blob::new(payload.into().to_vec()))
        .send()
        .await
        .map_err(|e| InvokeError::new(InvokeErrorKind::Stream(Box::new(e)), 0))?;
    InvokeResponse::from_output(output).await
}
