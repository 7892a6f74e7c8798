//! What the function binaries of the runtime comparison share: the body they stream; and
//! how the report reads their CPU time and peak memory.

use bytes::Bytes;

/// The prelude every way sends (the function URL dialect, as `lambda_runtime` writes it).
pub const PRELUDE: &str =
    r#"{"statusCode":200,"headers":{"content-type":"application/octet-stream"},"cookies":[]}"#;

/// The body of every invocation, from the environment: `BODY_BYTES` bytes (default 200 MB)
/// in chunks of `CHUNK_BYTES` (default 64 KiB), every chunk a clone of one block in memory,
/// so that the source costs nothing and holds nothing that grows with the size.
#[derive(Debug, Clone)]
pub struct Workload {
    block: Bytes,
    len: u64,
}

impl Workload {
    /// Reads `BODY_BYTES` and `CHUNK_BYTES`.
    pub fn from_env() -> Workload {
        let var = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        let chunk = var("CHUNK_BYTES", 64 * 1024).max(1) as usize;
        Workload {
            block: lambda_stream_testkit::data::pattern(chunk),
            len: var("BODY_BYTES", 200_000_000),
        }
    }

    /// The body's length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunks of one body.
    pub fn chunks(&self) -> impl Iterator<Item = Bytes> + Send + use<> {
        let block = self.block.clone();
        let size = block.len() as u64;
        let len = self.len;
        (0..len.div_ceil(size)).map(move |i| {
            let left = len - i * size;
            if left >= size {
                block.clone()
            } else {
                block.slice(..left as usize)
            }
        })
    }
}

/// CPU time of process `pid` so far, in nanoseconds: the sum over its threads of the
/// scheduler's run time (`/proc/PID/task/*/schedstat`).
pub fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Peak resident memory of process `pid`, in bytes (`VmHWM`).
pub fn peak_rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// A token stream, the chat-model case (the test kit's `TokenStream`): `TOKENS` events
/// (default 100) of `TOKEN_BYTES` bytes (default 40), one every `TOKEN_INTERVAL_US`
/// microseconds (default 10,000). `None` when `TOKENS` is not set.
#[derive(Debug, Clone, Copy)]
pub struct Tokens {
    count: u64,
    size: usize,
    interval: std::time::Duration,
}

impl Tokens {
    /// The token stream the environment asks for, if it asks for one.
    pub fn from_env() -> Option<Tokens> {
        let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        Some(Tokens {
            count: var("TOKENS")?,
            size: var("TOKEN_BYTES").map_or(40, |n| n as usize),
            interval: std::time::Duration::from_micros(var("TOKEN_INTERVAL_US").unwrap_or(10_000)),
        })
    }

    /// The events of one response, each made (and stamped) when it is due.
    pub fn stream(self) -> lambda_stream_testkit::tokens::TokenStream {
        lambda_stream_testkit::tokens::TokenStream::new(self.count, self.size, self.interval)
    }
}

/// Starts the function binary `exe` with the Runtime API environment `api` and `env`
/// added, its input and output discarded.
///
/// # Errors
///
/// Why it did not start.
pub fn spawn(
    exe: &std::path::Path,
    api: &[(&str, String)],
    env: &[(&str, String)],
) -> Result<std::process::Child, String> {
    std::process::Command::new(exe)
        .envs(api.iter().chain(env).map(|(k, v)| (*k, v.as_str())))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", exe.display()))
}

/// The release builds of the function binaries `bins` of this package, built fresh.
///
/// # Errors
///
/// What the build said.
pub fn release_binaries(bins: &[&str]) -> Result<Vec<std::path::PathBuf>, String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    bins.iter()
        .map(|bin| lambda_stream_testkit::servers::build::release_binary(dir, bin))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}
