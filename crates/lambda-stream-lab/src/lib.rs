//! The main job of the workspace: the published buffered-against-streamed experiment,
//! rerun on your own machine.
//!
//! `cargo run --release -p lambda-stream-lab` serves objects of 0.2 MB, 4.4 MB and 13.8 MB
//! (the published reference sizes) both ways through the lambda-stream crates, from an
//! embedded source paced like S3 to a consumer paced like a client, and prints for each:
//! time to first byte, total time, peak heap, bytes copied, and whether Lambda would
//! accept the response. `--json` prints JSON lines instead; `--s3-endpoint URL --bucket
//! NAME` reads the objects from a real S3-compatible server (uploading them first); `--help`
//! lists the pacing flags.
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms
)]

pub mod cli;
pub mod pacing;
pub mod report;
pub mod run;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use clap::error::ErrorKind;
use lambda_stream_testkit::data::{megabytes, pattern};

use crate::cli::Cli;
use crate::pacing::ClientPace;
use crate::run::{Mode, Source, measure};

/// Runs the lab with `args` (the program name first); the process's exit code: 0, or 2
/// after one line on stderr naming what went wrong.
pub fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
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

/// Measures every size both ways and prints the result.
///
/// # Errors
///
/// One line saying what went wrong (an unreachable endpoint, a missing bucket...).
pub fn run(cli: &Cli) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let pace = ClientPace {
        rate: cli.client_mbps * 1e6,
        lambda_rule: cli.lambda_rate,
    };
    let s3 = match (&cli.s3_endpoint, &cli.bucket) {
        (Some(endpoint), Some(bucket)) => {
            Some((s3_client(endpoint), endpoint.as_str(), bucket.as_str()))
        }
        _ => None,
    };
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
            None => Source::Paced {
                data,
                latency: cli.source_latency(),
                rate: cli.source_mbps * 1e6,
            },
        };
        for mode in [Mode::Buffered, Mode::Streamed] {
            progress.show(&format!("{} {mode}", megabytes(size as usize)));
            let row = measure(&rt, &source, mode, pace, size).map_err(|e| e.to_string())?;
            if cli.json {
                println!("{}", report::json_line(&row));
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
