//! The workspace README's quick start, run as it is there (`examples/quick_start.rs`) on the
//! test kit's local Lambda against `moto_server`: an object arrives byte-exact, and a
//! missing key fails with S3's own error, `NoSuchKey`, its message and a log line.

use std::path::PathBuf;

use lambda_stream_testkit::data::pattern;
use lambda_stream_testkit::servers::http::get;
use lambda_stream_testkit::servers::{LocalLambda, moto_with_bucket, s3_env};

const BUCKET: &str = "quick";

fn example() -> PathBuf {
    lambda_stream_testkit::servers::build::runtime_example("quick_start")
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_readme_quick_start_is_the_example() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../../README.md")).unwrap();
    let example = std::fs::read_to_string(root.join("examples/quick_start.rs")).unwrap();
    let block = lambda_stream_testkit::readme::rust_block(
        &readme,
        "The same function with these crates, in `src/main.rs`:",
    )
    .expect("the README's quick start");
    let code = &example[example.find("use lambda_stream").unwrap()..];
    assert_eq!(block, code);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quick_start_serves_an_object_and_names_a_missing_key_no_such_key() {
    let (moto, s3) = moto_with_bucket(BUCKET).await.unwrap();
    let data = pattern(300_000);
    s3.put_object()
        .bucket(BUCKET)
        .key("some/key")
        .body(data.clone().into())
        .content_type("application/x-test")
        .send()
        .await
        .unwrap();
    let mut env = s3_env(&moto.endpoint());
    env.push(("BUCKET", BUCKET.to_owned()));
    let lambda = LocalLambda::start(&example(), &env).unwrap_or_else(|e| panic!("{e}"));

    let ok = get(&lambda.url("/some/key"), &[]).await.unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("content-type"), Some("application/x-test"));
    assert!(ok.complete);
    assert!(ok.body == data[..], "byte-exact");

    let missing = get(&lambda.url("/no/such/key"), &[]).await.unwrap();
    assert_eq!(missing.status, 502, "an error before the first byte");
    let records = lambda.records();
    let (error_type, message) = records
        .iter()
        .find(|r| r.path == "/no/such/key")
        .and_then(|r| r.error.clone())
        .expect("the invocation is recorded as failed");
    assert_eq!(error_type, "NoSuchKey");
    assert!(
        message.contains("The specified key does not exist."),
        "{message}"
    );
    // The cause chain, each thing said once: the SDK's outer error, then S3's.
    assert_eq!(
        message,
        "service error: NoSuchKey: The specified key does not exist."
    );
    // The failure is logged by default, with its request id and error type.
    let logs = lambda.logs();
    assert!(
        logs.lines()
            .any(|l| l.contains("NoSuchKey") && l.contains("ERROR")),
        "{logs}"
    );
}

/// Under `AWS_LAMBDA_LOG_FORMAT=JSON` every line is one JSON object, and the failure's
/// carries the invocation's request id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_json_log_format_the_failure_is_one_json_line_with_its_request_id() {
    let (moto, _s3) = moto_with_bucket(BUCKET).await.unwrap();
    let mut env = s3_env(&moto.endpoint());
    env.push(("BUCKET", BUCKET.to_owned()));
    env.push(("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()));
    env.push(("AWS_LAMBDA_LOG_LEVEL", "WARN".to_owned()));
    let lambda = LocalLambda::start(&example(), &env).unwrap_or_else(|e| panic!("{e}"));
    let missing = get(&lambda.url("/missing"), &[]).await.unwrap();
    assert_eq!(missing.status, 502);
    drop(lambda.records());
    let logs = lambda.logs();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let failure = lines
        .iter()
        .find(|l| l["fields"]["error_type"] == "NoSuchKey")
        .unwrap_or_else(|| panic!("no JSON failure line: {logs}"));
    assert_eq!(failure["level"], "ERROR");
    let request_id = failure["span"]["requestId"].as_str().unwrap_or_default();
    assert!(request_id.len() > 10, "{failure}");
    assert!(
        lines.iter().all(|l| l["level"] != "INFO"),
        "AWS_LAMBDA_LOG_LEVEL=WARN drops INFO lines: {logs}"
    );
    eprintln!("{failure}");
}
