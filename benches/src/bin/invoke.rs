//! Reading a streamed invocation's body through `lambda-stream-invoke`, against draining the
//! SDK's event receiver by hand, in the same run: 200 MB per invocation from a real function
//! process (`fn-lambda-stream`) on the test kit's local Lambda, with the real
//! `aws-sdk-lambda` client, interleaved round by round. Prints the throughput of each way
//! (median), their ratio against the target (at least 0.95), and the adapter's peak heap at
//! 20 MB and at 200 MB (flat in the size).
//!
//! `cargo run --release -p lambda-stream-benches --bin invoke [-- --rounds N]`

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvokeWithResponseStreamResponseEvent as Event;
use futures_util::StreamExt;
use lambda_stream_benches::{Args, median};
use lambda_stream_testkit::heap;
use lambda_stream_testkit::servers::LocalLambda;
use lambda_stream_testkit::servers::build::release_binary;
use lambda_stream_testkit::servers::runtime_api::function_url_event;

const LARGE: u64 = 200_000_000;
const SMALL: u64 = 20_000_000;

fn client(lambda: &LocalLambda) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(lambda.endpoint())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "bench"))
            .build(),
    )
}

/// Body bytes through the adapter.
async fn adapter(client: &aws_sdk_lambda::Client) -> Result<u64, String> {
    let event = function_url_event("GET", "/", &[]);
    let response = lambda_stream_invoke::invoke(client, "bench", event)
        .await
        .map_err(|e| e.to_string())?;
    let mut body = response.into_body();
    let mut n = 0;
    while let Some(chunk) = body.next().await {
        n += chunk.map_err(|e| e.to_string())?.len() as u64;
    }
    Ok(n)
}

/// Payload bytes (prelude included) drained from the SDK's receiver by hand.
async fn by_hand(client: &aws_sdk_lambda::Client) -> Result<u64, String> {
    let event = function_url_event("GET", "/", &[]);
    let mut output = client
        .invoke_with_response_stream()
        .function_name("bench")
        .payload(Blob::new(event.to_vec()))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let mut n = 0;
    loop {
        match output
            .event_stream
            .recv()
            .await
            .map_err(|e| e.to_string())?
        {
            Some(Event::PayloadChunk(chunk)) => {
                n += chunk.payload.map_or(0, |p| p.into_bytes().len() as u64);
            }
            Some(Event::InvokeComplete(done)) => {
                if let Some(code) = done.error_code() {
                    return Err(code.to_owned());
                }
            }
            Some(_) => return Err("an unknown event".into()),
            None => return Ok(n),
        }
    }
}

fn main() -> ExitCode {
    let args = Args::from_env();
    let rounds = args.number("--rounds", 7).max(1) as usize;
    let dir: PathBuf = env!("CARGO_MANIFEST_DIR").into();
    let function = match release_binary(&dir, "fn-lambda-stream") {
        Ok(f) => f,
        Err(e) => {
            eprintln!("invoke: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let start = |bytes: u64| {
        LocalLambda::start(&function, &[("BODY_BYTES", bytes.to_string())])
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // Peak heap of the adapter, on this thread (the client's connections run on it too).
    let mut peaks = Vec::new();
    for bytes in [SMALL, LARGE] {
        let lambda = start(bytes);
        let client = client(&lambda);
        rt.block_on(adapter(&client)).expect("a warm-up invocation");
        let (n, stats) = heap::measure(|| rt.block_on(adapter(&client)));
        assert_eq!(n, Ok(bytes), "every body byte");
        peaks.push(stats.peak_bytes);
    }
    let lambda = start(LARGE);
    let client = client(&lambda);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for k in 0..2 {
            let t = Instant::now();
            let (n, list) = if (round + k) % 2 == 0 {
                (rt.block_on(adapter(&client)), &mut ours)
            } else {
                (rt.block_on(by_hand(&client)), &mut theirs)
            };
            let n = n.unwrap_or_else(|e| panic!("{e}"));
            assert!(n >= LARGE, "{n} bytes");
            list.push(LARGE as f64 / 1e6 / t.elapsed().as_secs_f64());
        }
    }
    let (ours, theirs) = (median(ours), median(theirs));
    let ratio = ours / theirs;
    println!("200 MB per invocation through the local Lambda, {rounds} rounds\n");
    println!("  lambda-stream-invoke   {ours:>8.0} MB/s");
    println!("  receiver by hand       {theirs:>8.0} MB/s");
    println!(
        "\nthroughput, adapter / by hand: {ratio:.3} (target >= 0.95: {})",
        if ratio >= 0.95 { "met" } else { "missed" }
    );
    let flat = peaks[1] as f64 / peaks[0] as f64;
    println!(
        "peak heap of the adapter: {} B at 20 MB, {} B at 200 MB (ratio {flat:.3}, target <= 1.1: {})",
        peaks[0],
        peaks[1],
        if flat <= 1.1 { "met" } else { "missed" }
    );
    ExitCode::SUCCESS
}
