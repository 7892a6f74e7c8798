//! `lambda-stream-local`: a function binary behind a local function URL and
//! `InvokeWithResponseStream`, until interrupted.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use lambda_stream_local::{LocalLambda, Options, Record};

/// A local streaming Lambda: runs FUNCTION on a Lambda Runtime API of its own, behind a
/// function URL (RESPONSE_STREAM) and InvokeWithResponseStream, both on 127.0.0.1. A
/// failure after the first byte aborts the function URL's response (curl exits with 18)
/// and ends InvokeWithResponseStream with the function's error code.
#[derive(Debug, Parser)]
#[command(name = "lambda-stream-local", version)]
struct Cli {
    /// The function's executable (its `bootstrap`, or `target/release/<bin>`); or, with
    /// `--bin` or `--package` instead, the binary cargo builds.
    #[arg(required_unless_present_any = ["bin", "package"])]
    function: Option<PathBuf>,
    /// Builds this binary of the package in the current directory with `cargo build
    /// --release`, and runs it.
    #[arg(long, conflicts_with = "function")]
    bin: Option<String>,
    /// Builds the binary of this package of the workspace in the current directory with
    /// `cargo build --release`, and runs it.
    #[arg(long, short = 'p', conflicts_with = "function")]
    package: Option<String>,
    /// The function URL's port on 127.0.0.1 (0: any free one).
    #[arg(long, default_value_t = 9000)]
    url_port: u16,
    /// The InvokeWithResponseStream endpoint's port on 127.0.0.1 (0: any free one).
    #[arg(long, default_value_t = 9001)]
    invoke_port: u16,
    /// The API Gateway REST API's port on 127.0.0.1 (0: any free one): a REST API whose
    /// Lambda proxy integration streams.
    #[arg(long, default_value_t = 9002)]
    rest_port: u16,
    /// Adds KEY=VALUE to the function's environment (repeat it for more).
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = key_value)]
    env: Vec<(String, String)>,
    /// How many function processes serve requests at once (each one invocation at a time).
    #[arg(long, default_value_t = 1)]
    processes: usize,
    /// Applies Lambda's rate to streamed responses: the first 6 MB at full speed, then at
    /// most 2 MB/s.
    #[arg(long)]
    lambda_rate: bool,
    /// The function's timeout in seconds (Lambda's default for a new function is 3, its
    /// most 900): past it, the invocation fails as `Sandbox.Timedout`.
    #[arg(long, default_value_t = 900.0)]
    timeout: f64,
    /// Sets AWS_LAMBDA_MAX_CONCURRENCY for the function (Lambda Managed Instances): that
    /// many invocations at once in one process.
    #[arg(long)]
    max_concurrency: Option<usize>,
}

fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, found {text:?}")),
    }
}

/// One line for an invocation through the function URL.
fn line(record: &Record) -> String {
    let outcome = match &record.error {
        None => "ok".to_owned(),
        Some((error_type, message)) => format!("FAILED {error_type}: {message}"),
    };
    let first_byte = record.first_byte.map_or("-".to_owned(), |t| {
        format!("{:.1} ms", t.as_secs_f64() * 1e3)
    });
    format!(
        "[invocation] {} {} {} bytes, first byte {first_byte}, {:.1} ms: {outcome}",
        record.path,
        record.status,
        record.body_bytes,
        record.busy.as_secs_f64() * 1e3
    )
}

/// Builds the binary `--bin` / `--package` name with cargo, in release, and gives its path.
fn build(bin: Option<&str>, package: Option<&str>) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command.args([
        "build",
        "--release",
        "--message-format=json-render-diagnostics",
    ]);
    if let Some(package) = package {
        command.args(["--package", package]);
    }
    if let Some(bin) = bin {
        command.args(["--bin", bin]);
    }
    // Cargo's own progress and diagnostics go to the terminal.
    let output = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err("cargo build failed (see above)".to_owned());
    }
    // The last executable cargo names is the binary asked for (its dependencies build none).
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| bin.is_none_or(|b| m["target"]["name"] == b))
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo built no executable: name it with --bin".to_owned())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let function = match &cli.function {
        Some(path) => path.clone(),
        None => match build(cli.bin.as_deref(), cli.package.as_deref()) {
            Ok(path) => path,
            Err(e) => {
                eprintln!("lambda-stream-local: {e}");
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let Ok(timeout) = Duration::try_from_secs_f64(cli.timeout) else {
        eprintln!(
            "lambda-stream-local: --timeout: expected a number of seconds, found {}",
            cli.timeout
        );
        return std::process::ExitCode::FAILURE;
    };
    let options = Options {
        processes: cli.processes,
        // As Lambda: the function's response is read as fast as it comes, whatever the
        // client's pace.
        buffer_responses: true,
        lambda_rate: cli.lambda_rate,
        url_port: cli.url_port,
        invoke_port: cli.invoke_port,
        rest_port: cli.rest_port,
        timeout,
        max_concurrency: cli.max_concurrency,
        ..Options::default()
    };
    let env: Vec<(&str, String)> = cli
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let mut lambda = match LocalLambda::start_with(&function, &env, options) {
        Ok(lambda) => lambda,
        Err(e) => {
            eprintln!("lambda-stream-local: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("function URL:                     {}", lambda.url("/"));
    println!("InvokeWithResponseStream endpoint: {}", lambda.endpoint());
    println!("API Gateway REST API (streaming): {}", lambda.rest_url("/"));
    let _ = std::io::stdout().flush();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        if let Ok(runtime) = runtime {
            let _ = runtime.block_on(tokio::signal::ctrl_c());
        }
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let (mut logged, mut printed) = (0, 0);
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let logs = lambda.logs();
        if logs.len() > logged {
            print!("{}", &logs[logged..]);
            logged = logs.len();
        }
        let records = lambda.records();
        for record in &records[printed.min(records.len())..] {
            println!("{}", line(record));
        }
        printed = records.len();
        let _ = std::io::stdout().flush();
        std::thread::sleep(Duration::from_millis(50));
    }
    // Ctrl-C: Lambda's shutdown phase, then the function's last words.
    let report = lambda.shutdown();
    print!("{}", report.logs.get(logged..).unwrap_or_default());
    println!("{}", shutdown_line(&report));
    std::process::ExitCode::SUCCESS
}

/// What the shutdown phase did, in one line.
fn shutdown_line(report: &lambda_stream_local::Shutdown) -> String {
    let exits: Vec<String> = report
        .exits
        .iter()
        .map(|exit| match exit {
            Some(status) => format!("exited ({status})"),
            None => "killed".to_owned(),
        })
        .collect();
    let how = if report.signalled {
        "SIGTERM sent (an extension is registered)"
    } else {
        "no extension registered: no signal"
    };
    format!(
        "shutdown: {how}; the function {} after {} ms",
        exits.join(", "),
        report.took.as_millis()
    )
}
