//! The lab's flags, errors and JSON lines, run as a user runs it (not its timings).

use std::process::{Command, Output};

#[cfg(feature = "s3")]
use lambda_stream_testkit::servers::{Moto, s3_client};

fn lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lambda-stream-lab"))
        .args(args)
        .output()
        .unwrap()
}

/// Fast pacing so a run takes milliseconds.
const FAST: &[&str] = &[
    "--source-latency-ms",
    "1",
    "--source-mbps",
    "1000",
    "--client-mbps",
    "1000",
];

fn one_error_line(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("lambda-stream-lab: "), "{err:?}");
    assert!(out.stdout.is_empty());
    err
}

/// The JSON lines of a run that must have succeeded (exit 0).
fn json_rows(out: Output) -> Vec<serde_json::Value> {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn help_and_version_exit_0() {
    let out = lab(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--json",
        "--sizes",
        "--s3-endpoint",
        "--bucket",
        "--lambda-rate",
        "--scenarios",
        "--url",
        "--requests",
        "--timeout",
        "--features s3",
        "--features remote",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    assert_eq!(lab(&["--version"]).status.code(), Some(0));
}

#[test]
fn bad_flags_are_one_line_and_exit_2() {
    let err = one_error_line(&lab(&["--frobnicate"]));
    assert!(err.contains("--frobnicate"), "{err}");
    let err = one_error_line(&lab(&["--sizes", "4.4 parsecs"]));
    assert!(err.contains("parsecs"), "{err}");
    let err = one_error_line(&lab(&["--client-mbps", "0"]));
    assert!(err.contains("positive"), "{err}");
    let err = one_error_line(&lab(&["--lambda-rate", "maybe"]));
    assert!(err.contains("on or off"), "{err}");
    let err = one_error_line(&lab(&["--bucket", "b"]));
    assert!(err.contains("--s3-endpoint"), "{err}");
}

#[test]
fn json_lines_have_the_documented_fields() {
    let mut args = vec!["--json", "--sizes", "1000,70KB", "--scenarios", "simulated"];
    args.extend_from_slice(FAST);
    let out = lab(&args);
    let rows = json_rows(out);
    assert_eq!(rows.len(), 4);
    let expected = [
        (1000, "buffered"),
        (1000, "streamed"),
        (70_000, "buffered"),
        (70_000, "streamed"),
    ];
    for (row, (size, mode)) in rows.iter().zip(expected) {
        let mut keys: Vec<_> = row.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "bytes_copied",
                "fits_limit",
                "machine",
                "mode",
                "part",
                "peak_heap_bytes",
                "settings",
                "size_bytes",
                "total_ms",
                "ttfb_ms"
            ]
        );
        assert_eq!(row["part"], "simulated");
        assert_eq!(row["settings"]["source_mbps"], 1000.0);
        assert_eq!(row["size_bytes"], size);
        assert_eq!(row["mode"], mode);
        assert!(row["ttfb_ms"].as_f64().unwrap() <= row["total_ms"].as_f64().unwrap());
        assert!(row["peak_heap_bytes"].as_u64().unwrap() > 0);
        assert_eq!(row["fits_limit"], true);
    }
    // A buffered response copies at least the object and its base64 twice over.
    assert!(rows[2]["bytes_copied"].as_u64().unwrap() >= 70_000 + 2 * 93_336);
}

#[test]
fn the_table_names_its_settings() {
    let mut args = vec![
        "--sizes",
        "7MB",
        "--lambda-rate",
        "off",
        "--scenarios",
        "simulated",
    ];
    args.extend_from_slice(FAST);
    let out = lab(&args);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("first byte after 1 ms, then 1000 MB/s"),
        "{text}"
    );
    assert!(text.contains("then 2 MB/s): off"), "{text}");
    // 7 MB base64 is over 6 MiB: buffered does not fit, streamed does.
    let lines: Vec<_> = text.lines().filter(|l| l.contains("7.0 MB")).collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].contains("buffered") && lines[0].trim_end().ends_with("no"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("streamed") && lines[1].trim_end().ends_with("yes"),
        "{}",
        lines[1]
    );
}

#[cfg(not(feature = "s3"))]
#[test]
fn without_the_s3_feature_an_endpoint_is_refused_clearly() {
    let err = one_error_line(&lab(&[
        "--s3-endpoint",
        "http://127.0.0.1:9",
        "--bucket",
        "b",
    ]));
    assert!(err.contains("--features s3"), "{err}");
}

#[cfg(feature = "s3")]
#[test]
fn an_unreachable_endpoint_is_one_line_and_exit_2() {
    let err = one_error_line(&lab(&[
        "--s3-endpoint",
        "http://127.0.0.1:9",
        "--bucket",
        "b",
    ]));
    assert!(
        err.contains("cannot reach S3 endpoint http://127.0.0.1:9"),
        "{err}"
    );
}

#[cfg(feature = "s3")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_moto_a_missing_bucket_fails_and_an_existing_one_runs() {
    let moto = Moto::start_async().await.unwrap_or_else(|e| panic!("{e}"));
    let endpoint = moto.endpoint();
    let out = lab(&["--s3-endpoint", &endpoint, "--bucket", "no-such-bucket"]);
    let err = one_error_line(&out);
    assert!(
        err.contains("bucket \"no-such-bucket\" does not exist"),
        "{err}"
    );

    s3_client(&endpoint)
        .create_bucket()
        .bucket("lab")
        .send()
        .await
        .unwrap();
    let args: Vec<String> = [
        "--s3-endpoint",
        &endpoint,
        "--bucket",
        "lab",
        "--json",
        "--sizes",
        "0.2MB",
        "--client-mbps",
        "1000",
        "--scenarios",
        "simulated",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = tokio::task::spawn_blocking(move || {
        lab(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap();
    let rows = json_rows(out);
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r["size_bytes"] == 200_000 && r["fits_limit"] == true)
    );
}

/// The comparison's JSON lines, scenario by scenario, and what each way did: the rows a
/// reader of the README's table relies on.
#[test]
fn every_scenario_of_the_comparison_has_its_rows() {
    let out = lab(&[
        "--json",
        "--sizes",
        "0.2MB",
        "--lambda-rate",
        "off",
        "--source-latency-ms",
        "1",
        "--source-mbps",
        "200",
        "--scenarios",
        "clean,failure,over-budget,slow-client,concurrent,tokens",
    ]);
    let rows = json_rows(out);
    assert_eq!(rows.len(), 6 * 3, "one row per scenario and way");
    let row = |scenario: &str, way: &str| {
        rows.iter()
            .find(|r| r["scenario"] == scenario && r["way"] == way)
            .unwrap_or_else(|| panic!("no {scenario} row for {way}"))
    };
    for r in &rows {
        let mut keys: Vec<_> = r.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "body_bytes",
                "busy_ms",
                "clean_end",
                "event_p50_ms",
                "event_p99_ms",
                "exact",
                "machine",
                "part",
                "reported",
                "requests",
                "scenario",
                "settings",
                "size_bytes",
                "status",
                "total_ms",
                "ttfb_ms",
                "way"
            ]
        );
        assert_eq!(r["part"], "comparison");
        assert_eq!(r["settings"]["budget"], 10_000_000);
    }
    for way in ["buffered", "lambda_http", "lambda-stream"] {
        let clean = row("clean", way);
        assert_eq!(
            (clean["status"].as_u64(), clean["exact"].as_bool()),
            (Some(200), Some(true)),
            "{way}"
        );
        let many = row("concurrent", way);
        assert_eq!(many["requests"], 16);
        assert_eq!(many["exact"], true, "{way}: all 16 whole");
        // Every event arrived whole, each one timed; other scenarios time none.
        let tokens = row("tokens", way);
        assert_eq!(tokens["exact"], true, "{way}: all 100 events");
        assert_eq!(tokens["body_bytes"], 4000, "{way}");
        assert!(tokens["event_p50_ms"].is_f64(), "{way}: {tokens}");
        assert!(tokens["event_p99_ms"].as_f64() >= tokens["event_p50_ms"].as_f64());
        assert!(clean["event_p50_ms"].is_null());
    }
    // Failure half way: what the client and Lambda saw, each way.
    let b = row("failure", "buffered");
    assert_eq!(b["status"], 502);
    assert!(b["reported"].is_string());
    let h = row("failure", "lambda_http");
    assert_eq!(
        (
            h["status"].as_u64(),
            h["clean_end"].as_bool(),
            h["exact"].as_bool()
        ),
        (Some(200), Some(true), Some(false))
    );
    assert!(h["reported"].is_null(), "lambda_http reports a success");
    let s = row("failure", "lambda-stream");
    assert_eq!(
        (s["status"].as_u64(), s["clean_end"].as_bool()),
        (Some(200), Some(false))
    );
    assert_eq!(s["body_bytes"], 2_200_000);
    assert_eq!(s["reported"], "Body.Failed");
    // Over the budget: refused before the first byte by lambda-stream, cut by Lambda for
    // lambda_http, refused by Lambda buffered.
    assert_eq!(row("over-budget", "lambda-stream")["status"], 413);
    let h = row("over-budget", "lambda_http");
    assert_eq!(
        (h["clean_end"].as_bool(), h["body_bytes"].as_u64()),
        (Some(false), Some(10_000_000))
    );
    assert_eq!(row("over-budget", "buffered")["status"], 502);
    // A slow client takes seconds; the function does not.
    for way in ["buffered", "lambda_http", "lambda-stream"] {
        let slow = row("slow-client", way);
        let (total, busy) = (
            slow["total_ms"].as_f64().unwrap(),
            slow["busy_ms"].as_f64().unwrap(),
        );
        assert!(total >= 1900.0, "{way}: 0.2 MB at 100 KB/s, {total} ms");
        assert!(busy < total / 4.0, "{way}: busy {busy} ms of {total}");
    }
}

#[cfg(not(feature = "remote"))]
#[test]
fn without_the_remote_feature_a_url_is_refused_clearly() {
    let err = one_error_line(&lab(&["--url", "https://example.com/"]));
    assert!(err.contains("--features remote"), "{err}");
}

/// A server on 127.0.0.1 that answers every connection with `answer`, or never (`None`).
#[cfg(feature = "remote")]
async fn fixed_server(answer: Option<&'static [u8]>) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/thing", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            match answer {
                Some(bytes) => {
                    let _ = socket.write_all(bytes).await;
                }
                // Stalls: reads the request, never answers, keeps the connection open.
                None => held.push(socket),
            }
        }
    });
    (url, task)
}

#[cfg(feature = "remote")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_are_measured_and_failures_reported_not_hung() {
    use lambda_stream_testkit::servers::local_lambda::{LocalLambda, Options};
    use sha2::Digest;
    let lambda = LocalLambda::start_with(
        env!("CARGO_BIN_EXE_lambda-stream-lab").as_ref(),
        &[
            ("LAB_FUNCTION", "lambda-stream".to_owned()),
            ("LAB_SOURCE_LATENCY_MS", "1".to_owned()),
        ],
        Options::default(),
    )
    .unwrap();
    let good = lambda.url("object?size=200000");
    let (not_found, a) = fixed_server(Some(
        b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot found",
    ))
    .await;
    let (stalled, b) = fixed_server(None).await;
    let refused = format!(
        "http://127.0.0.1:{}/",
        lambda_stream_testkit::servers::free_port().unwrap()
    );
    let args: Vec<String> = [
        "--json",
        "--requests",
        "2",
        "--timeout",
        "1",
        "--url",
        &good,
        "--url",
        &not_found,
        "--url",
        &refused,
        "--url",
        &stalled,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        lab(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "not hung"
    );
    let rows = json_rows(out);
    assert_eq!(rows.len(), 4);
    let expected: String = sha2::Sha256::digest(lambda_stream_testkit::data::pattern(200_000))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let ok = &rows[0];
    assert_eq!(ok["statuses"], serde_json::json!([200, 200]));
    assert_eq!(ok["body_bytes"], 200_000);
    assert_eq!(ok["sha256"], expected.as_str());
    assert_eq!(ok["bodies_differ"], false);
    assert!(ok["ttfb_ms"]["max"].as_f64().unwrap() <= ok["total_ms"]["max"].as_f64().unwrap());
    assert_eq!(ok["errors"], serde_json::json!([]));
    assert_eq!(rows[1]["statuses"], serde_json::json!([404, 404]));
    assert_eq!(rows[1]["body_bytes"], 9);
    assert_eq!(rows[2]["statuses"], serde_json::json!([0, 0]));
    assert!(
        rows[2]["errors"][0]
            .as_str()
            .unwrap()
            .contains("onnection refused"),
        "{}",
        rows[2]
    );
    assert_eq!(rows[3]["statuses"], serde_json::json!([0, 0]));
    assert!(
        rows[3]["errors"][1]
            .as_str()
            .unwrap()
            .contains("no answer within 1 s"),
        "{}",
        rows[3]
    );
    a.abort();
    b.abort();

    let err = one_error_line(&lab(&["--url", "ftp://example.com/x"]));
    assert!(err.contains("expected an http:// or https:// URL"), "{err}");
    let err = one_error_line(&lab(&["--url", "http://127.0.0.1:9/", "--requests", "0"]));
    assert!(err.contains("--requests"), "{err}");
}
