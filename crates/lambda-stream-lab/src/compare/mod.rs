//! Three ways side by side, as real function processes on the test kit's local Lambda
//! (a Runtime API emulator on loopback, with Lambda's function URL front: its 6 MB buffered
//! limit, its streamed budget, its 2 MB/s after 6 MB, its buffering of streamed responses,
//! its aborted response after a failure), on the same paced source and the same client:
//!
//! - `buffered`: `lambda_http::run`, the object collected and sent whole;
//! - `lambda_http`: `lambda_http::run_with_streaming_response` with the body a developer
//!   writes today (`ByteStream` → `into_async_read` → `ReaderStream`);
//! - `lambda-stream`: `lambda_stream_runtime` with `lambda_stream::response`.

pub(crate) mod function;
mod table;
mod timed;

pub use table::print_scenario;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use lambda_stream_testkit::servers::http::{Received, request_paced};
use lambda_stream_testkit::servers::local_lambda::{LocalLambda, Options, Record};
use serde::Serialize;

use self::function::{FUNCTION_VAR, FunctionSettings};

/// How the function answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Way {
    /// `lambda_http::run`, buffered.
    #[serde(rename = "buffered")]
    Buffered,
    /// `lambda_http::run_with_streaming_response` with `into_async_read` + `ReaderStream`.
    #[serde(rename = "lambda_http")]
    LambdaHttp,
    /// `lambda_stream_runtime` with `lambda_stream::response`.
    #[serde(rename = "lambda-stream")]
    LambdaStream,
}

/// The three ways, in the order they are shown.
pub const WAYS: [Way; 3] = [Way::Buffered, Way::LambdaHttp, Way::LambdaStream];

impl fmt::Display for Way {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Way::Buffered => "buffered",
            Way::LambdaHttp => "lambda_http",
            Way::LambdaStream => "lambda-stream",
        })
    }
}

impl FromStr for Way {
    type Err = ();

    fn from_str(s: &str) -> Result<Way, ()> {
        WAYS.into_iter().find(|w| w.to_string() == s).ok_or(())
    }
}

/// What each group of rows puts to the three ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// The object, whole, at each size.
    Clean,
    /// The source breaks half way through the object.
    Failure,
    /// An object over the streamed budget (scaled down, see [`Settings::budget`]).
    OverBudget,
    /// A client that reads at 100 KB/s.
    SlowClient,
    /// 16 requests at once (16 function processes, as Lambda scales out).
    Concurrent,
    /// A chat model's stream: small events a few milliseconds apart, each timed from the
    /// moment the function emits it to the moment the client has it.
    Tokens,
}

/// Every scenario, in the order they run.
pub const SCENARIOS: [Scenario; 6] = [
    Scenario::Clean,
    Scenario::Failure,
    Scenario::OverBudget,
    Scenario::SlowClient,
    Scenario::Concurrent,
    Scenario::Tokens,
];

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scenario::Clean => "clean",
            Scenario::Failure => "failure",
            Scenario::OverBudget => "over-budget",
            Scenario::SlowClient => "slow-client",
            Scenario::Concurrent => "concurrent",
            Scenario::Tokens => "tokens",
        })
    }
}

impl FromStr for Scenario {
    type Err = ();

    fn from_str(s: &str) -> Result<Scenario, ()> {
        SCENARIOS.into_iter().find(|x| x.to_string() == s).ok_or(())
    }
}

/// The settings of a comparison, recorded in every JSON line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// Object sizes of the clean scenario.
    pub sizes: Vec<u64>,
    /// The source's delay before its first byte, in ms.
    pub source_latency_ms: f64,
    /// The source's rate after that, in MB/s.
    pub source_mbps: f64,
    /// Lambda's 2 MB/s after 6 MB, on or off.
    pub lambda_rate: bool,
    /// The streamed budget of the over-budget scenario: Lambda's 200 MiB scaled down so the
    /// scenario takes seconds (the object is 20% over it).
    pub budget: u64,
    /// The slow client's rate, in bytes per second.
    pub slow_client_bytes_per_s: f64,
    /// The object of the failure scenario.
    pub failure_object: u64,
    /// The object of the slow-client and concurrent scenarios.
    pub small_object: u64,
    /// Requests at once in the concurrent scenario.
    pub concurrent: usize,
    /// Events per response in the tokens scenario.
    pub tokens: u64,
    /// Their size, in bytes.
    pub token_bytes: u64,
    /// The time between two of them, in ms.
    pub token_interval_ms: f64,
}

/// What one way made of one scenario (one request, or a group of them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The scenario.
    pub scenario: Scenario,
    /// The way.
    pub way: Way,
    /// The object's size.
    pub size_bytes: u64,
    /// Requests made (1, or the concurrent ones).
    pub requests: usize,
    /// The status the client got (of the first request).
    pub status: u16,
    /// Time to the first body byte at the client, ms (the median of several requests).
    pub ttfb_ms: f64,
    /// Time to the end at the client, ms (the slowest of several requests).
    pub total_ms: f64,
    /// Body bytes the client got (of the first request).
    pub body_bytes: u64,
    /// Whether every response ended cleanly (its last chunk, or its whole length).
    pub clean_end: bool,
    /// Whether every body is the object, byte for byte.
    pub exact: bool,
    /// The error the function reported to Lambda, if any (of the first request).
    pub reported: Option<String>,
    /// The function's busy time, ms: what Lambda bills (the median of several requests).
    pub busy_ms: f64,
    /// Tokens scenario: each event's latency from the function's emit to the client, ms,
    /// median.
    pub event_p50_ms: Option<f64>,
    /// Tokens scenario: the same, 99th percentile.
    pub event_p99_ms: Option<f64>,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// A local Lambda running `way` with `processes` processes.
fn lambda(
    way: Way,
    settings: &FunctionSettings,
    processes: usize,
    options: &Settings,
    budget: u64,
) -> Result<LocalLambda, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the lab's own binary: {e}"))?;
    let mut env = settings.env();
    env.push((FUNCTION_VAR, way.to_string()));
    LocalLambda::start_with(
        &exe,
        &env,
        Options {
            processes,
            buffer_responses: true,
            lambda_rate: options.lambda_rate,
            streamed_limit: budget,
            ..Options::default()
        },
    )
    .map_err(|e| e.to_string())
}

/// One request for an object of `size` (failing at `fail_at`), read at `rate`.
async fn fetch(
    lambda: &LocalLambda,
    id: usize,
    size: u64,
    fail_at: Option<u64>,
    rate: Option<f64>,
) -> Result<Received, String> {
    let mut path = format!("object?size={size}&id={id}");
    if let Some(at) = fail_at {
        path.push_str(&format!("&fail_at={at}"));
    }
    let url = lambda.url(&path);
    tokio::time::timeout(
        Duration::from_secs(120),
        request_paced("GET", &url, &[], rate),
    )
    .await
    .map_err(|_| format!("no answer from {url} within 120 s"))?
    .map_err(|e| format!("{url}: {e}"))
}

fn record_of(lambda: &LocalLambda, id: usize) -> Option<Record> {
    let marker = format!("id={id}");
    lambda
        .records()
        .into_iter()
        .find(|r| r.path.split(['?', '&']).any(|p| p == marker))
}

/// Runs `scenarios` three ways, calling `each` with every row as it is measured.
///
/// # Errors
///
/// One line saying what could not run.
pub fn run(
    settings: &Settings,
    scenarios: &[Scenario],
    mut each: impl FnMut(&Row),
) -> Result<Vec<Row>, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let function = FunctionSettings {
        latency: Duration::from_secs_f64(settings.source_latency_ms / 1e3),
        rate: settings.source_mbps * 1e6,
        budget: settings.budget,
    };
    let full_budget = lambda_stream::limits::MAX_STREAMED_RESPONSE_BYTES;
    let unbudgeted = FunctionSettings {
        budget: full_budget,
        ..function
    };
    let mut rows = Vec::new();
    let mut push = |row: Row, rows: &mut Vec<Row>| {
        each(&row);
        rows.push(row);
    };
    for &scenario in scenarios {
        for way in WAYS {
            match scenario {
                Scenario::Clean => {
                    let lambda = lambda(way, &unbudgeted, 1, settings, full_budget)?;
                    for (i, &size) in settings.sizes.iter().enumerate() {
                        let row =
                            rt.block_on(single(&lambda, scenario, way, i, size, None, None))?;
                        push(row, &mut rows);
                    }
                }
                Scenario::Failure => {
                    let lambda = lambda(way, &unbudgeted, 1, settings, full_budget)?;
                    let size = settings.failure_object;
                    let row = rt.block_on(single(
                        &lambda,
                        scenario,
                        way,
                        0,
                        size,
                        Some(size / 2),
                        None,
                    ))?;
                    push(row, &mut rows);
                }
                Scenario::OverBudget => {
                    let lambda = lambda(way, &function, 1, settings, settings.budget)?;
                    let size = settings.budget + settings.budget / 5;
                    let row = rt.block_on(single(&lambda, scenario, way, 0, size, None, None))?;
                    push(row, &mut rows);
                }
                Scenario::SlowClient => {
                    let lambda = lambda(way, &unbudgeted, 1, settings, full_budget)?;
                    let row = rt.block_on(single(
                        &lambda,
                        scenario,
                        way,
                        0,
                        settings.small_object,
                        None,
                        Some(settings.slow_client_bytes_per_s),
                    ))?;
                    push(row, &mut rows);
                }
                Scenario::Tokens => {
                    let lambda = lambda(way, &unbudgeted, 1, settings, full_budget)?;
                    let row = rt.block_on(tokens(&lambda, way, settings))?;
                    push(row, &mut rows);
                }
                Scenario::Concurrent => {
                    let lambda =
                        lambda(way, &unbudgeted, settings.concurrent, settings, full_budget)?;
                    let row = rt.block_on(concurrent(
                        &lambda,
                        way,
                        settings.small_object,
                        settings.concurrent,
                    ))?;
                    push(row, &mut rows);
                }
            }
        }
    }
    Ok(rows)
}

async fn single(
    lambda: &LocalLambda,
    scenario: Scenario,
    way: Way,
    id: usize,
    size: u64,
    fail_at: Option<u64>,
    rate: Option<f64>,
) -> Result<Row, String> {
    let r = fetch(lambda, id, size, fail_at, rate).await?;
    // The function's record is written when its response ended; the client may be done
    // a moment before.
    let mut record = record_of(lambda, id);
    for _ in 0..50 {
        if record.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        record = record_of(lambda, id);
    }
    let expected = lambda_stream_testkit::data::pattern(usize::try_from(size).unwrap_or(0));
    Ok(Row {
        scenario,
        way,
        size_bytes: size,
        requests: 1,
        status: r.status,
        ttfb_ms: r.ttfb.as_secs_f64() * 1e3,
        total_ms: r.total.as_secs_f64() * 1e3,
        body_bytes: r.body.len() as u64,
        clean_end: r.complete,
        exact: r.complete && r.body == expected[..],
        reported: record
            .as_ref()
            .and_then(|r| r.error.as_ref().map(|(t, _)| t.clone())),
        busy_ms: record.map_or(0.0, |r| r.busy.as_secs_f64() * 1e3),
        event_p50_ms: None,
        event_p99_ms: None,
    })
}

async fn concurrent(lambda: &LocalLambda, way: Way, size: u64, n: usize) -> Result<Row, String> {
    let requests = (0..n).map(|id| fetch(lambda, id, size, None, None));
    let answers = futures_util::future::join_all(requests).await;
    let answers: Vec<Received> = answers.into_iter().collect::<Result<_, _>>()?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let records = lambda.records();
    let expected = lambda_stream_testkit::data::pattern(usize::try_from(size).unwrap_or(0));
    Ok(Row {
        scenario: Scenario::Concurrent,
        way,
        size_bytes: size,
        requests: n,
        status: answers.first().map_or(0, |a| a.status),
        ttfb_ms: median(answers.iter().map(|a| a.ttfb.as_secs_f64() * 1e3).collect()),
        total_ms: answers
            .iter()
            .map(|a| a.total.as_secs_f64() * 1e3)
            .fold(0.0, f64::max),
        body_bytes: answers.first().map_or(0, |a| a.body.len() as u64),
        clean_end: answers.iter().all(|a| a.complete),
        exact: answers.iter().all(|a| a.complete && a.body == expected[..]),
        reported: records
            .iter()
            .find_map(|r| r.error.as_ref().map(|(t, _)| t.clone())),
        busy_ms: median(records.iter().map(|r| r.busy.as_secs_f64() * 1e3).collect()),
        event_p50_ms: None,
        event_p99_ms: None,
    })
}

/// The tokens scenario: one response of `settings.tokens` events, each timed from its emit
/// (the time it carries) to its arrival at the client.
async fn tokens(lambda: &LocalLambda, way: Way, settings: &Settings) -> Result<Row, String> {
    let path = format!(
        "tokens?count={}&bytes={}&interval_us={}&id=0",
        settings.tokens,
        settings.token_bytes,
        (settings.token_interval_ms * 1e3) as u64
    );
    let url = lambda.url(&path);
    let timed = tokio::time::timeout(Duration::from_secs(120), timed::get(&url))
        .await
        .map_err(|_| format!("no answer from {url} within 120 s"))?
        .map_err(|e| format!("{url}: {e}"))?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let record = record_of(lambda, 0);
    let mut latencies: Vec<f64> = timed
        .events
        .iter()
        .map(|(emitted, arrived)| arrived.saturating_sub(*emitted) as f64 / 1e6)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        let rank = ((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len().max(1));
        latencies.get(rank - 1).copied()
    };
    Ok(Row {
        scenario: Scenario::Tokens,
        way,
        size_bytes: settings.tokens * settings.token_bytes,
        requests: 1,
        status: timed.status,
        ttfb_ms: timed.ttfb.as_secs_f64() * 1e3,
        total_ms: timed.total.as_secs_f64() * 1e3,
        body_bytes: timed.body_bytes,
        clean_end: timed.complete,
        exact: timed.complete && timed.events.len() as u64 == settings.tokens,
        reported: record
            .as_ref()
            .and_then(|r| r.error.as_ref().map(|(t, _)| t.clone())),
        busy_ms: record.map_or(0.0, |r| r.busy.as_secs_f64() * 1e3),
        event_p50_ms: quantile(0.5),
        event_p99_ms: quantile(0.99),
    })
}
