//! The table and the JSON lines.

use lambda_stream::limits::{FULL_SPEED_BYTES, THROTTLED_BYTES_PER_SECOND};
use lambda_stream_testkit::data::megabytes;

use crate::cli::Cli;
use crate::pacing::SOURCE_CHUNKS;
use crate::run::{BUFFERED_LIMIT, Row};

/// One JSON object: `part` (`simulated`), `size_bytes`, `mode`, `ttfb_ms`, `total_ms`,
/// `peak_heap_bytes`, `bytes_copied`, `fits_limit`, and the `settings` and `machine` of the
/// run, so that two runs can be compared.
pub fn json_line(row: &Row, cli: &Cli) -> String {
    let mut value = serde_json::to_value(row).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("part".into(), "simulated".into());
        object.insert(
            "settings".into(),
            serde_json::json!({
                "sizes": cli.sizes,
                "source_latency_ms": cli.source_latency_ms,
                "source_mbps": cli.source_mbps,
                "client_mbps": cli.client_mbps,
                "lambda_rate": cli.lambda_rate,
                "source": if cli.s3_endpoint.is_some() { "s3" } else { "paced" },
            }),
        );
        object.insert("machine".into(), machine());
    }
    value.to_string()
}

/// The machine a run ran on: its CPUs, OS and architecture, and the lab's version.
pub fn machine() -> serde_json::Value {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_default();
    serde_json::json!({
        "cpus": cpus,
        "cpu": cpu,
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "lab": env!("CARGO_PKG_VERSION"),
    })
}

/// What the comparison runs, and how.
pub fn print_comparison_header(settings: &crate::compare::Settings) {
    println!("Three ways, as real function processes on a local Lambda (loopback):");
    println!("  buffered       lambda_http::run: the object collected, base64 in a JSON response");
    println!(
        "  lambda_http    lambda_http::run_with_streaming_response, ByteStream -> into_async_read -> ReaderStream"
    );
    println!("  lambda-stream  lambda_stream_runtime::run with lambda_stream::response");
    println!(
        "source: paced like S3 (first byte after {} ms, then {} MB/s); Lambda: 6 MB buffered, \
         2 MB/s after 6 MB streamed: {}, responses buffered for slow clients",
        settings.source_latency_ms,
        settings.source_mbps,
        if settings.lambda_rate { "on" } else { "off" }
    );
    println!();
}

/// What the run measures and under which settings.
pub fn print_header(cli: &Cli) {
    println!("lambda-stream-lab: buffered against streamed Lambda responses, on this machine");
    match (&cli.s3_endpoint, &cli.bucket) {
        (Some(endpoint), Some(bucket)) => println!("source:  S3 at {endpoint}, bucket {bucket}"),
        _ => println!(
            "source:  paced like S3: first byte after {} ms, then {} MB/s, in chunks of {} B to {} KiB",
            cli.source_latency_ms,
            cli.source_mbps,
            SOURCE_CHUNKS.iter().min().copied().unwrap_or(0),
            SOURCE_CHUNKS.iter().max().copied().unwrap_or(0) / 1024
        ),
    }
    println!(
        "client:  {} MB/s; Lambda's streaming rule (first {} MB at full speed, then {} MB/s): {}",
        cli.client_mbps,
        FULL_SPEED_BYTES / 1_000_000,
        THROTTLED_BYTES_PER_SECOND / 1_000_000,
        if cli.lambda_rate { "on" } else { "off" }
    );
    println!(
        "limits:  buffered {} bytes of JSON (6 MiB, base64 body included); streamed {} bytes (200 MiB)",
        BUFFERED_LIMIT,
        lambda_stream::DEFAULT_MAX_RESPONSE_BYTES
    );
    println!();
}

/// The rows as a table.
pub fn print_table(rows: &[Row]) {
    println!(
        "{:>9}  {:<8}  {:>9}  {:>10}  {:>10}  {:>12}  {:>5}",
        "size", "mode", "TTFB ms", "total ms", "peak heap", "bytes copied", "fits"
    );
    for r in rows {
        println!(
            "{:>9}  {:<8}  {:>9.1}  {:>10.1}  {:>10}  {:>12}  {:>5}",
            megabytes(r.size_bytes as usize),
            r.mode.to_string(),
            r.ttfb_ms,
            r.total_ms,
            human(r.peak_heap_bytes),
            human(r.bytes_copied),
            if r.fits_limit { "yes" } else { "no" }
        );
    }
    println!();
    println!(
        "bytes copied: body bytes written to new buffers on the way out (coalescing small chunks"
    );
    println!(
        "when streamed; the contiguous object, its base64 and the JSON response when buffered)"
    );
}

/// `1.2 MB`, `31.0 KB`, `512 B` (decimal, as the sizes are).
fn human(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::Mode;

    #[test]
    fn json_has_exactly_the_documented_fields() {
        let row = Row {
            size_bytes: 4_400_000,
            mode: Mode::Streamed,
            ttfb_ms: 31.5,
            total_ms: 480.0,
            peak_heap_bytes: 160_000,
            bytes_copied: 12,
            fits_limit: true,
        };
        let cli = Cli::parse_from_args(["lab"]).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json_line(&row, &cli)).unwrap();
        let mut keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "bytes_copied",
                "fits_limit",
                "machine",
                "mode",
                "part",
                "peak_heap_bytes",
                "settings",
                "size_bytes",
                "total_ms",
                "ttfb_ms"
            ]
        );
        assert_eq!(value["settings"]["source"], "paced");
        assert!(value["machine"]["cpus"].as_u64().unwrap() >= 1);
        assert_eq!(value["mode"], "streamed");
        assert_eq!(value["size_bytes"], 4_400_000);
        assert_eq!(value["fits_limit"], true);
        assert_eq!(human(999), "999 B");
        assert_eq!(human(160_000), "160.0 KB");
        assert_eq!(human(4_400_000), "4.4 MB");
    }
}
