//! Invokes a streaming function and writes its body to a file, with a progress line.
//!
//! ```text
//! cargo run -p lambda-stream-invoke --example invoke_to_file -- FUNCTION PATH [OUT]
//! ```
//!
//! The event is a function URL `GET` of `PATH` (what the `s3_object` example serves); the
//! body goes to `OUT` (default: the last part of `PATH`). The function's status and headers
//! are printed first. If the function fails, before or after its first byte, the program
//! says so, removes the partial file and exits with status 1: a failed body never looks
//! like a complete file. `AWS_ENDPOINT_URL_LAMBDA` points the client elsewhere than AWS.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use futures_util::TryStreamExt;
use tokio::io::AsyncWriteExt;

async fn run(function: &str, path: &str, out: &str) -> Result<u64, Box<dyn std::error::Error>> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_lambda::Client::new(&config);
    // A function URL event (payload format 2.0).
    let event = serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "invoke-to-file"},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "invoke-to-file",
            "domainName": "invoke-to-file",
            "domainPrefix": "invoke-to-file",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "invoke_to_file"},
            "requestId": "invoke-to-file",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 0
        },
        "isBase64Encoded": false
    });
    let response = lambda_stream_invoke::invoke(&client, function, event.to_string()).await?;
    if let Some(prelude) = response.prelude() {
        eprintln!("status {}", prelude.status());
        for (name, value) in prelude.headers() {
            eprintln!("{name}: {value}");
        }
    }
    let mut file = tokio::fs::File::create(out).await?;
    let mut body = response.into_body();
    let started = Instant::now();
    let mut written = 0u64;
    while let Some(chunk) = body.try_next().await? {
        file.write_all(&chunk).await?;
        written += chunk.len() as u64;
        let seconds = started.elapsed().as_secs_f64().max(1e-3);
        eprint!(
            "\r{out}: {:.1} MB, {:.1} MB/s   ",
            written as f64 / 1e6,
            written as f64 / 1e6 / seconds
        );
        let _ = std::io::stderr().flush();
    }
    file.flush().await?;
    eprintln!();
    Ok(written)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(function), Some(path)) = (args.first(), args.get(1)) else {
        eprintln!("usage: invoke_to_file FUNCTION PATH [OUT]");
        return ExitCode::from(2);
    };
    let out = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| path.rsplit('/').next().unwrap_or("body").to_owned());
    match run(function, path, &out).await {
        Ok(written) => {
            eprintln!("{out}: {written} bytes");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "\ninvoke_to_file: {}",
                aws_sdk_lambda::error::DisplayErrorContext(e.as_ref())
            );
            let _ = std::fs::remove_file(&out);
            ExitCode::FAILURE
        }
    }
}
