//! The runtime end to end: invocations of 200 MB streamed from memory through real
//! function processes to the test kit's Runtime API emulator on loopback, three ways in
//! the same run, interleaved round by round:
//!
//! - `bare-hyper`: a bare hyper client posting the same chunks with no processing (the
//!   limit);
//! - `lambda-stream`: `lambda_stream_runtime::run` with `lambda_stream::response`;
//! - `lambda_runtime`: `lambda_runtime::run` with a plain `StreamResponse`.
//!
//! For each way: throughput and the function process's CPU time per GB (medians over the
//! rounds; CPU read from `/proc` around each invocation), and its peak RSS at 20 MB and at
//! 200 MB (read from `/proc` while it waits for its next invocation); then the ratios
//! against the targets. Every way's process is started and stopped here.
//!
//! `cargo run --release -p lambda-stream-benches --bin runtime [-- --rounds N --chunk BYTES --json]`

use std::process::{Child, ExitCode};
use std::time::{Duration, Instant};

use lambda_stream_benches::function::{cpu_ns, peak_rss, release_binaries, spawn};
use lambda_stream_benches::{Args, median};
use lambda_stream_testkit::servers::RuntimeApi;
use lambda_stream_testkit::servers::runtime_api::{Options, Update, function_url_event};

const WAYS: [(&str, &str); 3] = [
    ("bare-hyper", "fn-bare-hyper"),
    ("lambda-stream", "fn-lambda-stream"),
    ("lambda_runtime", "fn-lambda-runtime"),
];
const LARGE: u64 = 200_000_000;
const SMALL: u64 = 20_000_000;

struct Function {
    api: RuntimeApi,
    child: Child,
    body: u64,
}

impl Function {
    fn start(exe: &std::path::Path, body: u64, chunk: u64) -> Result<Function, String> {
        let api = RuntimeApi::start_with(Options {
            record: false,
            deliver_data: false,
            ..Options::default()
        })
        .map_err(|e| format!("starting the emulator: {e}"))?;
        let env = [
            ("BODY_BYTES", body.to_string()),
            ("CHUNK_BYTES", chunk.to_string()),
        ];
        let child = spawn(exe, &api.function_env(), &env)?;
        Ok(Function { api, child, body })
    }

    /// One invocation: the time to the end of its response and the function's CPU time
    /// meanwhile, after checking every byte arrived and the response ended cleanly.
    async fn invoke(&self) -> Result<(Duration, u64), String> {
        let cpu_before = cpu_ns(self.child.id());
        let started = Instant::now();
        let mut invocation = self.api.invoke(function_url_event("GET", "/", &[]));
        let mut bytes = 0u64;
        loop {
            match tokio::time::timeout(Duration::from_secs(120), invocation.next()).await {
                Err(_) => return Err("no answer within 120 s".into()),
                Ok(None) => return Err("the emulator stopped".into()),
                Ok(Some(Update::Data(d))) => bytes += d.len() as u64,
                Ok(Some(Update::Counted(n))) => bytes += n,
                Ok(Some(Update::End { complete })) => {
                    let elapsed = started.elapsed();
                    let prelude = lambda_stream_benches::function::PRELUDE.len() as u64 + 8;
                    if !complete || bytes != self.body + prelude {
                        return Err(format!(
                            "the response ended {} after {bytes} bytes, expected {}",
                            if complete { "cleanly" } else { "abnormally" },
                            self.body + prelude
                        ));
                    }
                    // The function posts its last chunk before the emulator sees the end;
                    // a moment later it is waiting for its next invocation.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    return Ok((elapsed, cpu_ns(self.child.id()) - cpu_before));
                }
                Ok(Some(Update::Trailers(t))) => return Err(format!("error trailers: {t:?}")),
                Ok(Some(Update::Started { .. })) => {}
            }
        }
    }

    /// Reads the function's CPU time in ns and its peak RSS in bytes, while it waits for
    /// its next invocation, then stops it.
    fn stop(mut self) -> Result<(u64, u64), String> {
        let pid = self.child.id();
        let usage = (cpu_ns(pid), peak_rss(pid));
        let _ = self.child.kill();
        let _ = self.child.wait();
        if usage.0 == 0 || usage.1 == 0 {
            return Err(format!("no usage readable for process {pid}"));
        }
        Ok(usage)
    }
}

struct Row {
    way: &'static str,
    mbps: f64,
    cpu_s_per_gb: f64,
    rss_small: u64,
    rss_large: u64,
}

fn run(rounds: usize, chunk: u64) -> Result<Vec<Row>, String> {
    let exes = release_binaries(&WAYS.map(|(_, bin)| bin))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // Peak RSS at 20 MB: one invocation each.
    let mut small = Vec::new();
    for exe in &exes {
        let f = Function::start(exe, SMALL, chunk)?;
        rt.block_on(f.invoke())?;
        small.push(f.stop()?.1);
    }
    let large: Vec<Function> = exes
        .iter()
        .map(|exe| Function::start(exe, LARGE, chunk))
        .collect::<Result<_, _>>()?;
    let mut speeds = vec![Vec::new(); WAYS.len()];
    let mut cpus = vec![Vec::new(); WAYS.len()];
    for round in 0..rounds {
        // Each round in another order, so no way always follows the same one.
        for k in 0..WAYS.len() {
            let i = (round + k) % WAYS.len();
            let (t, cpu) = rt.block_on(large[i].invoke())?;
            speeds[i].push(LARGE as f64 / 1e6 / t.as_secs_f64());
            cpus[i].push(cpu as f64 / 1e9 / (LARGE as f64 / 1e9));
        }
    }
    let mut rows = Vec::new();
    for (i, f) in large.into_iter().enumerate() {
        let (_, rss) = f.stop()?;
        rows.push(Row {
            way: WAYS[i].0,
            mbps: median(speeds[i].clone()),
            cpu_s_per_gb: median(cpus[i].clone()),
            rss_small: small[i],
            rss_large: rss,
        });
    }
    Ok(rows)
}

fn main() -> ExitCode {
    let args = Args::from_env();
    let rounds = args.number("--rounds", 15) as usize;
    let chunk = args.number("--chunk", 64 * 1024);
    let json = args.has("--json");
    let rows = match run(rounds.max(1), chunk) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let get = |way: &str| rows.iter().find(|r| r.way == way);
    let (Some(bare), Some(ours), Some(theirs)) = (
        get("bare-hyper"),
        get("lambda-stream"),
        get("lambda_runtime"),
    ) else {
        return ExitCode::from(2);
    };
    let checks = [
        (
            "throughput, lambda-stream / lambda_runtime",
            ours.mbps / theirs.mbps,
            ">=",
            1.2,
        ),
        (
            "throughput, lambda-stream / bare hyper",
            ours.mbps / bare.mbps,
            ">=",
            1.0,
        ),
        (
            "CPU per GB, lambda-stream / lambda_runtime",
            ours.cpu_s_per_gb / theirs.cpu_s_per_gb,
            "<=",
            0.8,
        ),
        (
            "CPU per GB, lambda-stream / bare hyper",
            ours.cpu_s_per_gb / bare.cpu_s_per_gb,
            "<=",
            1.05,
        ),
        (
            "peak RSS, lambda-stream 200 MB / 20 MB",
            ours.rss_large as f64 / ours.rss_small as f64,
            "<=",
            1.1,
        ),
    ];
    if json {
        for r in &rows {
            println!(
                "{}",
                serde_json::json!({
                    "way": r.way, "rounds": rounds, "chunk": chunk, "body": LARGE,
                    "mb_per_s": r.mbps, "cpu_s_per_gb": r.cpu_s_per_gb,
                    "peak_rss_20mb": r.rss_small, "peak_rss_200mb": r.rss_large,
                })
            );
        }
        for (what, ratio, op, target) in checks {
            println!(
                "{}",
                serde_json::json!({"ratio": what, "value": ratio, "target": format!("{op} {target}")})
            );
        }
        return ExitCode::SUCCESS;
    }
    println!(
        "200 MB per invocation from memory in {} KiB chunks, {rounds} rounds, emulator on loopback\n",
        chunk / 1024
    );
    println!(
        "{:>15}  {:>10}  {:>10}  {:>14}  {:>15}",
        "way", "MB/s", "CPU s/GB", "peak RSS 20MB", "peak RSS 200MB"
    );
    for r in &rows {
        println!(
            "{:>15}  {:>10.0}  {:>10.3}  {:>11.1} MB  {:>12.1} MB",
            r.way,
            r.mbps,
            r.cpu_s_per_gb,
            r.rss_small as f64 / 1e6,
            r.rss_large as f64 / 1e6
        );
    }
    println!();
    for (what, ratio, op, target) in checks {
        let met = if op == ">=" {
            ratio >= target
        } else {
            ratio <= target
        };
        println!(
            "{what}: {ratio:.3} (target {op} {target}: {})",
            if met { "met" } else { "missed" }
        );
    }
    ExitCode::SUCCESS
}
