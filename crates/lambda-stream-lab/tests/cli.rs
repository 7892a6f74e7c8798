//! The lab's flags, errors and JSON lines, run as a user runs it (not its timings).

use std::process::{Command, Output};

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
    let mut args = vec!["--json", "--sizes", "1000,70KB"];
    args.extend_from_slice(FAST);
    let out = lab(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
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
                "mode",
                "peak_heap_bytes",
                "size_bytes",
                "total_ms",
                "ttfb_ms"
            ]
        );
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
    let mut args = vec!["--sizes", "7MB", "--lambda-rate", "off"];
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
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = tokio::task::spawn_blocking(move || {
        lab(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r["size_bytes"] == 200_000 && r["fits_limit"] == true)
    );
}
