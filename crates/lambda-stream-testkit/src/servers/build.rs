//! Function binaries for end-to-end tests and benchmarks, built fresh.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::{FixtureError, FixtureErrorKind};

/// Builds example `name` of the package whose manifest directory is `package_dir` (in the
/// caller's own profile and target directory, with `features`), and returns its
/// executable.
///
/// `cargo test` builds the examples already, so this is a freshness check that costs a
/// second; when the example is stale (a test run filtered with `--test`, say), it is
/// rebuilt rather than run as it was.
///
/// # Errors
///
/// What cargo said, if the build failed or named no executable.
pub fn example(package_dir: &Path, name: &str, features: &[&str]) -> Result<PathBuf, FixtureError> {
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    target(package_dir, "--example", name, features, profile)
}

/// Builds binary `name` of the package in `package_dir` in the release profile, and
/// returns its executable; as [`example`] otherwise.
///
/// # Errors
///
/// As [`example`].
pub fn release_binary(package_dir: &Path, name: &str) -> Result<PathBuf, FixtureError> {
    target(package_dir, "--bin", name, &[], "release")
}

fn target(
    package_dir: &Path,
    kind: &str,
    name: &str,
    features: &[&str],
    profile: &str,
) -> Result<PathBuf, FixtureError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(package_dir).args([
        "build",
        kind,
        name,
        "--profile",
        profile,
        "--message-format=json-render-diagnostics",
    ]);
    if !features.is_empty() {
        command.arg("--features").arg(features.join(","));
    }
    let output = command.output().map_err(|e| {
        FixtureError::new(
            FixtureErrorKind::Missing,
            format!("cannot run cargo to build {name}: {e}"),
        )
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(FixtureError::new(
            FixtureErrorKind::Build,
            format!(
                "building {name} failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            ),
        ));
    }
    // The compiler-artifact message of the target names its executable.
    let marker = format!("\"name\":\"{name}\"");
    stdout
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\"") && l.contains(&marker))
        .find_map(|l| {
            let start = l.find("\"executable\":\"")? + "\"executable\":\"".len();
            let end = l[start..].find('"')?;
            Some(PathBuf::from(&l[start..start + end]))
        })
        .ok_or_else(|| {
            FixtureError::new(
                FixtureErrorKind::Build,
                format!("cargo built {name} but named no executable"),
            )
        })
}
