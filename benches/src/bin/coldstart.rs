//! Cold start and size: a minimal streaming function (a 5-byte body) on
//! `lambda_stream_runtime` and the same on `lambda_http::run_with_streaming_response`
//! (the function binaries of the runtime comparison, built in release), each started fresh
//! for every round, rounds interleaved, against the Runtime API emulator on loopback, with
//! its first invocation already queued, as a cold start finds it:
//!
//! - init: from starting the process to its first `next` request;
//! - first TTFB: from that request to the first byte of the response (the prelude);
//! - the stripped release binary's size;
//! - peak RSS after the first invocation.
//!
//! Then the runtime's `quick_start` example (S3 through the AWS SDK, built in release) on
//! `moto_server`: the same init (the SDK's configuration loading included) and first TTFB
//! (its first S3 request included), when `moto_server` is installed.
//!
//! Targets: init, binary size and peak RSS each at most 1.0 times `lambda_http`'s.
//!
//! `cargo run --release -p lambda-stream-benches --bin coldstart [-- --rounds N --json]`

use std::path::Path;
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant};

use lambda_stream_benches::function::{peak_rss, release_binaries, spawn};
use lambda_stream_benches::{Args, median};
use lambda_stream_testkit::servers::build::runtime_example;
use lambda_stream_testkit::servers::http::request_with_body;
use lambda_stream_testkit::servers::runtime_api::{Options, Update, function_url_event};
use lambda_stream_testkit::servers::{Moto, RuntimeApi};

const WAYS: [(&str, &str); 2] = [
    ("lambda-stream", "fn-lambda-stream"),
    ("lambda_http", "fn-lambda-http"),
];

/// What one cold start measured.
struct Cold {
    init: Duration,
    ttfb: Duration,
    peak_rss: u64,
}

/// Starts `exe` against a fresh emulator with one invocation of `path` queued, and
/// measures its cold start.
fn cold_start(
    rt: &tokio::runtime::Runtime,
    exe: &Path,
    env: &[(&str, String)],
    path: &str,
) -> Result<Cold, String> {
    let api = RuntimeApi::start_with(Options {
        record: false,
        ..Options::default()
    })
    .map_err(|e| format!("starting the emulator: {e}"))?;
    let mut invocation = api.invoke(function_url_event("GET", path, &[]));
    let started = Instant::now();
    let mut child: Child = spawn(exe, &api.function_env(), env)?;
    let outcome = (|| {
        while api.next_requests() == 0 {
            if started.elapsed() > Duration::from_secs(30) {
                return Err(format!("{} asked for no invocation in 30 s", exe.display()));
            }
            std::thread::sleep(Duration::from_micros(20));
        }
        let init_at = Instant::now();
        let first = rt.block_on(async {
            loop {
                match tokio::time::timeout(Duration::from_secs(30), invocation.next()).await {
                    Ok(Some(Update::Data(_))) => return Ok(Instant::now()),
                    Ok(Some(Update::Trailers(t))) => return Err(format!("error trailers: {t:?}")),
                    Ok(Some(Update::End { .. })) => return Err("no body".to_owned()),
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => return Err("no answer in 30 s".to_owned()),
                }
            }
        })?;
        rt.block_on(async {
            while let Some(update) = invocation.next().await {
                match update {
                    Update::End { complete: true } => return Ok(()),
                    Update::End { complete: false } => return Err("ended abnormally".to_owned()),
                    Update::Trailers(t) => return Err(format!("error trailers: {t:?}")),
                    _ => {}
                }
            }
            Err("the emulator stopped".to_owned())
        })?;
        // A moment later it waits for its next invocation.
        std::thread::sleep(Duration::from_millis(20));
        Ok(Cold {
            init: init_at - started,
            ttfb: first - init_at,
            peak_rss: peak_rss(child.id()),
        })
    })();
    let _ = child.kill();
    let _ = child.wait();
    outcome
}

/// The size of `exe` stripped of symbols and debug information (`strip`), in bytes.
fn stripped_size(exe: &Path) -> Result<u64, String> {
    let out = std::env::temp_dir().join(format!(
        "coldstart-{}-{}",
        std::process::id(),
        exe.file_name().and_then(|n| n.to_str()).unwrap_or("exe")
    ));
    let status = Command::new("strip")
        .arg("-o")
        .arg(&out)
        .arg(exe)
        .status()
        .map_err(|e| format!("running strip: {e}"))?;
    if !status.success() {
        return Err(format!("strip {}: {status}", exe.display()));
    }
    let len = std::fs::metadata(&out).map_err(|e| e.to_string())?.len();
    let _ = std::fs::remove_file(&out);
    Ok(len)
}

/// `PUT path` with `body` to moto (which checks no signature): a bucket, or an object.
async fn put(endpoint: &str, path: &str, body: &[u8]) -> Result<(), String> {
    let answer = request_with_body("PUT", &format!("{endpoint}{path}"), &[], body)
        .await
        .map_err(|e| format!("PUT {path}: {e}"))?;
    match answer.status {
        200 => Ok(()),
        status => Err(format!("PUT {path}: {status}")),
    }
}

/// The quick start's cold starts on moto, or why they could not run.
fn s3_cold_starts(rt: &tokio::runtime::Runtime, rounds: usize) -> Result<Vec<Cold>, String> {
    let moto = Moto::start().map_err(|e| format!("moto_server: {e}"))?;
    let endpoint = moto.endpoint();
    rt.block_on(async {
        put(&endpoint, "/coldstart", b"").await?;
        put(&endpoint, "/coldstart/object", &vec![b'x'; 64 * 1024]).await
    })?;
    let exe = runtime_example("quick_start").map_err(|e| e.to_string())?;
    let env = [
        ("BUCKET", "coldstart".to_owned()),
        ("AWS_ENDPOINT_URL_S3", moto.endpoint()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("S3_FORCE_PATH_STYLE", "true".to_owned()),
    ];
    (0..rounds)
        .map(|_| cold_start(rt, &exe, &env, "/object"))
        .collect()
}

struct Row {
    way: &'static str,
    init_ms: f64,
    ttfb_ms: f64,
    size: u64,
    peak_rss: u64,
}

fn main() -> ExitCode {
    let args = Args::from_env();
    let rounds = args.number("--rounds", 15).max(1) as usize;
    let json = args.has("--json");
    let run = || -> Result<Vec<Row>, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let exes = release_binaries(&WAYS.map(|(_, bin)| bin))?;
        let env = [
            ("BODY_BYTES", "5".to_owned()),
            ("CHUNK_BYTES", "5".to_owned()),
        ];
        let mut colds: Vec<Vec<Cold>> = WAYS.iter().map(|_| Vec::new()).collect();
        for round in 0..rounds {
            for k in 0..WAYS.len() {
                let i = (round + k) % WAYS.len();
                colds[i].push(cold_start(&rt, &exes[i], &env, "/")?);
            }
        }
        let mut rows = Vec::new();
        for (i, exe) in exes.iter().enumerate() {
            rows.push(Row {
                way: WAYS[i].0,
                init_ms: median(
                    colds[i]
                        .iter()
                        .map(|c| c.init.as_secs_f64() * 1e3)
                        .collect(),
                ),
                ttfb_ms: median(
                    colds[i]
                        .iter()
                        .map(|c| c.ttfb.as_secs_f64() * 1e3)
                        .collect(),
                ),
                size: stripped_size(exe)?,
                peak_rss: median(colds[i].iter().map(|c| c.peak_rss as f64).collect()) as u64,
            });
        }
        match s3_cold_starts(&rt, rounds.min(5)) {
            Ok(colds) => rows.push(Row {
                way: "quick_start (S3)",
                init_ms: median(colds.iter().map(|c| c.init.as_secs_f64() * 1e3).collect()),
                ttfb_ms: median(colds.iter().map(|c| c.ttfb.as_secs_f64() * 1e3).collect()),
                size: stripped_size(&runtime_example("quick_start").map_err(|e| e.to_string())?)?,
                peak_rss: median(colds.iter().map(|c| c.peak_rss as f64).collect()) as u64,
            }),
            Err(e) => eprintln!("the S3 example's cold start was not measured: {e}"),
        }
        Ok(rows)
    };
    let rows = match run() {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("coldstart: {e}");
            return ExitCode::from(2);
        }
    };
    let (Some(ours), Some(theirs)) = (
        rows.iter().find(|r| r.way == "lambda-stream"),
        rows.iter().find(|r| r.way == "lambda_http"),
    ) else {
        return ExitCode::from(2);
    };
    let checks = [
        (
            "init, lambda-stream / lambda_http",
            ours.init_ms / theirs.init_ms,
        ),
        (
            "binary size, lambda-stream / lambda_http",
            ours.size as f64 / theirs.size as f64,
        ),
        (
            "peak RSS, lambda-stream / lambda_http",
            ours.peak_rss as f64 / theirs.peak_rss as f64,
        ),
    ];
    if json {
        for r in &rows {
            println!(
                "{}",
                serde_json::json!({
                    "way": r.way, "rounds": rounds, "init_ms": r.init_ms,
                    "first_ttfb_ms": r.ttfb_ms, "stripped_bytes": r.size, "peak_rss": r.peak_rss,
                })
            );
        }
        for (what, value) in checks {
            println!(
                "{}",
                serde_json::json!({"ratio": what, "value": value, "target": "<= 1.0"})
            );
        }
        return ExitCode::SUCCESS;
    }
    println!("cold starts, {rounds} rounds (medians), emulator on loopback, release builds\n");
    println!(
        "{:>17}  {:>9}  {:>15}  {:>14}  {:>9}",
        "function", "init ms", "first TTFB ms", "stripped size", "peak RSS"
    );
    for r in &rows {
        println!(
            "{:>17}  {:>9.2}  {:>15.2}  {:>11.2} MB  {:>6.1} MB",
            r.way,
            r.init_ms,
            r.ttfb_ms,
            r.size as f64 / 1e6,
            r.peak_rss as f64 / 1e6
        );
    }
    println!();
    for (what, value) in checks {
        println!(
            "{what}: {value:.3} (target <= 1.0: {})",
            if value <= 1.0 { "met" } else { "missed" }
        );
    }
    ExitCode::SUCCESS
}
