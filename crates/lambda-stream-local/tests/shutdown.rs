//! Lambda's shutdown phase on the local Lambda, with the runtime's `graceful_shutdown`
//! example (which registers an internal extension through `Runtime::on_shutdown`) and, as
//! the control, `axum_router` (which registers none).
//!
//! A response in flight when the phase begins finishes whole within the grace period; one
//! that would outlast it ends without its last chunk (the runtime's error trailers,
//! `Runtime.Shutdown`). Either way the hook runs and the process exits by itself, with
//! status 0, before the 500 ms deadline. A function without an extension gets no signal and
//! is killed, as Lambda does.

use std::time::Duration;

use lambda_stream_local::LocalLambda;
use lambda_stream_testkit::servers::http::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The bytes of a response to `GET path`, read from the function URL front: the shutdown
/// phase begins once the first line has arrived, and the rest is read to the end.
async fn shutdown_mid_response(
    lambda: LocalLambda,
    path: &str,
) -> (String, lambda_stream_local::Shutdown, LocalLambda) {
    let url = lambda.url(path);
    let addr = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&raw).contains("line 0") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the response ended before its first line");
        raw.extend_from_slice(&buf[..n]);
    }
    let mut lambda = lambda;
    let (report, lambda) = tokio::task::spawn_blocking(move || {
        let report = lambda.shutdown();
        (report, lambda)
    })
    .await
    .unwrap();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("the response ended")
        .unwrap();
    (String::from_utf8_lossy(&raw).into_owned(), report, lambda)
}

fn example(name: &str) -> std::path::PathBuf {
    lambda_stream_testkit::servers::build::runtime_example(name).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_in_flight_finishes_then_the_hook_runs_and_the_process_exits() {
    let lambda = LocalLambda::start(&example("graceful_shutdown"), &[]).unwrap();
    // Warm: the process is up, and its extension registered during its init.
    let warm = get(&lambda.url("/count/1"), &[]).await.unwrap();
    assert!(warm.complete);
    let extensions = lambda.runtime_api().extensions();
    assert_eq!(extensions.len(), 1, "{extensions:?}");
    assert_eq!(extensions[0].name, "lambda-stream-runtime-shutdown");
    assert!(extensions[0].events.is_empty(), "subscribed to nothing");

    // 10 lines, 100 ms: within the 300 ms grace period.
    let (raw, report, lambda) = shutdown_mid_response(lambda, "/count/10").await;
    eprintln!("the shutdown phase took {:?}", report.took);
    assert!(report.signalled, "SIGTERM, since an extension registered");
    let status = report.exits[0].unwrap_or_else(|| {
        panic!(
            "killed at the deadline, after {:?}: {}",
            report.took, report.logs
        )
    });
    assert!(status.success(), "{status}: {}", report.logs);
    for i in 0..10 {
        assert!(raw.contains(&format!("line {i}\n")), "line {i}: {raw}");
    }
    assert!(
        raw.ends_with("0\r\n\r\n"),
        "the response ended whole: {raw:?}"
    );
    assert!(
        report
            .logs
            .contains("shutdown hook: flushed a count of 11 lines served"),
        "the hook ran after both responses: {}",
        report.logs
    );
    let record = lambda.records().into_iter().last().unwrap();
    assert_eq!(record.error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_that_outlasts_the_grace_period_is_cut_with_error_trailers() {
    let lambda = LocalLambda::start(&example("graceful_shutdown"), &[]).unwrap();
    // 1,000 lines, 10 s: far past the grace period.
    let (raw, report, lambda) = shutdown_mid_response(lambda, "/count/1000").await;
    eprintln!("the shutdown phase took {:?}", report.took);
    let status = report.exits[0].unwrap_or_else(|| {
        panic!(
            "killed at the deadline, after {:?}: {}",
            report.took, report.logs
        )
    });
    assert!(status.success(), "{status}: {}", report.logs);
    assert!(!raw.ends_with("0\r\n\r\n"), "no last chunk: {raw:?}");
    assert!(!raw.contains("line 999"), "{raw}");
    assert!(
        report.logs.contains("shutdown hook: flushed"),
        "{}",
        report.logs
    );
    // The local Lambda saw the runtime's trailers: the invocation failed, and why.
    let mut records = lambda.records();
    for _ in 0..100 {
        if !records.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        records = lambda.records();
    }
    let (error_type, message) = records[0].error.clone().expect("a failed invocation");
    assert_eq!(error_type, "Runtime.Shutdown", "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_without_an_extension_gets_no_signal_and_is_killed() {
    let mut lambda = LocalLambda::start(&example("axum_router"), &[]).unwrap();
    let warm = get(&lambda.url("/hello"), &[]).await.unwrap();
    assert_eq!(warm.status, 200);
    assert!(lambda.runtime_api().extensions().is_empty());
    let report = tokio::task::spawn_blocking(move || lambda.shutdown())
        .await
        .unwrap();
    assert!(!report.signalled);
    assert_eq!(report.exits, [None], "killed, not exited");
}
