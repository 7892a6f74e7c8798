//! Token streams, the chat-model case: small events a few milliseconds apart. For each
//! way (`lambda-stream`, `lambda_runtime`, `lambda_http`; the function binaries of the
//! runtime comparison, with `TOKENS` set), the latency of every event from the moment the
//! function emits it to the moment the Runtime API emulator on loopback hands it over
//! (each event carries its emit time; both processes read the same clock), at intervals of
//! 1, 10 and 50 ms, in one run, rounds interleaved; and the end latency, from the last
//! event's emit to the end of the response request. Every process is started and stopped
//! here; each way's process serves one warm-up invocation first. With `--cold`, every
//! invocation is instead the first of a fresh process, queued before the process starts,
//! as a cold start finds it.
//!
//! Targets: `lambda-stream`'s p99 at most 1 ms, and at most 0.05 times `lambda_http`'s.
//!
//! `cargo run --release -p lambda-stream-benches --bin tokens [-- --tokens N --rounds N --cold --json]`

use std::process::{Child, ExitCode};
use std::time::Duration;

use lambda_stream_benches::Args;
use lambda_stream_benches::function::{release_binaries, spawn};
use lambda_stream_testkit::servers::RuntimeApi;
use lambda_stream_testkit::servers::runtime_api::{
    Invocation, Options, Update, function_url_event,
};
use lambda_stream_testkit::tokens::{emitted, now_ns};

const WAYS: [(&str, &str); 3] = [
    ("lambda-stream", "fn-lambda-stream"),
    ("lambda_runtime", "fn-lambda-runtime"),
    ("lambda_http", "fn-lambda-http"),
];
const INTERVALS_MS: [u64; 3] = [1, 10, 50];
const TOKEN_BYTES: usize = 40;

struct Function {
    api: RuntimeApi,
    child: Child,
}

impl Function {
    /// The function's process on an emulator of its own; with `queued`, an invocation is
    /// queued before the process starts, as a cold start finds it.
    fn start(
        exe: &std::path::Path,
        tokens: u64,
        interval_ms: u64,
        queued: bool,
    ) -> Result<(Function, Option<Invocation>), String> {
        let api = RuntimeApi::start_with(Options {
            record: false,
            ..Options::default()
        })
        .map_err(|e| format!("starting the emulator: {e}"))?;
        let invocation = queued.then(|| api.invoke(function_url_event("GET", "/", &[])));
        let env = [
            ("TOKENS", tokens.to_string()),
            ("TOKEN_BYTES", TOKEN_BYTES.to_string()),
            ("TOKEN_INTERVAL_US", (interval_ms * 1000).to_string()),
        ];
        let child = spawn(exe, &api.function_env(), &env)?;
        Ok((Function { api, child }, invocation))
    }

    /// One invocation: each event's latency in µs, and the end latency in µs, after
    /// checking that every event arrived and the response ended cleanly.
    async fn invoke(&self, tokens: u64) -> Result<(Vec<f64>, f64), String> {
        collect(self.api.invoke(function_url_event("GET", "/", &[])), tokens).await
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The events of `invocation`'s response: each one's latency in µs, and the end latency in
/// µs, after checking that every event arrived and the response ended cleanly.
async fn collect(mut invocation: Invocation, tokens: u64) -> Result<(Vec<f64>, f64), String> {
    {
        let mut pending: Vec<u8> = Vec::new();
        let mut latencies = Vec::new();
        let mut last_emit = 0u128;
        let mut prelude_done = false;
        loop {
            let update = tokio::time::timeout(Duration::from_secs(60), invocation.next())
                .await
                .map_err(|_| "no answer within 60 s".to_owned())?
                .ok_or("the emulator stopped")?;
            let now = now_ns();
            match update {
                Update::Data(data) => {
                    pending.extend_from_slice(&data);
                    if !prelude_done {
                        // The prelude and its eight NULs come first.
                        let Some(end) = pending.windows(8).position(|w| w == [0; 8]) else {
                            continue;
                        };
                        pending.drain(..end + 8);
                        prelude_done = true;
                    }
                    // Whole events only; a partial one waits for the rest.
                    let whole = pending
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |i| i + 1);
                    for emit in emitted(&pending[..whole]) {
                        latencies.push(now.saturating_sub(emit) as f64 / 1e3);
                        last_emit = emit;
                    }
                    pending.drain(..whole);
                }
                Update::End { complete } => {
                    if !complete || latencies.len() as u64 != tokens {
                        return Err(format!(
                            "the response ended {} after {} of {tokens} events",
                            if complete { "cleanly" } else { "abnormally" },
                            latencies.len()
                        ));
                    }
                    return Ok((latencies, now.saturating_sub(last_emit) as f64 / 1e3));
                }
                Update::Trailers(t) => return Err(format!("error trailers: {t:?}")),
                _ => {}
            }
        }
    }
}

/// The `q` quantile (0 to 1) of `sorted`, nearest rank.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

struct Row {
    way: &'static str,
    interval_ms: u64,
    events: usize,
    p50_us: f64,
    p99_us: f64,
    max_us: f64,
    end_us: f64,
}

fn run(tokens: u64, rounds: usize, cold: bool) -> Result<Vec<Row>, String> {
    let exes = release_binaries(&WAYS.map(|(_, bin)| bin))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for interval in INTERVALS_MS {
        let mut samples = vec![Vec::new(); WAYS.len()];
        let mut ends = vec![Vec::new(); WAYS.len()];
        let mut record = |i: usize, (latencies, end): (Vec<f64>, f64)| {
            samples[i].extend(latencies);
            ends[i].push(end);
        };
        if cold {
            // Every round, each way's first invocation of a fresh process.
            for round in 0..rounds {
                for k in 0..WAYS.len() {
                    let i = (round + k) % WAYS.len();
                    let (f, invocation) = Function::start(&exes[i], tokens, interval, true)?;
                    let invocation = invocation.ok_or("no invocation queued")?;
                    let measured = rt.block_on(collect(invocation, tokens));
                    f.stop();
                    record(i, measured?);
                }
            }
        } else {
            let functions: Vec<Function> = exes
                .iter()
                .map(|exe| Function::start(exe, tokens, interval, false).map(|(f, _)| f))
                .collect::<Result<_, _>>()?;
            for f in &functions {
                rt.block_on(f.invoke(tokens))?;
            }
            for round in 0..rounds {
                for k in 0..WAYS.len() {
                    let i = (round + k) % WAYS.len();
                    record(i, rt.block_on(functions[i].invoke(tokens))?);
                }
            }
            functions.into_iter().for_each(Function::stop);
        }
        for i in 0..WAYS.len() {
            let mut sorted = samples[i].clone();
            sorted.sort_by(f64::total_cmp);
            let mut end = ends[i].clone();
            end.sort_by(f64::total_cmp);
            rows.push(Row {
                way: WAYS[i].0,
                interval_ms: interval,
                events: sorted.len(),
                p50_us: quantile(&sorted, 0.5),
                p99_us: quantile(&sorted, 0.99),
                max_us: sorted.last().copied().unwrap_or(0.0),
                end_us: quantile(&end, 0.5),
            });
        }
    }
    Ok(rows)
}

fn main() -> ExitCode {
    let args = Args::from_env();
    let tokens = args.number("--tokens", 100).max(1);
    let rounds = args.number("--rounds", 3).max(1) as usize;
    let json = args.has("--json");
    // `--cold`: every invocation is the first of a fresh process, queued before it starts.
    let cold = args.has("--cold");
    let rows = match run(tokens, rounds, cold) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("tokens: {e}");
            return ExitCode::from(2);
        }
    };
    let find = |way: &str, interval: u64| {
        rows.iter()
            .find(|r| r.way == way && r.interval_ms == interval)
    };
    let mut checks = Vec::new();
    for interval in INTERVALS_MS {
        let (Some(ours), Some(theirs)) = (
            find("lambda-stream", interval),
            find("lambda_http", interval),
        ) else {
            return ExitCode::from(2);
        };
        checks.push((
            format!("p99 at {interval} ms, lambda-stream (ms)"),
            ours.p99_us / 1e3,
            "<=",
            1.0,
        ));
        checks.push((
            format!("p99 at {interval} ms, lambda-stream / lambda_http"),
            ours.p99_us / theirs.p99_us,
            "<=",
            0.05,
        ));
    }
    if json {
        for r in &rows {
            println!(
                "{}",
                serde_json::json!({
                    "way": r.way, "interval_ms": r.interval_ms, "events": r.events,
                    "token_bytes": TOKEN_BYTES, "p50_us": r.p50_us, "p99_us": r.p99_us,
                    "max_us": r.max_us, "end_us": r.end_us,
                })
            );
        }
        for (what, ratio, op, target) in &checks {
            println!(
                "{}",
                serde_json::json!({"ratio": what, "value": ratio, "target": format!("{op} {target}")})
            );
        }
        return ExitCode::SUCCESS;
    }
    println!(
        "{tokens} events of {TOKEN_BYTES} B per invocation, {rounds} rounds per interval, emit to Runtime API on loopback\n"
    );
    println!(
        "{:>15}  {:>8}  {:>7}  {:>10}  {:>10}  {:>10}  {:>10}",
        "way", "interval", "events", "p50 ms", "p99 ms", "max ms", "end ms"
    );
    for r in &rows {
        println!(
            "{:>15}  {:>5} ms  {:>7}  {:>10.3}  {:>10.3}  {:>10.3}  {:>10.3}",
            r.way,
            r.interval_ms,
            r.events,
            r.p50_us / 1e3,
            r.p99_us / 1e3,
            r.max_us / 1e3,
            r.end_us / 1e3
        );
    }
    println!();
    for (what, value, op, target) in &checks {
        let met = *value <= *target;
        println!(
            "{what}: {value:.4} (target {op} {target}: {})",
            if met { "met" } else { "missed" }
        );
    }
    ExitCode::SUCCESS
}
