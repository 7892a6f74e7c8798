//! `moto_server`, a real S3-compatible server (PyPI `moto[server]`).

use super::error::{FixtureError, FixtureErrorKind};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `moto_server` on a free 127.0.0.1 port, killed when dropped.
///
/// The executable is `$MOTO_SERVER` if set, else `moto_server` on the `PATH`
/// (`scripts/test` installs it). Its log goes to a file in the temporary directory, named in
/// the error if it fails to start, and removed when it stops.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Moto {
    /// Starts a server and waits until it answers.
    ///
    /// # Errors
    ///
    /// A message saying what is missing or what the server printed, if it does not start.
    pub fn start() -> Result<Moto, FixtureError> {
        let exe = std::env::var_os("MOTO_SERVER").unwrap_or_else(|| "moto_server".into());
        let mut last = None;
        // A free port can be taken between the check and the server's bind: try a few.
        for _ in 0..3 {
            let port =
                super::free_port().map_err(|e| FixtureError::io("no free port on 127.0.0.1", e))?;
            let log = std::env::temp_dir().join(format!("lambda-stream-moto-{port}.log"));
            let io = |e| FixtureError::io(log.display(), e);
            let file = std::fs::File::create(&log).map_err(io)?;
            let err = file.try_clone().map_err(io)?;
            let child = Command::new(&exe)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(file)
                .stderr(err)
                .spawn()
                .map_err(|e| {
                    FixtureError::new(FixtureErrorKind::Missing,
                        format!(
                            "cannot run {:?} ({e}): install it with `pip install 'moto[server]'`, or run scripts/test",
                            exe
                        ),
                    )
                })?;
            let mut moto = Moto {
                child,
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                log,
            };
            match moto.wait_ready(Duration::from_secs(60)) {
                Ok(()) => return Ok(moto),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            FixtureError::new(FixtureErrorKind::Start, "moto_server did not start")
        }))
    }

    /// [`start`](Self::start) from async code: it waits for the server on a blocking
    /// thread, not on the runtime's.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub async fn start_async() -> Result<Moto, FixtureError> {
        tokio::task::spawn_blocking(Moto::start)
            .await
            .map_err(|e| {
                FixtureError::new(FixtureErrorKind::Io, format!("starting moto_server: {e}"))
            })?
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), FixtureError> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                return Err(FixtureError::new(
                    FixtureErrorKind::Start,
                    format!(
                        "moto_server exited with {status} before answering: {}",
                        log.trim()
                    ),
                ));
            }
            if self.answers() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(FixtureError::new(
            FixtureErrorKind::Start,
            format!(
                "moto_server did not answer on {} within {limit:?}; log: {}",
                self.addr,
                self.log.display()
            ),
        ))
    }

    fn answers(&self) -> bool {
        let Ok(mut s) = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let request = format!(
            "GET /moto-api/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        let mut head = [0u8; 12];
        s.write_all(request.as_bytes()).is_ok()
            && s.read_exact(&mut head).is_ok()
            && head.starts_with(b"HTTP/1.1 200")
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
