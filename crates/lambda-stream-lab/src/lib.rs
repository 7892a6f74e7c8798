//! The main job of the workspace: the published buffered-against-streamed experiment,
//! rerun on your own machine, and the question a Rust developer actually has: against what
//! they would write today.
//!
//! `cargo run --release -p lambda-stream-lab` runs two parts, with no server to set up:
//!
//! - `simulated`: objects of 0.2 MB, 4.4 MB and 13.8 MB (the published reference sizes)
//!   served buffered and streamed through the lambda-stream crates in this process, from a
//!   source paced like S3 to a simulated client, with time to first byte, total time, peak
//!   heap, bytes copied, and whether Lambda would accept the response;
//! - the three-way comparison ([`compare`]): buffered (`lambda_http::run`), `lambda_http`
//!   streaming with the body a developer writes today, and `lambda-stream`, as real
//!   function processes on a local Lambda on loopback, in five scenarios: a clean object at
//!   each size, a body failing half way, an object over the budget, a slow client, and 16
//!   requests at once.
//!
//! `--json` prints JSON lines instead, each with its settings and the machine;
//! `--scenarios` picks parts; `--help` lists the pacing flags. Built with `--features s3`,
//! `--s3-endpoint URL --bucket NAME` reads the simulated part's objects from a real
//! S3-compatible server (uploading them first).

pub mod cli;
pub mod compare;
pub mod pacing;
#[cfg(feature = "remote")]
pub mod remote;
pub mod report;
pub mod run;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

#[cfg(feature = "s3")]
use aws_sdk_s3::Client;
#[cfg(feature = "s3")]
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use clap::error::ErrorKind;
use lambda_stream_testkit::data::{megabytes, pattern};

use crate::cli::{Cli, Part};
use crate::pacing::ClientPace;
use crate::run::{Mode, Source, measure};

/// Runs the lab with `args` (the program name first); the process's exit code: 0, or 2
/// after one line on stderr naming what went wrong.
///
/// With `LAB_FUNCTION` set, the lab is one of the comparison's function processes instead.
pub fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    if let Ok(way) = std::env::var(compare::function::FUNCTION_VAR) {
        return match compare::function::run(&way) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("lambda-stream-lab function: {e}");
                ExitCode::from(2)
            }
        };
    }
    let cli = match Cli::parse_from_args(args) {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            print!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's first paragraph, on one line (its tips and usage follow a blank line).
            let text = e.to_string();
            let first: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .collect();
            eprintln!(
                "lambda-stream-lab: {}",
                first.join(" ").trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lambda-stream-lab: {message}");
            ExitCode::from(2)
        }
    }
}

/// Runs the parts `cli` asks for and prints the result.
///
/// # Errors
///
/// One line saying what went wrong (an unreachable endpoint, a missing bucket...).
pub fn run(cli: &Cli) -> Result<(), String> {
    if cli.s3_endpoint.is_some() && !cfg!(feature = "s3") {
        return Err(
            "--s3-endpoint needs the S3 client: build the lab with `--features s3`".to_owned(),
        );
    }
    if !cli.url.is_empty() {
        return urls(cli);
    }
    if cli.scenarios.contains(&Part::Simulated) {
        simulated(cli)?;
    }
    let scenarios: Vec<compare::Scenario> = cli
        .scenarios
        .iter()
        .filter_map(|p| match p {
            Part::Compare(s) => Some(*s),
            Part::Simulated => None,
        })
        .collect();
    if !scenarios.is_empty() {
        comparison(cli, &scenarios)?;
    }
    Ok(())
}

/// `--url`: each URL measured, then printed.
#[cfg(feature = "remote")]
fn urls(cli: &Cli) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let timeout = std::time::Duration::from_secs_f64(cli.timeout);
    let mut all = Vec::new();
    for url in &cli.url {
        let stats = rt.block_on(remote::measure(url, cli.requests as usize, timeout))?;
        if cli.json {
            let mut line = serde_json::to_value(&stats).unwrap_or_default();
            if let Some(object) = line.as_object_mut() {
                object.insert("part".into(), "url".into());
                object.insert(
                    "settings".into(),
                    serde_json::json!({"requests": cli.requests, "timeout_s": cli.timeout}),
                );
                object.insert("machine".into(), report::machine());
            }
            println!("{line}");
        }
        all.push(stats);
    }
    if !cli.json {
        remote::print(&all);
    }
    Ok(())
}

#[cfg(not(feature = "remote"))]
fn urls(_: &Cli) -> Result<(), String> {
    Err("--url needs an HTTPS client: build the lab with `--features remote`".to_owned())
}

/// The settings and machine every JSON line of the comparison carries.
fn context(settings: &compare::Settings) -> serde_json::Value {
    serde_json::json!({
        "settings": settings,
        "machine": report::machine(),
    })
}

fn comparison(cli: &Cli, scenarios: &[compare::Scenario]) -> Result<(), String> {
    let settings = compare::Settings {
        sizes: cli.sizes.clone(),
        source_latency_ms: cli.source_latency_ms,
        source_mbps: cli.source_mbps,
        lambda_rate: cli.lambda_rate,
        budget: 10_000_000,
        slow_client_bytes_per_s: 100_000.0,
        failure_object: lambda_stream_testkit::data::REFERENCE_SIZES[1] as u64,
        small_object: lambda_stream_testkit::data::REFERENCE_SIZES[0] as u64,
        concurrent: 16,
        tokens: 100,
        token_bytes: 40,
        token_interval_ms: 10.0,
    };
    if !cli.json {
        report::print_comparison_header(&settings);
    }
    let progress = Progress::new(
        !cli.json && std::io::stderr().is_terminal(),
        scenarios.len() * compare::WAYS.len(),
    );
    let context = context(&settings);
    let mut shown = 0usize;
    let rows = compare::run(&settings, scenarios, |row| {
        if cli.json {
            let mut line = serde_json::to_value(row).unwrap_or_default();
            if let (Some(line), Some(context)) = (line.as_object_mut(), context.as_object()) {
                line.insert("part".into(), "comparison".into());
                line.extend(context.clone());
            }
            println!("{line}");
        } else {
            shown += 1;
            progress.show(&format!("{} {}", row.scenario, row.way));
        }
    })?;
    progress.clear();
    if !cli.json {
        for scenario in scenarios {
            compare::print_scenario(*scenario, &rows);
        }
    }
    Ok(())
}

fn simulated(cli: &Cli) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let pace = ClientPace {
        rate: cli.client_mbps * 1e6,
        lambda_rule: cli.lambda_rate,
    };
    #[cfg(feature = "s3")]
    let s3 = match (&cli.s3_endpoint, &cli.bucket) {
        (Some(endpoint), Some(bucket)) => {
            Some((s3_client(endpoint), endpoint.as_str(), bucket.as_str()))
        }
        _ => None,
    };
    #[cfg(feature = "s3")]
    if let Some((client, endpoint, bucket)) = &s3 {
        rt.block_on(check_bucket(client, endpoint, bucket))?;
    }
    let progress = Progress::new(
        !cli.json && std::io::stderr().is_terminal(),
        cli.sizes.len() * 2,
    );
    let mut rows = Vec::new();
    if !cli.json {
        report::print_header(cli);
    }
    for &size in &cli.sizes {
        let data = pattern(
            usize::try_from(size)
                .map_err(|_| format!("size {size} is too large for this machine"))?,
        );
        let paced = Source::Paced {
            data: data.clone(),
            latency: cli.source_latency(),
            rate: cli.source_mbps * 1e6,
        };
        #[cfg(feature = "s3")]
        let source = match &s3 {
            Some((client, _, bucket)) => {
                let key = format!("lambda-stream-lab/{size}");
                rt.block_on(upload(client, bucket, &key, &data))?;
                Source::S3 {
                    client: client.clone(),
                    bucket: bucket.to_string(),
                    key,
                }
            }
            None => paced,
        };
        #[cfg(not(feature = "s3"))]
        let source = paced;
        for mode in [Mode::Buffered, Mode::Streamed] {
            progress.show(&format!("{} {mode}", megabytes(size as usize)));
            let row = measure(&rt, &source, mode, pace, size).map_err(|e| e.to_string())?;
            if cli.json {
                println!("{}", report::json_line(&row, cli));
            }
            rows.push(row);
        }
    }
    progress.clear();
    if !cli.json {
        report::print_table(&rows);
    }
    Ok(())
}

/// The S3 client: credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` when set,
/// else `test` / `test` (what moto_server accepts); region from `AWS_REGION`, else
/// `us-east-1`; path-style addressing, as S3-compatible servers expect.
#[cfg(feature = "s3")]
fn s3_client(endpoint: &str) -> Client {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let credentials = Credentials::new(
        var("AWS_ACCESS_KEY_ID").unwrap_or_else(|| "test".into()),
        var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|| "test".into()),
        var("AWS_SESSION_TOKEN"),
        None,
        "lambda-stream-lab",
    );
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(
            var("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
        ))
        .credentials_provider(credentials)
        .force_path_style(true)
        .build();
    Client::from_conf(config)
}

#[cfg(feature = "s3")]
async fn check_bucket(client: &Client, endpoint: &str, bucket: &str) -> Result<(), String> {
    use aws_sdk_s3::error::SdkError;
    let head = client.head_bucket().bucket(bucket).send();
    match tokio::time::timeout(std::time::Duration::from_secs(20), head).await {
        Err(_) => Err(format!(
            "cannot reach S3 endpoint {endpoint}: no answer within 20 s"
        )),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(SdkError::ServiceError(e))) => match e.raw().status().as_u16() {
            404 => Err(format!("bucket {bucket:?} does not exist at {endpoint}")),
            403 => Err(format!("access to bucket {bucket:?} at {endpoint} denied")),
            status => Err(format!(
                "bucket {bucket:?} at {endpoint}: S3 answered {status}"
            )),
        },
        Ok(Err(e)) => Err(format!(
            "cannot reach S3 endpoint {endpoint}: {}",
            aws_smithy_types::error::display::DisplayErrorContext(&e)
        )),
    }
}

#[cfg(feature = "s3")]
async fn upload(
    client: &Client,
    bucket: &str,
    key: &str,
    data: &bytes::Bytes,
) -> Result<(), String> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/octet-stream")
        .body(data.clone().into())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "uploading s3://{bucket}/{key}: {}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            )
        })
}

/// A live line on a terminal: `[3/6] 4.4 MB streamed`.
struct Progress {
    on: bool,
    total: usize,
    done: std::cell::Cell<usize>,
}

impl Progress {
    fn new(on: bool, total: usize) -> Self {
        Progress {
            on,
            total,
            done: std::cell::Cell::new(0),
        }
    }

    fn show(&self, what: &str) {
        self.done.set(self.done.get() + 1);
        if self.on {
            let mut err = std::io::stderr();
            let _ = write!(
                err,
                "\r\x1b[2K[{}/{}] {what}...",
                self.done.get(),
                self.total
            );
            let _ = err.flush();
        }
    }

    fn clear(&self) {
        if self.on {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}
