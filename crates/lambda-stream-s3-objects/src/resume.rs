//! `ResumableBody`: an object body that picks up where a broken connection left it, and
//! never from another object.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::types::ChecksumMode;
use aws_smithy_types::error::display::DisplayErrorContext;
use bytes::Bytes;
use futures_core::stream::{FusedStream, Stream};
use sync_wrapper::SyncWrapper;

use crate::answer;
use crate::error::{Failure, classify};
use crate::identity::ObjectIdentity;
use crate::range::ByteRange;
use lambda_stream_s3::BodyStream;
use lambda_stream_s3::{BodyError, BodyErrorKind};

/// How a [`ResumableBody`] retries.
///
/// ```
/// use std::time::Duration;
/// use lambda_stream_s3_objects::ResumePolicy;
///
/// let patient = ResumePolicy {
///     max_attempts: 10,
///     initial_backoff: Duration::from_millis(100),
///     max_backoff: Duration::from_secs(5),
/// };
/// assert_eq!(ResumePolicy::default().max_attempts, 5);
/// assert_eq!(ResumePolicy::disabled().max_attempts, 0);
/// # let _ = patient;
/// ```
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

type Request = SyncWrapper<
    Pin<Box<dyn Future<Output = Result<GetObjectOutput, SdkError<GetObjectError>>> + Send>>,
>;

enum State {
    Streaming(BodyStream),
    Waiting(Pin<Box<tokio::time::Sleep>>, BodyError),
    Requesting(Request, BodyError),
    Done,
}

/// What it takes to resume: the object to find again, how, and how often so far.
struct Resume {
    client: Client,
    identity: ObjectIdentity,
    policy: ResumePolicy,
    attempts: u32,
}

/// An S3 object body that, when its connection breaks or it ends short, asks for the rest
/// (`Range: bytes=<next>-<last>`, pinned with `If-Match: <etag>`, and the version id in a
/// versioned bucket) and carries on, so the consumer sees one seamless body.
///
/// - Every resumed response is held to the first one's identity, whatever the server did
///   with `If-Match` (some S3-compatible servers ignore it): the same ETag, the same total
///   size in `Content-Range`, the same Last-Modified and version id where there were
///   ones, and bytes from the very next offset. Anything else ends the body with
///   [`BodyErrorKind::ObjectChanged`] (or `ResumeOffset`): two versions are never mixed.
/// - Attempts are bounded by [`ResumePolicy`], with exponential backoff; when they run out
///   it ends with [`BodyErrorKind::RetriesExhausted`], never with a clean end.
/// - A checksum mismatch is not resumed (every byte was delivered already, and a new
///   request cannot change the bytes sent), nor are errors a retry cannot fix.
/// - Each resume is logged (`tracing`, target `lambda_stream_s3`, at info), and so is a
///   failure that ends the body (at warn).
///
/// It is `Send`, `Sync` and `Unpin`, and fused. Made by
/// [`ObjectResponse::into_resumable`](crate::ObjectResponse::into_resumable):
///
/// ```no_run
/// # async fn example(client: aws_sdk_s3::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::TryStreamExt;
/// use lambda_stream_s3_objects::{MetadataOptions, ObjectRequest, ResumePolicy, get_object};
///
/// let request = ObjectRequest::new("my-bucket", "videos/clip.mp4");
/// let answer = get_object(&client, &request, &MetadataOptions::default()).await?;
/// let (parts, mut body) = answer.into_resumable(client, ResumePolicy::default());
/// let mut received = 0;
/// while let Some(chunk) = body.try_next().await? {
///     received += chunk.len();
/// }
/// assert_eq!(body.delivered(), received as u64);
/// println!("{}: {received} bytes after {} resumes", parts.status, body.attempts());
/// # Ok(())
/// # }
/// ```
pub struct ResumableBody {
    resume: Option<Resume>,
    delivered: u64,
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
            .field("identity", &self.resume.as_ref().map(|r| &r.identity))
            .field("policy", &self.resume.as_ref().map(|r| r.policy))
            .field("delivered", &self.delivered)
            .field("attempts", &self.attempts())
            .field("state", &state)
            .finish()
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
            resume: Some(Resume {
                client,
                identity,
                policy,
                attempts: 0,
            }),
            delivered: 0,
            state: State::Streaming(body),
        }
    }

    /// A body that cannot resume (no object to find again: an empty body, or one without
    /// an ETag).
    pub(crate) fn finished(body: BodyStream) -> Self {
        ResumableBody {
            resume: None,
            delivered: 0,
            state: State::Streaming(body),
        }
    }

    /// Bytes delivered so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Resume attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.resume.as_ref().map_or(0, |r| r.attempts)
    }

    /// What to do about `error`, the failure of the current body or request: wait and
    /// resume (`None`), or end with the returned error.
    fn after_failure(&mut self, error: BodyError) -> Option<BodyError> {
        let delivered = self.delivered;
        let Some(resume) = self.resume.as_mut().filter(|_| error.is_transient()) else {
            return Some(logged(error, self.resume.as_ref()));
        };
        if resume.attempts >= resume.policy.max_attempts {
            if resume.policy.max_attempts == 0 {
                return Some(logged(error, Some(resume)));
            }
            let kind = BodyErrorKind::RetriesExhausted {
                attempts: resume.attempts,
                last: Box::new(error),
            };
            return Some(logged(BodyError::new(kind, delivered), Some(resume)));
        }
        resume.attempts += 1;
        let wait = resume.policy.backoff(resume.attempts);
        let id = &resume.identity;
        tracing::info!(
            target: "lambda_stream_s3",
            bucket = %id.bucket,
            key = %id.key,
            offset = id.first + delivered,
            attempt = resume.attempts,
            wait_ms = wait.as_millis() as u64,
            error = %DisplayErrorContext(&error),
            "resuming the S3 object body"
        );
        self.state = State::Waiting(Box::pin(tokio::time::sleep(wait)), error);
        None
    }

    fn request(&self) -> Option<Request> {
        let resume = self.resume.as_ref()?;
        let id = &resume.identity;
        let mut get = resume
            .client
            .get_object()
            .bucket(&id.bucket)
            .key(&id.key)
            .range(format!("bytes={}-{}", id.first + self.delivered, id.last))
            .if_match(&id.etag)
            .set_version_id(id.version_id.clone());
        if id.checksum {
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
        let Some(resume) = &self.resume else {
            return Err(last);
        };
        let id = &resume.identity;
        let changed = |found: String| {
            BodyError::new(
                BodyErrorKind::ObjectChanged {
                    etag: id.etag.clone(),
                    found,
                },
                delivered,
            )
        };
        match response {
            Ok(output) => {
                // Held to the first answer's identity, whatever the server did with If-Match.
                if let Some(found) = id.mismatch(&output) {
                    return Err(changed(found));
                }
                // And to the range asked for, its length included.
                let next = id.first + delivered;
                let asked = ByteRange::FromTo {
                    first: next,
                    last: id.last,
                };
                match answer::check(Some(asked), &output) {
                    Ok(span) => Ok(BodyStream::with_len(output.body, span.len)),
                    Err(_) => {
                        let kind = BodyErrorKind::ResumeOffset {
                            asked: next,
                            content_range: output.content_range().map(str::to_owned),
                        };
                        Err(BodyError::new(kind, delivered))
                    }
                }
            }
            Err(e) => match classify(e) {
                Failure::PreconditionFailed => {
                    Err(changed("no object with that ETag (412)".to_owned()))
                }
                Failure::NoSuchKey => Err(changed("no object at that key".to_owned())),
                // Connection failures, timeouts and 5xx: worth another attempt, and the error
                // the next attempt's log line names.
                Failure::Unreachable(error) => Err(BodyError::new(
                    BodyErrorKind::ResumeUnavailable(error),
                    delivered,
                )),
                Failure::Service { status, error } if status >= 500 => Err(BodyError::new(
                    BodyErrorKind::ResumeUnavailable(error),
                    delivered,
                )),
                Failure::Service { error, .. } => Err(BodyError::new(
                    BodyErrorKind::ResumeRequest(error),
                    delivered,
                )),
                Failure::InvalidRange => Err(changed(format!(
                    "no byte {} (416): a shorter object",
                    id.first + delivered
                ))),
                Failure::AccessDenied => Err(BodyError::new(
                    BodyErrorKind::ResumeRequest("S3 denied access (403)".into()),
                    delivered,
                )),
                Failure::NoSuchBucket => Err(changed("no such bucket".to_owned())),
                Failure::NotModified { .. } => Err(BodyError::new(
                    BodyErrorKind::ResumeRequest(
                        "S3 answered 304 to a request without such a condition".into(),
                    ),
                    delivered,
                )),
            },
        }
    }
}

/// `error`, logged as the end of the body.
fn logged(error: BodyError, resume: Option<&Resume>) -> BodyError {
    match resume {
        Some(r) => tracing::warn!(
            target: "lambda_stream_s3",
            bucket = %r.identity.bucket,
            key = %r.identity.key,
            attempts = r.attempts,
            error = %DisplayErrorContext(&error),
            "the S3 object body failed"
        ),
        None => {
            tracing::warn!(target: "lambda_stream_s3", error = %DisplayErrorContext(&error), "the S3 object body failed")
        }
    }
    error
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
                    Poll::Ready(None) => match &this.resume {
                        // Ended short of the range of the first answer.
                        Some(r) if r.identity.first + this.delivered != r.identity.last + 1 => {
                            let expected = r.identity.last + 1 - r.identity.first;
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
