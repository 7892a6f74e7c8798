//! Every public error type of this crate, made by a real failure, says its own thing and
//! leaves the cause to `source()`: a chain printer shows each message once.

mod common;

use std::time::Duration;

use futures_util::StreamExt;
use lambda_stream_s3::{BodyError, BodyStream};
use lambda_stream_s3_objects::{
    MetadataOptions, ObjectRequest, ResumePolicy, get_object, response_parts,
};
use lambda_stream_testkit::data::pattern;
use lambda_stream_testkit::errors::{assert_says_each_thing_once, chain};
use lambda_stream_testkit::servers::{Fault, FaultyProxy, s3_client};

const BUCKET: &str = "errors";

async fn body_error(
    moto: &lambda_stream_testkit::servers::Moto,
    key: &str,
    faults: Vec<Fault>,
    request: ObjectRequest,
    policy: ResumePolicy,
) -> BodyError {
    let proxy = FaultyProxy::start(moto.addr(), faults).await.unwrap();
    let client = s3_client(&proxy.endpoint());
    let response = get_object(&client, &request, &MetadataOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{key}: {e}"));
    let (_, mut body) = response.into_resumable(client, policy);
    while let Some(item) = body.next().await {
        if let Err(e) = item {
            return e;
        }
    }
    panic!("{key}: the body ended cleanly")
}

fn check(what: &str, error: &(dyn std::error::Error + 'static)) {
    println!("{what}:\n  Display: {error}\n  chain:   {}", chain(error));
    assert_says_each_thing_once(error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_error_says_its_own_thing_once() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    let data = pattern(100_000);
    common::put(&direct, BUCKET, "plain", &data).await;
    common::put_summed(&direct, BUCKET, "summed", &data).await;
    let quick = ResumePolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(10),
    };

    let e = body_error(
        &moto,
        "plain",
        vec![Fault::CutAfter(10_000)],
        ObjectRequest::new(BUCKET, "plain"),
        ResumePolicy::disabled(),
    )
    .await;
    check("BodyError, connection cut (Source)", &e);
    let e = body_error(
        &moto,
        "plain",
        vec![Fault::CutAfter(10_000); 5],
        ObjectRequest::new(BUCKET, "plain"),
        quick,
    )
    .await;
    check("BodyError, RetriesExhausted", &e);
    let e = body_error(
        &moto,
        "summed",
        vec![Fault::CorruptAt(5)],
        ObjectRequest::new(BUCKET, "summed").checksum_validation(true),
        quick,
    )
    .await;
    assert!(e.is_checksum_mismatch());
    check("BodyError, ChecksumMismatch", &e);

    let output = direct
        .get_object()
        .bucket(BUCKET)
        .key("plain")
        .send()
        .await
        .unwrap();
    let mut short = BodyStream::with_expected_len(output.body, Some(100_001));
    let e = loop {
        match short.next().await {
            Some(Ok(_)) => {}
            Some(Err(e)) => break e,
            None => panic!("a short body ended cleanly"),
        }
    };
    check("BodyError, Truncated", &e);

    let e = get_object(
        &direct,
        &ObjectRequest::new(BUCKET, "missing"),
        &MetadataOptions::default(),
    )
    .await
    .unwrap_err();
    check("GetError, NoSuchKey", &e);
    let e = get_object(
        &s3_client("http://127.0.0.1:9"),
        &ObjectRequest::new(BUCKET, "k"),
        &MetadataOptions::default(),
    )
    .await
    .unwrap_err();
    check("GetError, Unreachable", &e);
    let e = get_object(
        &direct,
        &ObjectRequest::new(BUCKET, "plain").max_body_len(10),
        &MetadataOptions::default(),
    )
    .await
    .unwrap_err();
    check("GetError, TooLarge", &e);

    let short =
        futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"abc"))]);
    let e = direct
        .put_object()
        .bucket(BUCKET)
        .key("short")
        .body(lambda_stream_s3::byte_stream_from_stream(short, Some(10)))
        .send()
        .await
        .unwrap_err();
    let mut upload = None;
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = next {
        if let Some(u) = err.downcast_ref::<lambda_stream_s3::UploadError>() {
            upload = Some(u);
        }
        next = err.source();
    }
    check(
        "UploadError, short body",
        upload.expect("the UploadError in the SDK's chain"),
    );
    let failing =
        futures_util::stream::iter([Err::<bytes::Bytes, _>(std::io::Error::other("disk gone"))]);
    let e = direct
        .put_object()
        .bucket(BUCKET)
        .key("failing")
        .body(lambda_stream_s3::byte_stream_from_stream(failing, Some(10)))
        .send()
        .await
        .unwrap_err();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    let mut found = false;
    while let Some(err) = next {
        if let Some(u) = err.downcast_ref::<lambda_stream_s3::UploadError>() {
            check("UploadError, failing source", u);
            assert!(chain(u).ends_with("disk gone"));
            found = true;
        }
        next = err.source();
    }
    assert!(found, "the UploadError in the SDK's chain: {}", chain(&e));

    let output = aws_sdk_s3::operation::get_object::GetObjectOutput::builder()
        .content_type("text/plain\nX-Injected: 1")
        .build();
    let e = response_parts(&output, &MetadataOptions::default()).unwrap_err();
    check("MetadataError", &e);

    let request = http::Request::post("/k").body(()).unwrap();
    let e = ObjectRequest::from_http(BUCKET, &request).unwrap_err();
    check("RequestError", &e);
    let e = lambda_stream_s3_objects::ByteRange::From { first: 10 }
        .resolve(5)
        .unwrap_err();
    check("Unsatisfiable", &e);
}
