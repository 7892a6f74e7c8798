//! `ResumableBody`: an object body that picks up where a broken connection left it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::types::ChecksumMode;
use bytes::Bytes;
use futures_core::stream::{FusedStream, Stream};
use sync_wrapper::SyncWrapper;

use crate::BodyStream;
use crate::error::{BodyError, BodyErrorKind};

/// How a [`ResumableBody`] retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumePolicy {
    /// Resume attempts allowed over the whole body (each failed request counts too).
    pub max_attempts: u32,
    /// Wait before the first attempt; doubled after each, up to `max_backoff`.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for ResumePolicy {
    /// 5 attempts, waiting 50 ms, 100 ms, 200 ms, 400 ms, 800 ms (at most 2 s). Not part of
    /// the contract.
    fn default() -> Self {
        ResumePolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl ResumePolicy {
    /// No resuming: the first failure is final.
    pub fn disabled() -> Self {
        ResumePolicy {
            max_attempts: 0,
            ..ResumePolicy::default()
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// The object a resume must find again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectIdentity {
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) etag: String,
    /// Set for versioned buckets: resumes then read that very version.
    pub(crate) version_id: Option<String>,
    /// Object offset of the first byte of the body.
    pub(crate) first: u64,
    /// Object offset of the last byte of the body, inclusive.
    pub(crate) last: u64,
    pub(crate) checksum: bool,
}

type Request = SyncWrapper<
    Pin<Box<dyn Future<Output = Result<GetObjectOutput, SdkError<GetObjectError>>> + Send>>,
>;

enum State {
    Streaming(BodyStream),
    Waiting(Pin<Box<tokio::time::Sleep>>, BodyError),
    Requesting(Request, BodyError),
    Done,
}

/// An S3 object body that, when its connection breaks or it ends short, asks for the rest
/// (`Range: bytes=<next>-<last>`, pinned with `If-Match: <etag>`, and the version id in a
/// versioned bucket) and carries on, so the consumer sees one seamless body.
///
/// - It checks that each resume starts at the very next byte (`Content-Range`), so no
///   byte is repeated or skipped, and counts bytes against the range of the first answer.
/// - If the object was overwritten or deleted meanwhile, the `If-Match` fails and the body
///   ends with [`BodyErrorKind::ObjectChanged`]: two versions are never mixed.
/// - Attempts are bounded by [`ResumePolicy`], with exponential backoff; when they run out
///   it ends with [`BodyErrorKind::RetriesExhausted`], never with a clean end.
/// - A checksum mismatch is not resumed (every byte was delivered already, and a new
///   request cannot change the bytes sent), nor are errors a retry cannot fix.
///
/// It is `Send`, `Sync` and `Unpin`, and fused. Made by
/// [`ObjectResponse::into_resumable`](crate::ObjectResponse::into_resumable).
pub struct ResumableBody {
    client: Option<Client>,
    identity: Option<ObjectIdentity>,
    policy: ResumePolicy,
    delivered: u64,
    attempts: u32,
    state: State,
}

impl fmt::Debug for ResumableBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Streaming(_) => "streaming",
            State::Waiting(..) => "waiting",
            State::Requesting(..) => "requesting",
            State::Done => "done",
        };
        f.debug_struct("ResumableBody")
            .field("identity", &self.identity)
            .field("policy", &self.policy)
            .field("delivered", &self.delivered)
            .field("attempts", &self.attempts)
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl ResumableBody {
    pub(crate) fn new(
        client: Client,
        identity: ObjectIdentity,
        body: BodyStream,
        policy: ResumePolicy,
    ) -> Self {
        ResumableBody {
            client: Some(client),
            identity: Some(identity),
            policy,
            delivered: 0,
            attempts: 0,
            state: State::Streaming(body),
        }
    }

    /// A body that cannot resume (no object to find again: an empty body, or one without
    /// an ETag).
    pub(crate) fn finished(body: BodyStream) -> Self {
        ResumableBody {
            client: None,
            identity: None,
            policy: ResumePolicy::disabled(),
            delivered: 0,
            attempts: 0,
            state: State::Streaming(body),
        }
    }

    /// Bytes delivered so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Resume attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// What to do about `error`, the failure of the current body or request.
    /// Object offset of the next byte to deliver.
    fn next_offset(&self) -> u64 {
        self.identity.as_ref().map_or(0, |id| id.first) + self.delivered
    }

    fn after_failure(&mut self, error: BodyError) -> Option<BodyError> {
        let can_resume = self.identity.is_some() && error.is_transient();
        if !can_resume {
            return Some(error);
        }
        if self.attempts >= self.policy.max_attempts {
            if self.policy.max_attempts == 0 {
                return Some(error);
            }
            let kind = BodyErrorKind::RetriesExhausted {
                attempts: self.attempts,
                last: Box::new(error),
            };
            return Some(BodyError::new(kind, self.delivered));
        }
        self.attempts += 1;
        let wait = self.policy.backoff(self.attempts);
        self.state = State::Waiting(Box::pin(tokio::time::sleep(wait)), error);
        None
    }

    fn request(&self) -> Option<Request> {
        let (client, identity) = (self.client.clone()?, self.identity.as_ref()?);
        let mut get = client
            .get_object()
            .bucket(&identity.bucket)
            .key(&identity.key)
            .range(format!("bytes={}-{}", self.next_offset(), identity.last))
            .if_match(&identity.etag)
            .set_version_id(identity.version_id.clone());
        if identity.checksum {
            get = get.checksum_mode(ChecksumMode::Enabled);
        }
        Some(SyncWrapper::new(Box::pin(get.send())))
    }

    /// The answer to a resume request: the next body, or why not.
    fn on_response(
        &self,
        response: Result<GetObjectOutput, SdkError<GetObjectError>>,
        last: BodyError,
    ) -> Result<BodyStream, BodyError> {
        let delivered = self.delivered;
        let etag = self
            .identity
            .as_ref()
            .map(|i| i.etag.clone())
            .unwrap_or_default();
        match response {
            Ok(output) => {
                let range = output.content_range().map(str::to_owned);
                match range.as_deref().and_then(super::get::parse_content_range) {
                    Some((first, _, _)) if first == self.next_offset() => {
                        let length = output.content_length();
                        Ok(BodyStream::with_expected_len(output.body, length))
                    }
                    _ => {
                        let kind = BodyErrorKind::ResumeOffset {
                            asked: self.next_offset(),
                            content_range: range,
                        };
                        Err(BodyError::new(kind, delivered))
                    }
                }
            }
            Err(SdkError::ServiceError(ctx)) => {
                let status = ctx.raw().status().as_u16();
                let code = ctx.err().code().map(str::to_owned);
                match (status, code.as_deref()) {
                    (412, _)
                    | (_, Some("PreconditionFailed"))
                    | (_, Some("NoSuchKey"))
                    | (404, _) => Err(BodyError::new(
                        BodyErrorKind::ObjectChanged { etag },
                        delivered,
                    )),
                    (500..=599, _) => Err(last),
                    _ => {
                        let kind =
                            BodyErrorKind::ResumeRequest(Box::new(SdkError::ServiceError(ctx)));
                        Err(BodyError::new(kind, delivered))
                    }
                }
            }
            // Connection failures and timeouts: worth another attempt.
            Err(_) => Err(last),
        }
    }
}

impl Stream for ResumableBody {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            // Each arm puts the state back, or leaves `Done` and reports a failure.
            let failure = match std::mem::replace(&mut this.state, State::Done) {
                State::Done => return Poll::Ready(None),
                State::Streaming(mut body) => match Pin::new(&mut body).poll_next(cx) {
                    Poll::Pending => {
                        this.state = State::Streaming(body);
                        return Poll::Pending;
                    }
                    Poll::Ready(Some(Ok(chunk))) => {
                        this.delivered += chunk.len() as u64;
                        this.state = State::Streaming(body);
                        return Poll::Ready(Some(Ok(chunk)));
                    }
                    Poll::Ready(Some(Err(e))) => e.rebased(this.delivered),
                    Poll::Ready(None) => match &this.identity {
                        // Ended short of the range of the first answer.
                        Some(id) if id.first + this.delivered != id.last + 1 => {
                            let expected = id.last + 1 - id.first;
                            BodyError::new(BodyErrorKind::Truncated { expected }, this.delivered)
                        }
                        _ => return Poll::Ready(None),
                    },
                },
                State::Waiting(mut sleep, last) => match sleep.as_mut().poll(cx) {
                    Poll::Pending => {
                        this.state = State::Waiting(sleep, last);
                        return Poll::Pending;
                    }
                    Poll::Ready(()) => match this.request() {
                        Some(request) => {
                            this.state = State::Requesting(request, last);
                            continue;
                        }
                        None => last,
                    },
                },
                State::Requesting(mut request, last) => match request.get_mut().as_mut().poll(cx) {
                    Poll::Pending => {
                        this.state = State::Requesting(request, last);
                        return Poll::Pending;
                    }
                    Poll::Ready(response) => match this.on_response(response, last) {
                        Ok(body) => {
                            this.state = State::Streaming(body);
                            continue;
                        }
                        Err(e) => e,
                    },
                },
            };
            if let Some(error) = this.after_failure(failure) {
                return Poll::Ready(Some(Err(error)));
            }
        }
    }
}

impl FusedStream for ResumableBody {
    fn is_terminated(&self) -> bool {
        matches!(self.state, State::Done)
    }
}
