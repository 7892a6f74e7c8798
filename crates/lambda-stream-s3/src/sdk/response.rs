//! `ObjectResponse`: the answer to an [`ObjectRequest`](crate::ObjectRequest), and the
//! identity of the object it serves.

use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_smithy_types::date_time::DateTime;
use http::StatusCode;

use super::answer::Span;
use super::resume::{ResumableBody, ResumePolicy};
use crate::BodyStream;
use crate::range::ContentRange;

/// The object an answer served, as the first response described it: what every resumed
/// response is held to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectIdentity {
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) etag: String,
    pub(crate) last_modified: Option<DateTime>,
    /// Set for versioned buckets: resumes then read that very version.
    pub(crate) version_id: Option<String>,
    /// The whole object's size.
    pub(crate) size: u64,
    /// Object offset of the first byte of the body.
    pub(crate) first: u64,
    /// Object offset of the last byte of the body, inclusive.
    pub(crate) last: u64,
    pub(crate) checksum: bool,
}

impl ObjectIdentity {
    /// What a resume needs to know about the object just fetched, whose answer carried
    /// `span` (as checked); `None` when it cannot be pinned (no ETag) or there is nothing to
    /// resume (an empty body).
    pub(crate) fn of(
        bucket: &str,
        key: &str,
        checksum: bool,
        output: &GetObjectOutput,
        span: Span,
    ) -> Option<ObjectIdentity> {
        let etag = output.e_tag()?.to_owned();
        let last = span.last()?;
        let version_id = output
            .version_id()
            .filter(|v| *v != "null")
            .map(str::to_owned);
        Some(ObjectIdentity {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            etag,
            last_modified: output.last_modified().copied(),
            version_id,
            size: span.size,
            first: span.first,
            last,
            checksum,
        })
    }

    /// Why `output`, a resumed response, is not this object: `None` when it is.
    pub(crate) fn mismatch(&self, output: &GetObjectOutput) -> Option<String> {
        match output.e_tag() {
            Some(etag) if etag == self.etag => {}
            Some(etag) => return Some(format!("ETag {etag}")),
            None => return Some("a response without an ETag".to_owned()),
        }
        let size = output
            .content_range()
            .and_then(ContentRange::parse)
            .and_then(|r| r.size());
        if size != Some(self.size) {
            return Some(match size {
                Some(size) => format!("an object of {size} bytes instead of {}", self.size),
                None => "a response without the object's size in Content-Range".to_owned(),
            });
        }
        if let (Some(before), Some(now)) = (self.last_modified, output.last_modified())
            && before != *now
        {
            return Some(format!(
                "Last-Modified {} instead of {}",
                now.secs(),
                before.secs()
            ));
        }
        if let Some(version) = &self.version_id
            && output.version_id() != Some(version.as_str())
        {
            return Some(format!(
                "version {} instead of {version}",
                output.version_id().unwrap_or("(none)")
            ));
        }
        None
    }
}

/// The answer to an [`ObjectRequest`](crate::ObjectRequest), as an HTTP server would give
/// it: `200` or `206` with the object's headers and body (none for `HEAD`), `304`, `412`, or
/// `416` with `Content-Range: bytes */size`, the last three without a body.
///
/// ```no_run
/// # async fn example(client: aws_sdk_s3::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use lambda_stream_s3::{MetadataOptions, ObjectRequest, get_object};
///
/// let request = ObjectRequest::new("my-bucket", "page.html").if_none_match("\"v1\"");
/// let answer = get_object(&client, &request, &MetadataOptions::default()).await?;
/// if answer.status() == 304 {
///     assert!(!answer.has_body());
///     assert!(answer.parts().headers.contains_key("etag"));
/// }
/// let (parts, body) = answer.into_body_stream();
/// # drop((parts, body));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ObjectResponse {
    pub(crate) parts: http::response::Parts,
    pub(crate) body: Option<BodyStream>,
    pub(crate) identity: Option<ObjectIdentity>,
}

impl ObjectResponse {
    /// An answer without a body.
    pub(crate) fn bodyless(status: StatusCode, headers: http::HeaderMap) -> Self {
        let (mut parts, ()) = http::Response::new(()).into_parts();
        parts.status = status;
        parts.headers = headers;
        ObjectResponse {
            parts,
            body: None,
            identity: None,
        }
    }

    /// The status: 200, 206, 304, 412 or 416.
    pub fn status(&self) -> StatusCode {
        self.parts.status
    }

    /// Status and headers.
    pub fn parts(&self) -> &http::response::Parts {
        &self.parts
    }

    /// Whether there is a body to send (200 and 206 to a `GET`).
    pub fn has_body(&self) -> bool {
        self.body.is_some()
    }

    /// Status, headers and the body (empty for `HEAD`, 304, 412 and 416), checked against
    /// its length.
    pub fn into_body_stream(self) -> (http::response::Parts, BodyStream) {
        let body = self.body.unwrap_or_else(empty);
        (self.parts, body)
    }

    /// Status, headers and a body that resumes where it broke off; see [`ResumableBody`].
    pub fn into_resumable(
        self,
        client: Client,
        policy: ResumePolicy,
    ) -> (http::response::Parts, ResumableBody) {
        let body = match (self.body, self.identity) {
            (Some(body), Some(identity)) => ResumableBody::new(client, identity, body, policy),
            (body, _) => ResumableBody::finished(body.unwrap_or_else(empty)),
        };
        (self.parts, body)
    }
}

fn empty() -> BodyStream {
    BodyStream::with_expected_len(
        aws_smithy_types::byte_stream::ByteStream::default(),
        Some(0),
    )
}
