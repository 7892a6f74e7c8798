//! A failed invocation is logged by default: a function that sets up no logging at all
//! (the `axum_router` example) still writes one line per failure, with its request id and
//! error type, on standard error, which Lambda sends to CloudWatch Logs.

use lambda_stream_testkit::servers::LocalLambda;
use lambda_stream_testkit::servers::http::get;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_without_a_subscriber_logs_each_failure_with_its_request_id() {
    let example = lambda_stream_testkit::servers::build::example(
        env!("CARGO_MANIFEST_DIR").as_ref(),
        "axum_router",
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for (format, json) in [("", false), ("JSON", true)] {
        let env = [("AWS_LAMBDA_LOG_FORMAT", format.to_owned())];
        let lambda = LocalLambda::start(&example, &env).unwrap_or_else(|e| panic!("{e}"));
        let failed = get(&lambda.url("/fail"), &[]).await.unwrap();
        assert!(!failed.complete, "the response aborts");
        let fine = get(&lambda.url("/hello"), &[]).await.unwrap();
        assert_eq!(fine.status, 200);
        let logs = lambda.logs();
        let lines: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("App.Exhausted"))
            .collect();
        assert_eq!(lines.len(), 1, "one line for the one failure: {logs}");
        let line = lines[0];
        if json {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["level"], "ERROR");
            let id = v["requestId"].as_str().unwrap_or_default();
            assert!(id.len() >= 32, "a request id: {line}");
            assert_eq!(v["errorType"], "App.Exhausted");
            assert_eq!(v["errorMessage"], "the source ran dry after 3 lines");
        } else {
            let rest = line
                .strip_prefix("ERROR ")
                .unwrap_or_else(|| panic!("{line}"));
            let (id, rest) = rest.split_once(' ').unwrap();
            assert!(id.len() >= 32, "a request id: {line}");
            assert_eq!(
                rest,
                "the response failed after it started: App.Exhausted: the source ran dry after 3 lines"
            );
        }
    }
}
