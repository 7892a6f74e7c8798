//! `cargo lambda watch` (PyPI `cargo-lambda`) serving a function binary on a function URL.

use super::error::{FixtureError, FixtureErrorKind};
use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `cargo lambda watch --only-lambda-apis` on a free 127.0.0.1 port, and a function binary
/// started against its Runtime API; both killed when dropped.
///
/// The emulator is `$CARGO_LAMBDA` if set, else `cargo-lambda` on the `PATH`
/// (`scripts/test` installs it). The function is a binary built beforehand (an example
/// built by `cargo test`, say): running it directly keeps the one build of the workspace.
/// Function URL requests go to [`url`](Self::url).
#[derive(Debug)]
pub struct CargoLambda {
    emulator: Child,
    function: Option<Child>,
    addr: SocketAddr,
    logs: [PathBuf; 2],
}

impl CargoLambda {
    /// Starts the emulator in `project` (a Cargo package directory: it reads its
    /// metadata), then `function` with `env` added to the variables the Runtime API needs.
    ///
    /// # Errors
    ///
    /// A message saying what is missing or what failed to start, with its log.
    pub fn start(
        project: &Path,
        function: &Path,
        env: &[(&str, String)],
    ) -> Result<CargoLambda, FixtureError> {
        if !function.exists() {
            return Err(FixtureError::new(
                FixtureErrorKind::Missing,
                format!(
                    "no function binary at {}: build it first (`cargo test` builds the examples)",
                    function.display()
                ),
            ));
        }
        let exe =
            std::env::var_os("CARGO_LAMBDA").unwrap_or_else(|| OsString::from("cargo-lambda"));
        let port =
            super::free_port().map_err(|e| FixtureError::io("no free port on 127.0.0.1", e))?;
        let logs = [
            std::env::temp_dir().join(format!("lambda-stream-cargo-lambda-{port}.log")),
            std::env::temp_dir().join(format!("lambda-stream-function-{port}.log")),
        ];
        let (out, err) = log_to(&logs[0])?;
        let emulator = Command::new(&exe)
            .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", &port.to_string()])
            .current_dir(project)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| FixtureError::new(FixtureErrorKind::Missing, format!("cannot run {exe:?} ({e}): install it with `pip install cargo-lambda`, or run scripts/test")))?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut this = CargoLambda {
            emulator,
            function: None,
            addr,
            logs,
        };
        this.wait_listening(Duration::from_secs(30))?;
        let (out, err) = log_to(&this.logs[1])?;
        let function = Command::new(function)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://{}/.rt", this.addr),
            )
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| FixtureError::cannot_start(function, e))?;
        this.function = Some(function);
        Ok(this)
    }

    fn wait_listening(&mut self, limit: Duration) -> Result<(), FixtureError> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.emulator.try_wait() {
                return Err(FixtureError::new(
                    FixtureErrorKind::Start,
                    format!("cargo lambda watch exited with {status}: {}", self.logs().0),
                ));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(FixtureError::new(
            FixtureErrorKind::Start,
            format!(
                "cargo lambda watch did not listen on {} within {limit:?}: {}",
                self.addr,
                self.logs().0
            ),
        ))
    }

    /// The function URL of `path` (`/key`).
    pub fn url(&self, path: &str) -> String {
        format!(
            "http://{}/lambda-url/_/{}",
            self.addr,
            path.trim_start_matches('/')
        )
    }

    /// The emulator's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The emulator's log and the function's log so far.
    pub fn logs(&self) -> (String, String) {
        let read = |p: &PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        (read(&self.logs[0]), read(&self.logs[1]))
    }
}

/// Stdout and stderr of a child, both into the file at `path`.
fn log_to(path: &Path) -> Result<(Stdio, Stdio), FixtureError> {
    let io = |e| FixtureError::io(path.display(), e);
    let file = std::fs::File::create(path).map_err(io)?;
    let err = file.try_clone().map_err(io)?;
    Ok((file.into(), err.into()))
}

impl Drop for CargoLambda {
    fn drop(&mut self) {
        if let Some(function) = self.function.as_mut() {
            let _ = function.kill();
            let _ = function.wait();
        }
        let _ = self.emulator.kill();
        let _ = self.emulator.wait();
        for log in &self.logs {
            let _ = std::fs::remove_file(log);
        }
    }
}
