//! `ResumableBody` through a proxy that cuts or corrupts the connection to `moto_server`.

mod common;

use std::time::Duration;

use futures_util::StreamExt;
use lambda_stream_s3::{BodyErrorKind, MetadataOptions, ObjectRequest, ResumePolicy, get_object};
use lambda_stream_testkit::data::{REFERENCE_SIZES, pattern};
use lambda_stream_testkit::servers::{Fault, FaultyProxy};

const BUCKET: &str = "resume";

fn quick() -> ResumePolicy {
    ResumePolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cuts_anywhere_are_resumed_byte_exact() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    let size = REFERENCE_SIZES[1];
    let data = pattern(size);
    common::put(&direct, BUCKET, "big", &data).await;
    let n = size as u64;
    let plans: Vec<Vec<Fault>> = vec![
        vec![Fault::CutAfter(0)],
        vec![Fault::CutAfter(1)],
        vec![Fault::CutAfter(n / 2)],
        vec![Fault::CutAfter(n - 1)],
        // Two resumes, the second cut counted within the resumed (ranged) body.
        vec![Fault::CutAfter(n / 3), Fault::CutAfter(n / 3)],
    ];
    for plan in plans {
        let proxy = FaultyProxy::start(moto.addr(), plan.clone()).await.unwrap();
        let client = common::client(&proxy.endpoint());
        let response = get_object(
            &client,
            &ObjectRequest::new(BUCKET, "big"),
            &MetadataOptions::default(),
        )
        .await
        .unwrap();
        let (_, body) = response.into_resumable(client, quick());
        let mut body = body;
        let mut out = Vec::with_capacity(size);
        while let Some(chunk) = body.next().await {
            out.extend_from_slice(&chunk.unwrap_or_else(|e| panic!("{plan:?}: {e}")));
        }
        assert!(
            out == data[..],
            "{plan:?}: not byte-exact ({} of {size} bytes)",
            out.len()
        );
        let cuts = plan.len() as u32;
        assert_eq!(body.attempts(), cuts, "{plan:?}: one resume per cut");
        assert_eq!(proxy.connections(), plan.len() + 1, "{plan:?}");
        println!("{plan:?}: {} bytes, {} resumes", out.len(), body.attempts());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_overwritten_before_the_resume_fails_and_says_so() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    let data = pattern(REFERENCE_SIZES[0]);
    common::put(&direct, BUCKET, "changing", &data).await;
    let cut = 50_000u64;
    let proxy = FaultyProxy::start(moto.addr(), vec![Fault::CutAfter(cut)])
        .await
        .unwrap();
    let client = common::client(&proxy.endpoint());
    let response = get_object(
        &client,
        &ObjectRequest::new(BUCKET, "changing"),
        &MetadataOptions::default(),
    )
    .await
    .unwrap();
    let (_, mut body) = response.into_resumable(client, quick());
    let mut delivered = 0u64;
    while delivered < cut {
        delivered += body.next().await.unwrap().unwrap().len() as u64;
    }
    assert_eq!(delivered, cut);
    // Everything before the cut is out; now the object changes, then the body resumes.
    common::put(
        &direct,
        BUCKET,
        "changing",
        &pattern(REFERENCE_SIZES[0] + 1),
    )
    .await;
    let e = body.next().await.unwrap().unwrap_err();
    assert!(
        matches!(e.kind(), BodyErrorKind::ObjectChanged { .. }),
        "{e}"
    );
    assert_eq!(e.delivered(), cut);
    assert!(e.to_string().contains("not mixing two versions"), "{e}");
    assert!(body.next().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_retries_fail_and_never_end_cleanly() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    let data = pattern(REFERENCE_SIZES[0]);
    common::put(&direct, BUCKET, "flaky", &data).await;
    // Every connection is cut after 10 KB.
    let proxy = FaultyProxy::start(moto.addr(), vec![Fault::CutAfter(10_000); 10])
        .await
        .unwrap();
    let client = common::client(&proxy.endpoint());
    let response = get_object(
        &client,
        &ObjectRequest::new(BUCKET, "flaky"),
        &MetadataOptions::default(),
    )
    .await
    .unwrap();
    let policy = ResumePolicy {
        max_attempts: 2,
        ..quick()
    };
    let (_, mut body) = response.into_resumable(client, policy);
    let mut delivered = 0;
    let error = loop {
        match body.next().await {
            Some(Ok(chunk)) => delivered += chunk.len(),
            Some(Err(e)) => break e,
            None => panic!("a clean end after {delivered} bytes"),
        }
    };
    assert_eq!(delivered, 30_000, "three connections of 10 KB each");
    assert!(
        matches!(
            error.kind(),
            BodyErrorKind::RetriesExhausted { attempts: 2, .. }
        ),
        "{error}"
    );
    assert!(body.next().await.is_none());

    // With resuming disabled the first cut is final.
    let proxy = FaultyProxy::start(moto.addr(), vec![Fault::CutAfter(10_000)])
        .await
        .unwrap();
    let client = common::client(&proxy.endpoint());
    let response = get_object(
        &client,
        &ObjectRequest::new(BUCKET, "flaky"),
        &MetadataOptions::default(),
    )
    .await
    .unwrap();
    let (_, body) = response.into_resumable(client, ResumePolicy::disabled());
    let items: Vec<_> = body.collect().await;
    let last = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(last.delivered(), 10_000);
    println!("resume disabled: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checksum_mismatch_comes_after_every_byte_and_is_not_resumed() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    let data = pattern(REFERENCE_SIZES[0]);
    direct
        .put_object()
        .bucket(BUCKET)
        .key("summed")
        .body(data.clone().into())
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    let proxy = FaultyProxy::start(moto.addr(), vec![Fault::CorruptAt(1234)])
        .await
        .unwrap();
    let client = common::client(&proxy.endpoint());
    let request = ObjectRequest::new(BUCKET, "summed").checksum_validation(true);
    let response = get_object(&client, &request, &MetadataOptions::default())
        .await
        .unwrap();
    let (_, mut body) = response.into_resumable(client, quick());
    let mut out = Vec::new();
    let error = loop {
        match body.next().await {
            Some(Ok(chunk)) => out.extend_from_slice(&chunk),
            Some(Err(e)) => break e,
            None => panic!("the corrupted body ended cleanly"),
        }
    };
    // Every byte went out, the corrupted one included, before the SDK could tell.
    assert_eq!(out.len(), data.len());
    assert_ne!(out[1234], data[1234]);
    assert!(error.is_checksum_mismatch(), "{error}");
    assert_eq!(body.attempts(), 0, "a checksum mismatch is not resumed");
    println!("checksum: {error}");
}
