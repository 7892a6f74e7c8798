//! `ObjectResponse`: the answer to an [`ObjectRequest`](crate::ObjectRequest), and the
//! identity of the object it serves.

use aws_sdk_s3::Client;
use http::StatusCode;

use lambda_stream_s3::BodyStream;

use crate::identity::ObjectIdentity;
use crate::resume::{ResumableBody, ResumePolicy};

/// The answer to an [`ObjectRequest`](crate::ObjectRequest), as an HTTP server would give
/// it: `200` or `206` with the object's headers and body (none for `HEAD`), `304`, `412`, or
/// `416` with `Content-Range: bytes */size`, the last three without a body.
///
/// ```no_run
/// # async fn example(client: aws_sdk_s3::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use lambda_stream_s3_objects::{MetadataOptions, ObjectRequest, get_object};
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
