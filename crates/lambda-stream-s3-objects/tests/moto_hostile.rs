//! S3 answers and paths as hostile input, through proxies in front of `moto_server` that
//! resolve dot segments, answer `200` to a `Range`, shift the range, or drop
//! `Content-Length` and end early. Each check is shown failing against the hostile part
//! first (the control), then held.

mod common;

use std::time::Duration;

use futures_util::StreamExt;
use http::StatusCode;
use lambda_stream_s3::BodyErrorKind;
use lambda_stream_s3_objects::{
    ByteRange, GetErrorKind, KeyPolicy, MetadataOptions, ObjectRequest, RequestError, ResumePolicy,
    get_object,
};
use lambda_stream_testkit::data::pattern;
use lambda_stream_testkit::servers::{Fault, FaultyProxy, Requests, s3_client};

const BUCKET: &str = "public";
const SECRET_BUCKET: &str = "secret";

fn quick() -> ResumePolicy {
    ResumePolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    }
}

fn source_text(e: &(dyn std::error::Error + 'static)) -> String {
    e.source().map(ToString::to_string).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_path_reads_another_bucket_through_a_server_that_resolves_dot_segments() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    direct
        .create_bucket()
        .bucket(SECRET_BUCKET)
        .send()
        .await
        .unwrap();
    let secret = bytes::Bytes::from_static(b"the other bucket's secret");
    common::put(&direct, SECRET_BUCKET, "s.txt", &secret).await;
    common::put(&direct, BUCKET, "obj", &pattern(100)).await;
    let proxy = FaultyProxy::start_with(moto.addr(), Vec::new(), Requests::ResolveDotSegments)
        .await
        .unwrap();
    let client = s3_client(&proxy.endpoint());

    // The control: the SDK sends `/public/../secret/s.txt` as it is, and the proxy reads
    // the other bucket's object for it.
    let leaked = client
        .get_object()
        .bucket(BUCKET)
        .key("../secret/s.txt")
        .send()
        .await
        .expect("the proxy resolves the key into the other bucket");
    let leaked = leaked.body.collect().await.unwrap().into_bytes();
    assert_eq!(leaked, secret, "the hostile proxy is not hostile");
    let before = proxy.targets().len();

    // Every way of writing it is refused before S3 is asked.
    let any = KeyPolicy::new();
    for path in [
        "/..%2Fsecret%2Fs.txt",
        "/%2E%2E/secret/s.txt",
        "/.%2e%2Fsecret%2Fs.txt",
        "/a/../obj",
        "/./obj",
        "/..%5Csecret%5Cs.txt",
    ] {
        let request = http::Request::get(path).body(()).unwrap();
        let e = ObjectRequest::from_http_with(BUCKET, &request, path, &any).unwrap_err();
        assert!(matches!(e, RequestError::DotSegment(_)), "{path}: {e:?}");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(
            e.to_string().contains("expected no `.` or `..` segment"),
            "{e}"
        );
    }
    // A request made by hand is refused too, without asking S3.
    let by_hand = ObjectRequest::new(BUCKET, "../secret/s.txt");
    let e = get_object(&client, &by_hand, &MetadataOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (GetErrorKind::InvalidKey, StatusCode::BAD_REQUEST)
    );
    assert_eq!(
        proxy.targets().len(),
        before,
        "no request reached the server after the control: {:?}",
        proxy.targets()
    );

    // A prefix keeps requests to the keys under it.
    let public = KeyPolicy::new().prefix("pub/");
    let request = http::Request::get("/obj").body(()).unwrap();
    let e = ObjectRequest::from_http_with(BUCKET, &request, "/obj", &public).unwrap_err();
    assert_eq!(
        (e.clone(), e.status()),
        (
            RequestError::KeyNotServed("obj".into()),
            StatusCode::FORBIDDEN
        )
    );
    // And an ordinary key is served through the same proxy.
    let object = ObjectRequest::from_http_with(BUCKET, &request, "/obj", &any).unwrap();
    let (_, body) = get_object(&client, &object, &MetadataOptions::default())
        .await
        .unwrap()
        .into_body_stream();
    assert_eq!(common::collect(body).await.unwrap().0, pattern(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_answered_with_other_bytes_is_refused_before_the_first_byte() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    let data = pattern(5000);
    common::put(&direct, BUCKET, "ranged", &data).await;
    let range = ByteRange::FromTo {
        first: 1000,
        last: 1999,
    };
    let request = ObjectRequest::new(BUCKET, "ranged").range(range);

    // The control: untouched, the range is served.
    let (parts, body) = get_object(&direct, &request, &MetadataOptions::default())
        .await
        .unwrap()
        .into_body_stream();
    assert_eq!(parts.status, StatusCode::PARTIAL_CONTENT);
    assert!(common::collect(body).await.unwrap().0 == data[1000..2000]);

    for (rewrite, why) in [
        (
            Requests::ShiftRange(500),
            "asked for bytes=1000-1999, answered Content-Range bytes 500-1999/5000: expected bytes 1000-1999/5000",
        ),
        (
            Requests::DropRange,
            "asked for bytes=1000-1999, answered without a Content-Range (the whole object, from offset 0)",
        ),
    ] {
        let proxy = FaultyProxy::start_with(moto.addr(), Vec::new(), rewrite)
            .await
            .unwrap();
        let client = s3_client(&proxy.endpoint());
        let e = get_object(&client, &request, &MetadataOptions::default())
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.status()),
            (GetErrorKind::AnswerMismatch, StatusCode::BAD_GATEWAY),
            "{rewrite:?}: {e}"
        );
        assert_eq!(source_text(&e), why, "{rewrite:?}");
        println!("{rewrite:?}: {e}: {why}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_answer_with_other_bytes_ends_the_body_with_an_error() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    let data = pattern(5000);
    common::put(&direct, BUCKET, "resumed", &data).await;
    // The first answer (no Range) is cut after 300 bytes; the resume's Range is shifted.
    let proxy = FaultyProxy::start_with(
        moto.addr(),
        vec![Fault::CutAfter(300)],
        Requests::ShiftRange(100),
    )
    .await
    .unwrap();
    let client = s3_client(&proxy.endpoint());
    let request = ObjectRequest::new(BUCKET, "resumed");
    let (_, mut body) = get_object(&client, &request, &MetadataOptions::default())
        .await
        .unwrap()
        .into_resumable(client.clone(), quick());
    let mut delivered = Vec::new();
    let error = loop {
        match body.next().await {
            Some(Ok(chunk)) => delivered.extend_from_slice(&chunk),
            Some(Err(e)) => break e,
            None => panic!("a clean end after {} bytes", delivered.len()),
        }
    };
    assert!(delivered == data[..300]);
    assert!(
        matches!(
            error.kind(),
            BodyErrorKind::ResumeOffset {
                asked: 300,
                content_range: Some(_)
            }
        ),
        "{error}"
    );
    assert!(body.next().await.is_none());
}

/// A client whose next answer comes chunked, without its length, and ends after 1,000 body
/// bytes as if it were whole.
async fn cut_short(
    moto: &lambda_stream_testkit::servers::Moto,
) -> (FaultyProxy, aws_sdk_s3::Client) {
    let proxy = FaultyProxy::start(moto.addr(), vec![Fault::ChunkedEndAfter(1000)])
        .await
        .unwrap();
    let client = s3_client(&proxy.endpoint());
    (proxy, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_without_a_length_that_ends_early_never_ends_cleanly() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    let data = pattern(5000);
    // No stored checksum (the SDK adds one by default): nothing but the length can tell
    // the body was cut.
    let plain = aws_sdk_s3::Client::from_conf(
        direct
            .config()
            .to_builder()
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .build(),
    );
    plain
        .put_object()
        .bucket(BUCKET)
        .key("chunked")
        .body(data.clone().into())
        .send()
        .await
        .unwrap();

    // The control: the proxy's answer ends cleanly, short, and without a length.
    let (_proxy, client) = cut_short(&moto).await;
    let raw = client
        .get_object()
        .bucket(BUCKET)
        .key("chunked")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.content_length(), None);
    assert_eq!(raw.body.collect().await.unwrap().into_bytes().len(), 1000);

    // The whole object, without a length: refused before the first byte.
    let (_proxy, client) = cut_short(&moto).await;
    let whole = ObjectRequest::new(BUCKET, "chunked");
    let e = get_object(&client, &whole, &MetadataOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (GetErrorKind::AnswerMismatch, StatusCode::BAD_GATEWAY)
    );
    assert!(source_text(&e).contains("without a Content-Length"), "{e}");

    // A range, whose Content-Range gives the length: the early end is an error...
    let range = whole.clone().range(ByteRange::From { first: 0 });
    let (_proxy, client) = cut_short(&moto).await;
    let (_, body) = get_object(&client, &range, &MetadataOptions::default())
        .await
        .unwrap()
        .into_body_stream();
    let e = common::collect(body).await.unwrap_err();
    assert!(
        matches!(e.kind(), BodyErrorKind::Truncated { expected: 5000 }),
        "{e}"
    );
    assert_eq!(e.delivered(), 1000);
    // ...which a resumable body resumes, byte-exact.
    let (_proxy, client) = cut_short(&moto).await;
    let (_, body) = get_object(&client, &range, &MetadataOptions::default())
        .await
        .unwrap()
        .into_resumable(client.clone(), quick());
    let (bytes, _) = common::collect(body).await.unwrap();
    assert!(bytes == data[..], "{} of 5000 bytes", bytes.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_runs_past_its_range_ends_with_an_error_before_the_extra_bytes() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    let data = pattern(5000);
    common::put(&direct, BUCKET, "long", &data).await;
    let range = ObjectRequest::new(BUCKET, "long").range(ByteRange::FromTo {
        first: 1000,
        last: 1999,
    });
    // The control: the raw SDK takes every byte the proxy sends, the extra ones included.
    let proxy = FaultyProxy::start(moto.addr(), vec![Fault::ChunkedWithExtra(300)])
        .await
        .unwrap();
    let client = s3_client(&proxy.endpoint());
    let raw = client
        .get_object()
        .bucket(BUCKET)
        .key("long")
        .range("bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.content_length(), None);
    assert_eq!(raw.body.collect().await.unwrap().into_bytes().len(), 1300);

    // Through get_object, held to the 1,000 bytes its Content-Range states.
    let proxy = FaultyProxy::start(moto.addr(), vec![Fault::ChunkedWithExtra(300)])
        .await
        .unwrap();
    let client = s3_client(&proxy.endpoint());
    let (_, body) = get_object(&client, &range, &MetadataOptions::default())
        .await
        .unwrap()
        .into_body_stream();
    let mut delivered = Vec::new();
    let mut body = Box::pin(body);
    let error = loop {
        match body.next().await {
            Some(Ok(chunk)) => delivered.extend_from_slice(&chunk),
            Some(Err(e)) => break e,
            None => panic!("a clean end after {} bytes", delivered.len()),
        }
    };
    assert!(
        matches!(error.kind(), BodyErrorKind::Overrun { expected: 1000 }),
        "{error}"
    );
    assert!(
        delivered.len() <= 1000 && delivered == data[1000..1000 + delivered.len()],
        "only bytes of the range were delivered: {}",
        delivered.len()
    );
    println!("{} of 1000 bytes delivered, then: {error}", delivered.len());
}
