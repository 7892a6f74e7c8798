//! Prints throughput ratios from the last `cargo bench` run (criterion's estimates), each
//! against its target. Both sides of a ratio must carry the same run id (written by the
//! bench beside each estimate it measured), so a ratio never mixes two runs; each side is
//! criterion's median time per iteration.
//!
//! `cargo run -p lambda-stream-benches --bin ratios [CRITERION_DIR]`
//!
//! Exit status: 0 when every target holds, 1 when one does not, 2 when an estimate is
//! missing or the two sides of a ratio come from different runs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lambda_stream_benches::{BENCH_SIZES, RUN_ID_FILE, criterion_dir, size_label};

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
    // Time to first byte from a source paced at 1 ms then 100 MB/s: how many times sooner
    // the first byte comes streamed. It depends on that pacing (buffered waits for the
    // whole object); 20 means streamed takes at most 5% of buffered's time.
    ("pipeline_ttfb", "streamed", "buffered", 20.0, &[4_400_000]),
    // The pipelines' own parts, the source's pacing taken out: from the first chunk in to
    // the first frame out, against from the last chunk in to the buffered response.
    ("pipeline_ttfb", "streamed_own", "buffered_own", 0.0, ALL),
];

/// (group, function, minimum ratio of its time at the smallest size to its time at the
/// largest): a cost that must not grow with the object.
const FLAT: &[(&str, &str, f64)] = &[("pipeline_ttfb", "streamed_own", 0.8)];

/// A median time per iteration, and the run that measured it.
struct Estimate {
    median_ns: f64,
    run: String,
}

fn estimate(dir: &Path, group: &str, function: &str, size: usize) -> Result<Estimate, String> {
    let new: PathBuf = [
        dir,
        Path::new(group),
        Path::new(function),
        Path::new(&size_label(size)),
        Path::new("new"),
    ]
    .iter()
    .collect();
    let read = |name: &str| {
        let path = new.join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let text = read("estimates.json")?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", new.display()))?;
    let median_ns = json["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no median.point_estimate", new.display()))?;
    let run = read(RUN_ID_FILE)?;
    Ok(Estimate { median_ns, run })
}

/// Both estimates, if both exist and come from one run.
fn same_run(
    dir: &Path,
    group: &str,
    (a, a_size): (&str, usize),
    (b, b_size): (&str, usize),
) -> Result<(f64, f64), String> {
    let a = estimate(dir, group, a, a_size)?;
    let b = estimate(dir, group, b, b_size)?;
    if a.run != b.run {
        return Err(format!(
            "{group}: the two sides come from different runs ({} and {}); rerun `cargo bench`",
            a.run, b.run
        ));
    }
    Ok((a.median_ns, b.median_ns))
}

/// `>=target`, `<target!` or `-`; counts a miss in `below`.
fn verdict(ratio: f64, target: f64, below: &mut usize) -> String {
    if target == 0.0 {
        "-".to_owned()
    } else if ratio >= target {
        format!(">={target}")
    } else {
        *below += 1;
        format!("<{target}!")
    }
}

fn main() -> ExitCode {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(criterion_dir, PathBuf::from);
    let mut refused = 0;
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
            let (ours_ns, base_ns) = match same_run(&dir, group, (ours, size), (baseline, size)) {
                Ok(pair) => pair,
                Err(e) => {
                    eprintln!("ratios: {e}");
                    refused += 1;
                    continue;
                }
            };
            // Same bytes on both sides, so the throughput ratio is the inverse time ratio.
            let ratio = base_ns / ours_ns;
            println!(
                "{group:<20} {:<34} {:>8} {ratio:>8.3} {:>7}",
                format!("{ours} / {baseline}"),
                size_label(size),
                verdict(ratio, target, &mut below)
            );
        }
    }
    let (smallest, largest) = (BENCH_SIZES[0], BENCH_SIZES[BENCH_SIZES.len() - 1]);
    for &(group, function, target) in FLAT {
        match same_run(&dir, group, (function, smallest), (function, largest)) {
            Ok((small_ns, large_ns)) => {
                let ratio = small_ns / large_ns;
                println!(
                    "{group:<20} {:<34} {:>8} {ratio:>8.3} {:>7}",
                    format!(
                        "{function} at {} / at {}",
                        size_label(smallest),
                        size_label(largest)
                    ),
                    "-",
                    verdict(ratio, target, &mut below)
                );
            }
            Err(e) => {
                eprintln!("ratios: {e}");
                refused += 1;
            }
        }
    }
    if refused > 0 {
        eprintln!("ratios: {refused} ratios refused; run `cargo bench` first");
        return ExitCode::from(2);
    }
    if below > 0 {
        println!("ratios: {below} below target");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
