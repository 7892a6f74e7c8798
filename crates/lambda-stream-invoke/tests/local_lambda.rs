//! The `s3_object` example on the test kit's local Lambda, with `moto_server` as S3,
//! invoked through the real `aws-sdk-lambda` client and through a function URL: objects
//! arrive byte-exact, and a failure mid-body arrives as an error carrying the function's
//! error type, and as an aborted response, within a second.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::client;
use futures_util::StreamExt;
use lambda_stream_invoke::{InvokeErrorKind, invoke};
use lambda_stream_testkit::data::{REFERENCE_SIZES, megabytes, pattern};
use lambda_stream_testkit::servers::runtime_api::function_url_event;
use lambda_stream_testkit::servers::{Fault, FaultyProxy, LocalLambda, moto_with_bucket, s3_env};

const BUCKET: &str = "invoked";

fn example() -> &'static PathBuf {
    static EXAMPLE: OnceLock<PathBuf> = OnceLock::new();
    EXAMPLE.get_or_init(|| {
        lambda_stream_testkit::servers::build::runtime_example("s3_object")
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

fn start(s3_endpoint: &str, extra: &[(&'static str, &str)]) -> LocalLambda {
    let mut env = s3_env(s3_endpoint);
    env.push(("S3_BUCKET", BUCKET.to_owned()));
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    LocalLambda::start(example(), &env).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_arrive_byte_exact_through_invoke_with_response_stream() {
    let (moto, s3) = moto_with_bucket(BUCKET).await.unwrap();
    let lambda = start(&moto.endpoint(), &[]);
    let client = client(&lambda);
    for size in REFERENCE_SIZES {
        let data = pattern(size);
        s3.put_object()
            .bucket(BUCKET)
            .key(format!("object-{size}"))
            .body(data.clone().into())
            .content_type("application/octet-stream")
            .send()
            .await
            .unwrap();
        let event = function_url_event("GET", &format!("/object-{size}"), &[]);
        let started = Instant::now();
        let response = invoke(&client, "s3_object", event)
            .await
            .unwrap_or_else(|e| panic!("{e}: {}", lambda.logs()));
        let prelude = response.prelude().expect("an HTTP response").clone();
        assert_eq!(prelude.status(), 200);
        assert_eq!(
            prelude.get("Content-Type"),
            Some("application/octet-stream")
        );
        assert_eq!(
            prelude.get("x-amzn-remapped-content-length"),
            Some(size.to_string().as_str())
        );
        let mut body = response.into_body();
        let mut received = Vec::with_capacity(size);
        let mut events = 0;
        while let Some(chunk) = body.next().await {
            received.extend_from_slice(&chunk.unwrap());
            events += 1;
        }
        assert!(received == data[..], "{}: body differs", megabytes(size));
        println!(
            "InvokeWithResponseStream, {}: {} payload events, {:.1} ms",
            megabytes(size),
            events,
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    // An error before the first byte: no HTTP response at all (its content type is not the
    // integration type), and a body that fails at once, with the function's error type.
    let response = invoke(&client, "s3_object", Bytes::from_static(b"not an event"))
        .await
        .unwrap();
    assert!(response.prelude().is_none());
    let e = response.into_body().next().await.unwrap().unwrap_err();
    assert_eq!(e.error_code(), Some("Runtime.InvalidEvent"), "{e}");
    assert_eq!(e.delivered(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_mid_body_is_an_error_for_the_sdk_and_an_abort_for_the_function_url() {
    let (moto, s3) = moto_with_bucket(BUCKET).await.unwrap();
    let size = REFERENCE_SIZES[1];
    let data = pattern(size);
    s3.put_object()
        .bucket(BUCKET)
        .key("fragile")
        .body(data.clone().into())
        .send()
        .await
        .unwrap();
    let cut = (size / 2) as u64;
    // Every S3 connection of the function is cut half way through its body.
    let proxy = FaultyProxy::start(moto.addr(), vec![Fault::CutAfter(cut); 2])
        .await
        .unwrap();
    let lambda = start(&proxy.endpoint(), &[("S3_RESUME", "off")]);

    let response = invoke(
        &client(&lambda),
        "s3_object",
        function_url_event("GET", "/fragile", &[]),
    )
    .await
    .unwrap();
    let mut body = response.into_body();
    let mut received = 0u64;
    let mut last_byte = Instant::now();
    let error = loop {
        match body.next().await {
            Some(Ok(chunk)) => {
                received += chunk.len() as u64;
                last_byte = Instant::now();
            }
            Some(Err(e)) => break e,
            None => panic!("a failed body ended cleanly after {received} bytes"),
        }
    };
    let after = last_byte.elapsed();
    println!(
        "InvokeWithResponseStream, failure mid-body: {received} of {size} bytes, then {error} ({:.0} ms after the last byte)",
        after.as_secs_f64() * 1e3
    );
    assert_eq!(received, cut, "every byte before the cut, and no other");
    let InvokeErrorKind::Function { error_code, .. } = error.kind() else {
        panic!("{error}");
    };
    assert_eq!(error_code, "Body.Failed", "the function's own error type");
    assert!(after < Duration::from_secs(1), "{after:?}");

    let url = lambda.url("fragile");
    let r = tokio::time::timeout(
        Duration::from_secs(60),
        lambda_stream_testkit::servers::http::get(&url, &[]),
    )
    .await
    .unwrap()
    .unwrap();
    println!(
        "function URL, failure mid-body: status {}, {} of {size} bytes, complete {}, stalled {}, total {:.0} ms",
        r.status,
        r.body.len(),
        r.complete,
        r.stalled,
        r.total.as_secs_f64() * 1e3
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len() as u64, cut);
    assert!(r.body == data[..cut as usize]);
    assert!(
        !r.complete && !r.stalled,
        "aborted: no last chunk, and no stall"
    );
    assert!(r.total < Duration::from_secs(5), "{:?}", r.total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_writes_a_whole_body_and_refuses_a_failed_one() {
    let (moto, s3) = moto_with_bucket(BUCKET).await.unwrap();
    let data = pattern(REFERENCE_SIZES[1]);
    s3.put_object()
        .bucket(BUCKET)
        .key("file")
        .body(data.clone().into())
        .send()
        .await
        .unwrap();
    let cut = 1_000_000;
    // The second S3 connection (the second invocation) is cut.
    let proxy = FaultyProxy::start(moto.addr(), vec![Fault::None, Fault::CutAfter(cut)])
        .await
        .unwrap();
    let lambda = start(&proxy.endpoint(), &[("S3_RESUME", "off")]);
    let example = lambda_stream_testkit::servers::build::example(
        env!("CARGO_MANIFEST_DIR").as_ref(),
        "invoke_to_file",
        &[],
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("invoke-to-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("file");
    let endpoint = lambda.endpoint();
    let target = out.clone();
    let run = move || {
        let output = std::process::Command::new(&example)
            .args(["s3_object", "/file", target.to_str().unwrap()])
            .env("AWS_ENDPOINT_URL_LAMBDA", &endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stderr) = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(std::fs::read(&out).unwrap() == data[..], "the whole object");
    assert!(
        stderr.contains("status 200") && stderr.contains("MB/s"),
        "{stderr}"
    );
    let (code, stderr) = tokio::task::spawn_blocking(run).await.unwrap();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("Body.Failed"), "{stderr}");
    assert!(!out.exists(), "the partial file is gone");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The example built once and deployed twice, as `deploy/` does: streamed, and buffered
/// (`S3_OBJECT_MODE=buffered`), whose 6 MB limit a 13.8 MB object is over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_in_buffered_mode_serves_what_fits_and_lambda_refuses_the_rest() {
    let (moto, s3) = moto_with_bucket(BUCKET).await.unwrap();
    for size in [REFERENCE_SIZES[0], REFERENCE_SIZES[2]] {
        s3.put_object()
            .bucket(BUCKET)
            .key(format!("object-{size}"))
            .body(pattern(size).into())
            .send()
            .await
            .unwrap();
    }
    let lambda = start(&moto.endpoint(), &[("S3_OBJECT_MODE", "buffered")]);
    let get = |key: String| {
        let url = lambda.url(&key);
        async move {
            tokio::time::timeout(
                Duration::from_secs(60),
                lambda_stream_testkit::servers::http::get(&url, &[]),
            )
            .await
            .unwrap()
            .unwrap()
        }
    };
    let small = get(format!("object-{}", REFERENCE_SIZES[0])).await;
    assert_eq!(
        (small.status, small.complete),
        (200, true),
        "{}",
        lambda.logs()
    );
    assert!(small.body == pattern(REFERENCE_SIZES[0])[..]);
    assert!(
        small.header("transfer-encoding").is_none(),
        "a whole, buffered response"
    );
    let big = get(format!("object-{}", REFERENCE_SIZES[2])).await;
    assert_eq!(big.status, 502, "over Lambda's 6 MB buffered limit");
    let records = lambda.records();
    assert_eq!(
        records
            .last()
            .and_then(|r| r.error.as_ref())
            .map(|e| e.0.as_str()),
        Some(lambda_stream_testkit::servers::local_lambda::TOO_LARGE)
    );
}
