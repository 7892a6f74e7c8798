//! Shared by the criterion benchmarks in `benches/` and the `ratios` report.

pub mod function;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

use bytes::Bytes;
use lambda_stream_testkit::data::{MAX_STREAMED, REFERENCE_SIZES, pattern};

/// The sizes every benchmark runs at: the three reference sizes and 200 MB.
pub const BENCH_SIZES: [usize; 4] = [
    REFERENCE_SIZES[0],
    REFERENCE_SIZES[1],
    REFERENCE_SIZES[2],
    MAX_STREAMED,
];

/// A 200 MB object (made once); smaller sizes are prefixes of it.
pub fn object() -> &'static Bytes {
    static OBJECT: OnceLock<Bytes> = OnceLock::new();
    OBJECT.get_or_init(|| pattern(MAX_STREAMED))
}

/// `4.4MB`, as benchmark ids spell sizes.
pub fn size_label(size: usize) -> String {
    lambda_stream_testkit::data::megabytes(size).replace(' ', "")
}

/// Where criterion keeps its estimates, found as criterion finds it: `$CRITERION_HOME`,
/// else `criterion` under `$CARGO_TARGET_DIR`, under the target directory `cargo metadata`
/// reports, or under this workspace's `target`.
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Path::new(&target).join("criterion");
    }
    let from_metadata =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or("cargo".into()))
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| serde_json::from_slice::<serde_json::Value>(&out.stdout).ok())
            .and_then(|meta| meta["target_directory"].as_str().map(PathBuf::from));
    from_metadata
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("criterion")
}

/// The file beside each benchmark's `new/estimates.json` naming the run that wrote it.
pub const RUN_ID_FILE: &str = "run-id";

/// One `cargo bench` process: stamps the estimates it wrote with its run id, so that a
/// ratio is only ever taken between two estimates of the same run.
#[derive(Debug)]
pub struct Run {
    id: String,
    started: SystemTime,
    dir: PathBuf,
}

impl Run {
    /// A run starting now.
    pub fn start() -> Run {
        let started = SystemTime::now();
        let nanos = started
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Run {
            id: format!("{nanos}-{}", std::process::id()),
            started,
            dir: criterion_dir(),
        }
    }

    /// Stamps every estimate of `group` this run wrote (`<function>/<size>/new/`), and
    /// only those: a benchmark filtered out keeps its older stamp.
    ///
    /// # Errors
    ///
    /// When a stamp cannot be written.
    pub fn stamp(&self, group: &str) -> std::io::Result<()> {
        let Ok(functions) = std::fs::read_dir(self.dir.join(group)) else {
            return Ok(());
        };
        for size_dir in functions
            .flatten()
            .filter_map(|f| std::fs::read_dir(f.path()).ok())
            .flatten()
            .flatten()
        {
            let new = size_dir.path().join("new");
            let written = std::fs::metadata(new.join("estimates.json")).and_then(|m| m.modified());
            if written.is_ok_and(|at| at >= self.started) {
                std::fs::write(new.join(RUN_ID_FILE), &self.id)?;
            }
        }
        Ok(())
    }
}

/// The median of `values` (the mean of the middle two for an even count; 0 for none).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The benchmark binaries' command line: `--flag VALUE` options and `--switch`es.
#[derive(Debug, Clone)]
pub struct Args(Vec<String>);

impl Args {
    /// This process's arguments.
    pub fn from_env() -> Args {
        Args(std::env::args().skip(1).collect())
    }

    /// The number after `flag`, or `default`.
    pub fn number(&self, flag: &str, default: u64) -> u64 {
        self.0
            .iter()
            .position(|a| a == flag)
            .and_then(|i| self.0.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// Whether `switch` was given.
    pub fn has(&self, switch: &str) -> bool {
        self.0.iter().any(|a| a == switch)
    }
}
