//! `ResumableBody` through a proxy that cuts or corrupts the connection to `moto_server`.

mod common;

use std::time::Duration;

use futures_util::StreamExt;
use lambda_stream_s3::{BodyError, BodyErrorKind};
use lambda_stream_s3_objects::{
    MetadataOptions, ObjectRequest, ResumableBody, ResumePolicy, get_object,
};
use lambda_stream_testkit::data::{REFERENCE_SIZES, pattern};
use lambda_stream_testkit::servers::{Fault, FaultyProxy, Moto, Requests};

const BUCKET: &str = "resume";

fn quick() -> ResumePolicy {
    ResumePolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    }
}

/// A resumable body for `request`, fetched through a proxy that applies `faults`.
async fn through_proxy(
    moto: &Moto,
    faults: Vec<Fault>,
    request: ObjectRequest,
    policy: ResumePolicy,
) -> (FaultyProxy, ResumableBody) {
    let proxy = FaultyProxy::start(moto.addr(), faults).await.unwrap();
    let client = lambda_stream_testkit::servers::s3_client(&proxy.endpoint());
    let response = get_object(&client, &request, &MetadataOptions::default())
        .await
        .unwrap();
    let (_, body) = response.into_resumable(client, policy);
    (proxy, body)
}

/// The bytes of `body` up to its end or its first error, and that error.
async fn until_error(body: &mut ResumableBody) -> (Vec<u8>, Option<BodyError>) {
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(chunk) => out.extend_from_slice(&chunk),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
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
        let request = ObjectRequest::new(BUCKET, "big");
        let (proxy, mut body) = through_proxy(&moto, plan.clone(), request, quick()).await;
        let (out, error) = until_error(&mut body).await;
        assert!(error.is_none(), "{plan:?}: {error:?}");
        assert!(
            out == data[..],
            "{plan:?}: not byte-exact ({} of {size} bytes)",
            out.len()
        );
        assert_eq!(
            body.attempts(),
            plan.len() as u32,
            "{plan:?}: one resume per cut"
        );
        assert_eq!(proxy.connections(), plan.len() + 1, "{plan:?}");
        println!("{plan:?}: {} bytes, {} resumes", out.len(), body.attempts());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_overwritten_before_the_resume_fails_and_says_so() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    common::put(&direct, BUCKET, "changing", &pattern(REFERENCE_SIZES[0])).await;
    let cut = 50_000u64;
    let request = ObjectRequest::new(BUCKET, "changing");
    let (_proxy, mut body) =
        through_proxy(&moto, vec![Fault::CutAfter(cut)], request, quick()).await;
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

/// The hostile case: a server that ignores `If-Match` (the proxy strips it) and an object
/// replaced between the cut and the resume, by one of the same size and by a longer one.
/// The resumed response is the new object's; it must end the body with `ObjectChanged`,
/// never splice it onto the old one's bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_ignoring_if_match_cannot_splice_two_versions() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    let size = REFERENCE_SIZES[0];
    let cut = 50_000u64;
    for (case, replacement) in [
        (
            "same size",
            pattern(size)
                .slice(1..)
                .to_vec()
                .into_iter()
                .chain([7u8])
                .collect::<Vec<u8>>(),
        ),
        ("longer", pattern(size + 1000).to_vec()),
    ] {
        let key = format!("spliced-{}", replacement.len());
        let original = pattern(size);
        common::put(&direct, BUCKET, &key, &original).await;
        let proxy = FaultyProxy::start_with(
            moto.addr(),
            vec![Fault::CutAfter(cut)],
            Requests::StripConditionals,
        )
        .await
        .unwrap();
        let client = lambda_stream_testkit::servers::s3_client(&proxy.endpoint());
        let request = ObjectRequest::new(BUCKET, &key);
        let response = get_object(&client, &request, &MetadataOptions::default())
            .await
            .unwrap();
        let (_, mut body) = response.into_resumable(client, quick());
        let mut delivered = Vec::new();
        while (delivered.len() as u64) < cut {
            delivered.extend_from_slice(&body.next().await.unwrap().unwrap());
        }
        common::put(&direct, BUCKET, &key, &replacement.into()).await;
        let (rest, error) = until_error(&mut body).await;
        assert!(rest.is_empty(), "{case}: not one byte of the new version");
        let e = error.unwrap_or_else(|| panic!("{case}: a clean end of a spliced body"));
        let BodyErrorKind::ObjectChanged { found, .. } = e.kind() else {
            panic!("{case}: {e}");
        };
        println!("{case}: {e}");
        assert!(found.starts_with("ETag "), "{case}: {found}");
        assert_eq!(e.delivered(), cut);
        assert!(delivered == original[..cut as usize]);
        assert!(body.next().await.is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_retries_fail_and_never_end_cleanly() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    common::put(&direct, BUCKET, "flaky", &pattern(REFERENCE_SIZES[0])).await;
    // Every connection is cut after 10 KB.
    let policy = ResumePolicy {
        max_attempts: 2,
        ..quick()
    };
    let request = ObjectRequest::new(BUCKET, "flaky");
    let (_proxy, mut body) = through_proxy(
        &moto,
        vec![Fault::CutAfter(10_000); 10],
        request.clone(),
        policy,
    )
    .await;
    let (out, error) = until_error(&mut body).await;
    let error = error.expect("an error, not a clean end");
    assert_eq!(out.len(), 30_000, "three connections of 10 KB each");
    assert!(
        matches!(
            error.kind(),
            BodyErrorKind::RetriesExhausted { attempts: 2, .. }
        ),
        "{error}"
    );
    assert!(body.next().await.is_none());

    // With resuming disabled the first cut is final.
    let (_proxy, mut body) = through_proxy(
        &moto,
        vec![Fault::CutAfter(10_000)],
        request,
        ResumePolicy::disabled(),
    )
    .await;
    let (out, error) = until_error(&mut body).await;
    let error = error.expect("an error, not a clean end");
    assert_eq!((out.len(), error.delivered()), (10_000, 10_000));
    println!("resume disabled: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checksum_mismatch_comes_after_every_byte_and_is_not_resumed() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    let data = pattern(REFERENCE_SIZES[0]);
    common::put_summed(&direct, BUCKET, "summed", &data).await;
    let request = ObjectRequest::new(BUCKET, "summed").checksum_validation(true);
    let (_proxy, mut body) =
        through_proxy(&moto, vec![Fault::CorruptAt(1234)], request, quick()).await;
    let (out, error) = until_error(&mut body).await;
    let error = error.expect("the corrupted body ended cleanly");
    // Every byte went out, the corrupted one included, before the SDK could tell.
    assert_eq!(out.len(), data.len());
    assert_ne!(out[1234], data[1234]);
    assert!(error.is_checksum_mismatch(), "{error}");
    assert_eq!(body.attempts(), 0, "a checksum mismatch is not resumed");
    println!("checksum: {error}");
}

/// A log line's writer that the test reads.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_resume_request_without_an_answer_is_named_in_the_next_resume_s_log_line() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    let data = pattern(REFERENCE_SIZES[0]);
    common::put(&direct, BUCKET, "unanswered", &data).await;
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // The first answer is cut after 1,000 bytes; the first resume request, and the SDK's
    // own retries of it, get no answer at all; the next resume is served.
    let mut faults = vec![Fault::CutAfter(1000)];
    faults.extend([Fault::Refuse; 3]);
    let request = ObjectRequest::new(BUCKET, "unanswered");
    let (proxy, mut body) = through_proxy(&moto, faults, request, quick()).await;
    let (out, error) = until_error(&mut body).await;
    assert!(error.is_none(), "{error:?}");
    assert!(out == data[..], "not byte-exact ({} bytes)", out.len());
    assert_eq!(body.attempts(), 2);
    assert!(proxy.connections() >= 5, "{}", proxy.connections());
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let resumes: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("resuming the S3 object body"))
        .collect();
    assert_eq!(resumes.len(), 2, "{logs}");
    assert!(
        resumes[0].contains("S3 object body failed after 1000 bytes"),
        "the first resume names the cut: {}",
        resumes[0]
    );
    // The second names why the first resume failed, with its cause.
    assert!(
        resumes[1].contains("got no answer or a server error")
            && resumes[1].contains("dispatch failure"),
        "the second resume names the unanswered request: {}",
        resumes[1]
    );
    println!("{}", resumes[1]);
}
