//! Prints throughput ratios from the last `cargo bench` run (criterion's estimates under
//! `target/criterion`), each against its target, so both sides come from one run on one
//! machine.
//!
//! `cargo run -p lambda-stream-benches --bin ratios [CRITERION_DIR]`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lambda_stream_benches::{BENCH_SIZES, size_label};

/// (group, ours, baseline, minimum ratio of the baseline's time to ours (0 for none), the
/// sizes the target holds at (empty: all)).
type Pair = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    &'static [usize],
);

const ALL: &[usize] = &[];

const PAIRS: &[Pair] = &[
    (
        "chunk_pass_through",
        "rechunk_dyn",
        "bare_loop_dyn",
        0.95,
        ALL,
    ),
    ("chunk_pass_through", "rechunk", "bare_loop", 0.0, ALL),
    ("chunk_pass_through", "prefetch", "bare_loop", 0.0, ALL),
    ("chunk_pass_through", "forward", "bare_loop", 0.0, ALL),
    ("chunk_coalesce", "rechunk", "extend_loop", 0.8, ALL),
    (
        "chunk_read",
        "read_chunks_64k",
        "reader_stream_4k",
        0.0,
        ALL,
    ),
    (
        "chunk_read",
        "read_chunks_256k",
        "reader_stream_4k",
        0.0,
        ALL,
    ),
    (
        "pipeline_throughput",
        "response_stream",
        "bare_loop",
        0.9,
        ALL,
    ),
    (
        "pipeline_throughput",
        "response_stream",
        "naive_reader_stream",
        1.0,
        ALL,
    ),
    (
        "pipeline_throughput",
        "response_stream",
        "buffered",
        0.0,
        ALL,
    ),
    // Time to first byte: the ratio is how many times sooner the first byte comes
    // streamed; 20 means streamed takes at most 5% of buffered's time.
    ("pipeline_ttfb", "streamed", "buffered", 20.0, &[4_400_000]),
];

/// Mean time per iteration in nanoseconds, from criterion's `estimates.json`.
fn mean_ns(dir: &Path, group: &str, function: &str, size: &str) -> Result<f64, String> {
    let path: PathBuf = [
        dir,
        Path::new(group),
        Path::new(function),
        Path::new(size),
        Path::new("new/estimates.json"),
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    json["mean"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no mean.point_estimate", path.display()))
}

fn main() -> ExitCode {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
            target.join("criterion")
        });
    let mut missing = 0;
    let mut below = 0;
    println!(
        "{:<20} {:<34} {:>8} {:>8} {:>7}",
        "group", "ours / baseline", "size", "ratio", "target"
    );
    for &(group, ours, baseline, target, at) in PAIRS {
        for size in BENCH_SIZES {
            let target = if at.is_empty() || at.contains(&size) {
                target
            } else {
                0.0
            };
            let label = size_label(size);
            let pair = (
                mean_ns(&dir, group, ours, &label),
                mean_ns(&dir, group, baseline, &label),
            );
            let (ours_ns, base_ns) = match pair {
                (Ok(o), Ok(b)) => (o, b),
                (Err(e), _) | (_, Err(e)) => {
                    eprintln!("ratios: {e}");
                    missing += 1;
                    continue;
                }
            };
            // Same bytes on both sides, so the throughput ratio is the inverse time ratio.
            let ratio = base_ns / ours_ns;
            let verdict = if target == 0.0 {
                "-".to_owned()
            } else if ratio >= target {
                format!(">={target}")
            } else {
                below += 1;
                format!("<{target}!")
            };
            println!(
                "{group:<20} {:<34} {label:>8} {ratio:>8.3} {verdict:>7}",
                format!("{ours} / {baseline}")
            );
        }
    }
    if missing > 0 {
        eprintln!("ratios: {missing} pairs missing; run `cargo bench` first");
        return ExitCode::from(2);
    }
    if below > 0 {
        println!("ratios: {below} below target");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
