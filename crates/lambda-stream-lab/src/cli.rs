//! Command-line flags.

use std::ffi::OsString;
use std::time::Duration;

use clap::Parser;
use lambda_stream_testkit::data::REFERENCE_SIZES;

/// Buffered against streamed Lambda responses, measured on this machine.
///
/// Serves each object size both ways through the lambda-stream crates: buffered (collect
/// the object, base64 it into a JSON response, as a buffered Lambda response must) and
/// streamed (lambda_stream::ResponseStream), from a source paced like S3 to a consumer
/// paced like a client, and prints time to first byte, total time, peak heap, bytes copied
/// and whether the response fits Lambda's limit.
#[derive(Debug, Clone, PartialEq, Parser)]
#[command(name = "lambda-stream-lab", version, about, long_about)]
pub struct Cli {
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Object sizes, comma-separated: bytes, or with a unit (KB, MB, KiB, MiB; decimal MB as
    /// in the published experiment).
    #[arg(long, value_delimiter = ',', value_parser = parse_size, default_values_t = REFERENCE_SIZES.map(|s| s as u64))]
    pub sizes: Vec<u64>,

    /// Run the simulated part against this S3-compatible endpoint (for example a
    /// moto_server) instead of the embedded paced source; needs --bucket, and a build with
    /// `--features s3`.
    #[arg(long, value_name = "URL", requires = "bucket")]
    pub s3_endpoint: Option<String>,

    /// The bucket to upload the objects to and read them from (it must exist).
    #[arg(long, value_name = "NAME", requires = "s3_endpoint")]
    pub bucket: Option<String>,

    /// Embedded source: delay before the first byte, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30.0)]
    pub source_latency_ms: f64,

    /// Embedded source: throughput after the first byte, in MB/s (decimal).
    #[arg(long, value_name = "MB/S", default_value_t = 20.0, value_parser = positive)]
    pub source_mbps: f64,

    /// Client: how fast it takes the response, in MB/s (decimal).
    #[arg(long, value_name = "MB/S", default_value_t = 10.0, value_parser = positive)]
    pub client_mbps: f64,

    /// Apply Lambda's streaming rate rule: the first 6 MB at full speed, then at most 2 MB/s.
    #[arg(long, value_name = "on|off", default_value = "on", value_parser = on_off, action = clap::ArgAction::Set)]
    pub lambda_rate: bool,

    /// Measure this deployed function URL instead (repeatable): --requests requests each,
    /// time to first byte and total as min / median / max, the body's length and SHA-256,
    /// the statuses. Needs a build with `--features remote` (HTTPS).
    #[arg(long, value_name = "URL")]
    pub url: Vec<String>,

    /// Requests per --url.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub requests: u32,

    /// How long one --url request may take, in seconds, before it counts as failed.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = positive)]
    pub timeout: f64,

    /// What to run, comma-separated: `simulated` (buffered against streamed in this
    /// process, with a simulated client) and the scenarios of the three-way comparison in
    /// real function processes: `clean`, `failure`, `over-budget`, `slow-client`,
    /// `concurrent`, `tokens`.
    #[arg(long, value_delimiter = ',', value_parser = parse_part, default_values_t = default_parts())]
    pub scenarios: Vec<Part>,
}

/// A part of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Buffered against streamed, in process.
    Simulated,
    /// A scenario of the three-way comparison.
    Compare(crate::compare::Scenario),
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Part::Simulated => f.write_str("simulated"),
            Part::Compare(s) => s.fmt(f),
        }
    }
}

fn default_parts() -> Vec<Part> {
    std::iter::once(Part::Simulated)
        .chain(crate::compare::SCENARIOS.map(Part::Compare))
        .collect()
}

fn parse_part(text: &str) -> Result<Part, String> {
    match text.trim() {
        "simulated" => Ok(Part::Simulated),
        other => other.parse().map(Part::Compare).map_err(|()| {
            format!(
                "scenario {text:?}: expected simulated, clean, failure, over-budget, slow-client, concurrent or tokens"
            )
        }),
    }
}

impl Cli {
    /// Parses `args` (the program name first).
    ///
    /// # Errors
    ///
    /// clap's error: a usage error, or the text of `--help` / `--version`.
    pub fn parse_from_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        Cli::try_parse_from(args)
    }

    /// The embedded source's latency.
    pub fn source_latency(&self) -> Duration {
        Duration::from_secs_f64(self.source_latency_ms.max(0.0) / 1e3)
    }
}

/// `200000`, `0.2MB`, `4.4 MB`, `64KiB`, `1MiB`: bytes.
///
/// # Errors
///
/// A message naming what was expected and what was seen.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = (&t[..split], t[split..].trim());
    let factor: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "size {text:?}: expected a number with B, KB, MB, KiB or MiB, found unit {unit:?}"
            ));
        }
    };
    let value: f64 = number.parse().map_err(|_| {
        format!("size {text:?}: expected a number such as 4.4MB or 200000, found {number:?}")
    })?;
    let bytes = (value * factor).round();
    if !(1.0..=4e9).contains(&bytes) {
        return Err(format!("size {text:?}: expected 1 byte to 4 GB"));
    }
    Ok(bytes as u64)
}

fn positive(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("expected a positive number, found {text:?}")),
    }
}

fn on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("expected on or off, found {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("200000"), Ok(200_000));
        assert_eq!(parse_size("0.2MB"), Ok(200_000));
        assert_eq!(parse_size("4.4 MB"), Ok(4_400_000));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("200mb"), Ok(200_000_000));
        assert!(
            parse_size("12 parsecs")
                .unwrap_err()
                .contains(r#"unit "parsecs""#)
        );
        assert!(parse_size("x").is_err());
        assert!(parse_size("0").is_err());
    }
}
