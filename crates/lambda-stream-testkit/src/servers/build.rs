//! Function binaries for end-to-end tests and benchmarks, built fresh.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::{FixtureError, FixtureErrorKind};

/// The executable of example `name` of the package whose manifest directory is
/// `package_dir`, in the caller's own profile and target directory, built fresh.
///
/// `cargo test` builds the examples, in the feature set of the whole test build: when the
/// binary it left beside the caller (`<target>/<profile>/examples/<name>`) is newer than
/// every source of the workspace, that binary is the one. Otherwise (a run filtered with
/// `--test`, which builds no example, or a source changed since) the example is built
/// with `features`. Asking cargo every time would build the example in the package's own
/// feature set, a second build of the SDK and all beneath it.
///
/// # Errors
///
/// What cargo said, if the build failed or named no executable.
pub fn example(package_dir: &Path, name: &str, features: &[&str]) -> Result<PathBuf, FixtureError> {
    if let Some(built) = built_by_cargo_test(package_dir, name) {
        return Ok(built);
    }
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    target(package_dir, "--example", name, features, profile)
}

/// The executable of example `name` of `lambda-stream-runtime` (`s3_object`,
/// `axum_router`, `quick_start`), for the tests of any crate: as [`example`], without
/// features.
///
/// # Errors
///
/// As [`example`].
pub fn runtime_example(name: &str) -> Result<PathBuf, FixtureError> {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lambda-stream-runtime");
    example(&runtime, name, &[])
}

/// A script written to an executable file of its own (a stand-in function, say), removed
/// with its directory when dropped.
#[derive(Debug)]
pub struct Executable {
    path: PathBuf,
}

impl Executable {
    /// Writes `text` (starting with its `#!` line) as `name` in a fresh directory, mode 755.
    ///
    /// # Errors
    ///
    /// What the file system said.
    pub fn write(name: &str, text: &str) -> Result<Executable, FixtureError> {
        let dir = std::env::temp_dir().join(format!(
            "lambda-stream-executable-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let io = |e| FixtureError::new(FixtureErrorKind::Io, format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(&dir).map_err(io)?;
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(io)?;
        }
        Ok(Executable { path })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Drop for Executable {
    fn drop(&mut self) {
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The example binary `cargo test` built beside the running test binary, if it is newer
/// than every source file of the workspace (`.rs` and `Cargo.toml` under its `crates/`, its
/// own `Cargo.toml` and `Cargo.lock`).
fn built_by_cargo_test(package_dir: &Path, name: &str) -> Option<PathBuf> {
    // <target>/<profile>/deps/<test binary>
    let profile_dir = std::env::current_exe()
        .ok()?
        .parent()?
        .parent()?
        .to_path_buf();
    let built = profile_dir.join("examples").join(name);
    newer_than_sources(&built, package_dir)?.then_some(built)
}

/// Whether `built` is newer than every source of the workspace holding the package in
/// `package_dir`; `None` if a file cannot be read.
fn newer_than_sources(built: &Path, package_dir: &Path) -> Option<bool> {
    let built_at = std::fs::metadata(built).ok()?.modified().ok()?;
    // Canonical first: the parent of `crates/a/../b` is `crates/a/..`, not `crates`.
    let package_dir = package_dir.canonicalize().ok()?;
    let workspace = package_dir.parent()?.parent()?;
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    for file in ["Cargo.lock", "Cargo.toml"] {
        newest = newest.max(
            std::fs::metadata(workspace.join(file))
                .ok()?
                .modified()
                .ok()?,
        );
    }
    let mut dirs = vec![workspace.join("crates")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).ok()? {
            let path = entry.ok()?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                || path.file_name().is_some_and(|n| n == "Cargo.toml")
            {
                newest = newest.max(std::fs::metadata(&path).ok()?.modified().ok()?);
            }
        }
    }
    Some(built_at > newest)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn write_at(path: &Path, at: SystemTime) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(at)
            .unwrap();
    }

    /// A package named through another's `..` (as one crate's test names another's
    /// example) is in the same workspace: its example is reused, not built again.
    #[test]
    fn a_package_dir_through_dot_dot_finds_its_workspace() {
        let root = std::env::temp_dir().join(format!("build-fresh-{}", std::process::id()));
        let then = SystemTime::now() - Duration::from_secs(60);
        for file in [
            "Cargo.toml",
            "Cargo.lock",
            "crates/a/Cargo.toml",
            "crates/b/src/lib.rs",
        ] {
            write_at(&root.join(file), then);
        }
        let built = root.join("target/debug/examples/x");
        write_at(&built, SystemTime::now());
        let through = root.join("crates/a/../b");
        assert_eq!(newer_than_sources(&built, &through), Some(true));
        write_at(
            &root.join("crates/b/src/lib.rs"),
            SystemTime::now() + Duration::from_secs(5),
        );
        assert_eq!(newer_than_sources(&built, &through), Some(false));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
