//! `ObjectIdentity`: the object an answer served, as its first response described it, and
//! what every resumed response is held to.

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_smithy_types::date_time::DateTime;

use crate::answer::Span;
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
