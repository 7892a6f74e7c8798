//! The local Lambda's function URL front as a link: 200 MB streamed bodies from a real
//! function process (`fn-lambda-stream`) through the `lambda-stream-local` binary to a
//! client on loopback, in one run. Prints the forwarding throughput (median of the rounds;
//! target: at least 1 GB/s, so that the local Lambda is never the bottleneck of a test or
//! of the lab) and the binary's peak RSS after fast clients and after a client that stalls
//! for 5 s before reading a 200 MB body (target: at most 64 MiB: the front reads at most
//! `READ_AHEAD_LIMIT`, 16 MiB, ahead of its client).
//!
//! `cargo run --release -p lambda-stream-benches --bin local [-- --rounds N]`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use lambda_stream_testkit::servers::build::release_binary;

const BODY: u64 = 200_000_000;
const GB_PER_S_TARGET: f64 = 1.0;
const RSS_TARGET_MIB: f64 = 64.0;

/// The binary, stopped when dropped.
struct Local(Child);

impl Drop for Local {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One GET of `path` at `addr`, read after `stall`: its bytes, or why there were fewer than
/// a whole body.
fn fetch(addr: &str, path: &str, stall: Duration) -> Result<u64, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").map_err(|e| e.to_string())?;
    std::thread::sleep(stall);
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    if total < BODY {
        return Err(format!("{path}: {total} bytes, expected over {BODY}"));
    }
    Ok(total)
}

/// The peak resident set of process `pid`, in MiB.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() -> ExitCode {
    let rounds: usize = std::env::args()
        .skip_while(|a| a != "--rounds")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(7)
        .max(1);
    let benches: PathBuf = env!("CARGO_MANIFEST_DIR").into();
    let built = release_binary(&benches, "fn-lambda-stream").and_then(|function| {
        release_binary(
            &benches.join("../crates/lambda-stream-local"),
            "lambda-stream-local",
        )
        .map(|local| (function, local))
    });
    let (function, local) = match built {
        Ok(built) => built,
        Err(e) => {
            eprintln!("local: {e}");
            return ExitCode::FAILURE;
        }
    };
    let child = Command::new(local)
        .arg(function)
        .args(["--url-port", "0", "--invoke-port", "0"])
        .args(["--env", &format!("BODY_BYTES={BODY}")])
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            eprintln!("local: cannot start lambda-stream-local: {e}");
            return ExitCode::FAILURE;
        }
    };
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let _local = Local(child);
    let url = lines
        .next()
        .and_then(Result::ok)
        .and_then(|l| l.split_whitespace().last().map(str::to_owned))
        .unwrap_or_default();
    let Some(addr) = url
        .strip_prefix("http://")
        .map(|rest| rest.trim_end_matches('/').to_owned())
    else {
        eprintln!("local: no function URL printed ({url:?})");
        return ExitCode::FAILURE;
    };
    // The function's output and the invocation lines, drained so that the pipe never fills.
    std::thread::spawn(move || for _ in lines {});

    let mut rates = Vec::new();
    for round in 0..=rounds {
        let started = Instant::now();
        match fetch(&addr, "/fast", Duration::ZERO) {
            // The first round warms up: not counted.
            Ok(n) if round > 0 => rates.push(n as f64 / started.elapsed().as_secs_f64() / 1e9),
            Ok(_) => {}
            Err(e) => {
                eprintln!("local: a fast client: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    let fast_rss = peak_rss_mib(pid).unwrap_or(f64::NAN);
    if let Err(e) = fetch(&addr, "/stalled", Duration::from_secs(5)) {
        eprintln!("local: the stalled client: {e}");
        return ExitCode::FAILURE;
    }
    let stalled_rss = peak_rss_mib(pid).unwrap_or(f64::NAN);
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    println!(
        "lambda-stream-local, function URL, {} MB bodies, {} rounds",
        BODY / 1_000_000,
        rates.len()
    );
    println!(
        "  forwarding: median {median:.2} GB/s (min {:.2}, max {:.2}); target >= {GB_PER_S_TARGET} GB/s: {}",
        rates[0],
        rates[rates.len() - 1],
        verdict(median >= GB_PER_S_TARGET)
    );
    println!(
        "  peak RSS: {fast_rss:.1} MiB after fast clients, {stalled_rss:.1} MiB after a client stalled 5 s; target <= {RSS_TARGET_MIB} MiB: {}",
        verdict(stalled_rss <= RSS_TARGET_MIB)
    );
    ExitCode::SUCCESS
}
