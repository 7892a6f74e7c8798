//! `get_object`: a GetObject that answers like an HTTP server would, whatever the server
//! behind it does with conditions.

use std::time::SystemTime;

use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::types::ChecksumMode;
use aws_smithy_types::date_time::{DateTime, Format};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};

use crate::answer;
use crate::conditional::{Evaluation, Validators, http_date};
use crate::error::{Failure, GetError, GetErrorKind, classify};
use crate::identity::ObjectIdentity;
use crate::keys::dot_segment;
use crate::metadata::{MetadataError, MetadataOptions, response_parts};
use crate::range::{ByteRange, ContentRange};
use crate::request::ObjectRequest;
use crate::request_error::RequestError;
use crate::response::ObjectResponse;
use lambda_stream_s3::BodyStream;

/// Fetches an object and answers like an HTTP server: see [`ObjectResponse`] and
/// [`GetError::status`].
///
/// The request's conditions are forwarded to S3, and evaluated here again, in the order of
/// RFC 9110, against the ETag and Last-Modified S3 returns: a server that ignores them, or
/// applies them wrongly (a `304` for an `If-Modified-Since` in the future, say), cannot
/// change the answer. When S3's answer and this evaluation disagree, the object is asked
/// for again without the conditions. `If-Range` is evaluated here only (S3 does not
/// support it): when it does not match, the whole object is served with `200`. A `416`
/// from S3 is confirmed with a `HeadObject`, which also gives the size for
/// `Content-Range: bytes */size`. So one request in the common case, at most three.
///
/// An object (or range) longer than [`ObjectRequest::max_body_len`] is refused before its
/// first byte (`413`), for `HEAD` as for `GET`.
///
/// S3's answer is checked against the request before a byte of it is passed on (see
/// [`GetErrorKind::AnswerMismatch`]): a `206` whose `Content-Range` is not the range asked
/// for, a `200` to a `Range`, a `206` to a request for the whole object, a length that
/// does not match, or an answer without a length are refused with `502`. The body is then
/// held to that length: it cannot end short, or run long, without an error.
///
/// A key with a `.` or `..` segment is refused (`400`) before any request, whatever made
/// the [`ObjectRequest`]: a server that resolves dot segments would read another key, or
/// another bucket (see [`KeyPolicy`](crate::KeyPolicy)).
///
/// ```no_run
/// # async fn example(client: aws_sdk_s3::Client, request: http::Request<()>) -> Result<(), Box<dyn std::error::Error>> {
/// use lambda_stream_s3_objects::{MetadataOptions, ObjectRequest, get_object};
///
/// let object = ObjectRequest::from_http("my-bucket", &request)?.max_body_len(200 << 20);
/// match get_object(&client, &object, &MetadataOptions::default()).await {
///     Ok(answer) => {
///         let (parts, body) = answer.into_body_stream();
///         println!("{} with {} headers", parts.status, parts.headers.len());
///         # drop(body);
///     }
///     Err(e) => println!("{}: {e}", e.status()),
/// }
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// [`GetError`], with the status to answer with.
pub async fn get_object(
    client: &Client,
    request: &ObjectRequest,
    options: &MetadataOptions,
) -> Result<ObjectResponse, GetError> {
    let now = DateTime::from(SystemTime::now());
    let fail = |kind, source| GetError::new(kind, &request.bucket, &request.key, source);
    if dot_segment(&request.key).is_some() {
        let refused = RequestError::DotSegment(request.key.clone());
        return Err(fail(GetErrorKind::InvalidKey, Some(Box::new(refused))));
    }
    let mut range = request.range.and_then(|r| r.single());
    let mut forward = true;
    for _ in 0..4 {
        let output = match send(client, request, range, forward).await {
            Ok(output) => output,
            Err(Failure::NotModified {
                etag,
                last_modified,
                headers,
            }) => {
                let current = Validators {
                    etag: etag.as_deref(),
                    last_modified,
                };
                let evaluation =
                    request
                        .conditions
                        .evaluate(&request.method, &current, range.is_some(), now);
                if evaluation == Evaluation::NotModified {
                    return Ok(ObjectResponse::bodyless(StatusCode::NOT_MODIFIED, headers));
                }
                tracing::debug!(target: "lambda_stream_s3", bucket = %request.bucket, key = %request.key, "S3 answered 304 where the conditions do not; asking again without them");
                forward = false;
                continue;
            }
            Err(Failure::PreconditionFailed) if forward => {
                // S3's 412 says nothing of the object: judge for ourselves.
                forward = false;
                continue;
            }
            Err(Failure::InvalidRange) if range.is_some() => {
                // Conditions and If-Range come before Range: judge them on the whole object.
                let (etag, last_modified, size) = head(client, request).await?;
                let current = Validators {
                    etag: etag.as_deref(),
                    last_modified,
                };
                match request
                    .conditions
                    .evaluate(&request.method, &current, true, now)
                {
                    Evaluation::NotModified => {
                        return Ok(ObjectResponse::bodyless(
                            StatusCode::NOT_MODIFIED,
                            validator_headers(etag.as_deref(), last_modified),
                        ));
                    }
                    Evaluation::PreconditionFailed => {
                        return Ok(ObjectResponse::bodyless(
                            StatusCode::PRECONDITION_FAILED,
                            HeaderMap::new(),
                        ));
                    }
                    Evaluation::Serve { range: false } => {
                        range = None;
                        continue;
                    }
                    Evaluation::Serve { range: true } => {
                        let mut headers = HeaderMap::new();
                        let content_range = ContentRange::Unsatisfied { size }.to_string();
                        if let Ok(v) = HeaderValue::from_str(&content_range) {
                            headers.insert(header::CONTENT_RANGE, v);
                        }
                        return Ok(ObjectResponse::bodyless(
                            StatusCode::RANGE_NOT_SATISFIABLE,
                            headers,
                        ));
                    }
                }
            }
            Err(failure) => return Err(failure_error(request, failure)),
        };
        // Whatever S3 did with the conditions, they are judged here.
        let current = Validators {
            etag: output.e_tag(),
            last_modified: output.last_modified().copied(),
        };
        match request
            .conditions
            .evaluate(&request.method, &current, range.is_some(), now)
        {
            Evaluation::NotModified => {
                return Ok(ObjectResponse::bodyless(
                    StatusCode::NOT_MODIFIED,
                    not_modified_headers(&output),
                ));
            }
            Evaluation::PreconditionFailed => {
                return Ok(ObjectResponse::bodyless(
                    StatusCode::PRECONDITION_FAILED,
                    HeaderMap::new(),
                ));
            }
            // If-Range did not match: the whole object.
            Evaluation::Serve { range: false } if range.is_some() => {
                range = None;
                continue;
            }
            Evaluation::Serve { .. } => return serve(request, range, output, options),
        }
    }
    Err(fail(
        GetErrorKind::Service,
        Some("S3 kept answering in ways the request's conditions contradict".into()),
    ))
}

/// One `GetObject`: the range if any, the conditions if `forward`.
async fn send(
    client: &Client,
    request: &ObjectRequest,
    range: Option<ByteRange>,
    forward: bool,
) -> Result<GetObjectOutput, Failure> {
    let mut get = client
        .get_object()
        .bucket(&request.bucket)
        .key(&request.key)
        .set_range(range.map(|r| r.header_value()))
        .set_version_id(request.version_id.clone());
    if request.checksum {
        get = get.checksum_mode(ChecksumMode::Enabled);
    }
    if forward {
        let c = &request.conditions;
        let date = |name| c.forwarded(&name).and_then(|v| http_date(&v));
        get = get
            .set_if_match(c.forwarded(&header::IF_MATCH))
            .set_if_none_match(c.forwarded(&header::IF_NONE_MATCH))
            .set_if_modified_since(date(header::IF_MODIFIED_SINCE))
            .set_if_unmodified_since(date(header::IF_UNMODIFIED_SINCE));
    }
    get.send().await.map_err(classify)
}

/// ETag, Last-Modified and size of the whole object, unconditionally.
async fn head(
    client: &Client,
    request: &ObjectRequest,
) -> Result<(Option<String>, Option<DateTime>, u64), GetError> {
    let head = client
        .head_object()
        .bucket(&request.bucket)
        .key(&request.key)
        .set_version_id(request.version_id.clone())
        .send()
        .await;
    let fail = |kind, source| GetError::new(kind, &request.bucket, &request.key, source);
    match head {
        Ok(head) => Ok((
            head.e_tag().map(str::to_owned),
            head.last_modified().copied(),
            head.content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
        )),
        Err(aws_sdk_s3::error::SdkError::ServiceError(ctx))
            if ctx.raw().status().as_u16() == 404 =>
        {
            Err(fail(GetErrorKind::NoSuchKey, None))
        }
        Err(e) => Err(fail(GetErrorKind::Service, Some(Box::new(e)))),
    }
}

/// The answer with the object (or its `range`), once S3's answer is checked against it; a
/// `413` if it is too long.
fn serve(
    request: &ObjectRequest,
    range: Option<ByteRange>,
    mut output: GetObjectOutput,
    options: &MetadataOptions,
) -> Result<ObjectResponse, GetError> {
    let fail = |kind, source| GetError::new(kind, &request.bucket, &request.key, source);
    let span = answer::check(range, &output)
        .map_err(|why| fail(GetErrorKind::AnswerMismatch, Some(why.into())))?;
    let parts = response_parts(&output, options)
        .map_err(|e: MetadataError| fail(GetErrorKind::Metadata, Some(Box::new(e))))?;
    if let Some(limit) = request.max_body_len
        && span.len > limit
    {
        return Err(fail(
            GetErrorKind::TooLarge {
                len: span.len,
                limit,
            },
            None,
        ));
    }
    if request.method == Method::HEAD {
        return Ok(ObjectResponse {
            parts,
            body: None,
            identity: None,
        });
    }
    let identity = ObjectIdentity::of(
        &request.bucket,
        &request.key,
        request.checksum,
        &output,
        span,
    );
    let body = BodyStream::with_len(std::mem::take(&mut output.body), span.len);
    Ok(ObjectResponse {
        parts,
        body: Some(body),
        identity,
    })
}

fn failure_error(request: &ObjectRequest, failure: Failure) -> GetError {
    let fail = |kind, source| GetError::new(kind, &request.bucket, &request.key, source);
    match failure {
        Failure::NoSuchKey => fail(GetErrorKind::NoSuchKey, None),
        Failure::NoSuchBucket => fail(GetErrorKind::NoSuchBucket, None),
        Failure::AccessDenied => fail(GetErrorKind::AccessDenied, None),
        Failure::Unreachable(e) => fail(GetErrorKind::Unreachable, Some(e)),
        Failure::Service { error, .. } => fail(GetErrorKind::Service, Some(error)),
        // Answers to requests that did not ask for them: the server is wrong.
        Failure::NotModified { .. } | Failure::PreconditionFailed | Failure::InvalidRange => fail(
            GetErrorKind::Service,
            Some("S3 answered a condition or a range the request did not carry".into()),
        ),
    }
}

/// The headers a `304` carries (RFC 9110, section 15.4.5), from the object S3 returned.
fn not_modified_headers(output: &GetObjectOutput) -> HeaderMap {
    let mut headers = validator_headers(output.e_tag(), output.last_modified().copied());
    for (name, value) in [
        (header::CACHE_CONTROL, output.cache_control()),
        (header::EXPIRES, output.expires_string()),
    ] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, v);
        }
    }
    headers
}

fn validator_headers(etag: Option<&str>, last_modified: Option<DateTime>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(v) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
        headers.insert(header::ETAG, v);
    }
    if let Some(v) = last_modified
        .and_then(|t| t.fmt(Format::HttpDate).ok())
        .and_then(|t| HeaderValue::from_str(&t).ok())
    {
        headers.insert(header::LAST_MODIFIED, v);
    }
    headers
}
