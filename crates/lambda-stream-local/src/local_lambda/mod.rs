//! A local Lambda: a real function binary on the Runtime API emulator, with the two fronts a caller uses: `InvokeWithResponseStream` (the
//! real event-stream encoding, for the real `aws-sdk-lambda` client) and a function URL.
//!
//! Unlike `cargo lambda watch`, both fronts keep a failure visible as Lambda does: the
//! function's error (its `/error` report, or the error trailers of a streamed response)
//! arrives through `InvokeWithResponseStream` as an `InvokeComplete` with an error code, and
//! the function URL ends the client's response without its last chunk.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::error::LocalError;
use crate::runtime_api::RuntimeApi;
use invoke_front::serve;
use url_front::url_front;

mod invoke_front;
mod outcome;
mod url_front;

pub use outcome::{BUFFERED_LIMIT, INCOMPLETE_RESPONSE, Options, Record, TOO_LARGE};

/// A function binary served by the Runtime API emulator, with an
/// `InvokeWithResponseStream` front ([`endpoint`](Self::endpoint), for `aws-sdk-lambda`'s
/// `endpoint_url`) and a function URL front ([`url`](Self::url)), all on 127.0.0.1; the
/// function processes and every server stop when it is dropped.
///
/// The function URL front answers a buffered response (the JSON a buffered runtime posts)
/// with its status, headers and decoded body, or a 502 when it is over
/// [`BUFFERED_LIMIT`]; a streamed one with its prelude and body, ended without the last
/// chunk when the function reported an error after its first byte; and a 502 for an error
/// before it. [`records`](Self::records) lists what each invocation cost and reported.
#[derive(Debug)]
pub struct LocalLambda {
    api: Arc<RuntimeApi>,
    functions: Vec<Child>,
    invoke: SocketAddr,
    url: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    log: PathBuf,
    records: Arc<std::sync::Mutex<Vec<Record>>>,
}

impl LocalLambda {
    /// Starts `function` with `env` added to what the Runtime API needs, and both fronts,
    /// with the default [`Options`].
    ///
    /// # Errors
    ///
    /// What could not start.
    pub fn start(function: &Path, env: &[(&str, String)]) -> Result<LocalLambda, LocalError> {
        LocalLambda::start_with(function, env, Options::default())
    }

    /// Starts `options.processes` processes of `function`, and both fronts.
    ///
    /// # Errors
    ///
    /// What could not start.
    pub fn start_with(
        function: &Path,
        env: &[(&str, String)],
        options: Options,
    ) -> Result<LocalLambda, LocalError> {
        let io = |what: &str, e| LocalError::io(what, e);
        let api = Arc::new(RuntimeApi::start().map_err(|e| io("Runtime API", e))?);
        let bind = |port: u16| {
            std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .map_err(|e| io(&format!("port {port} on 127.0.0.1"), e))
        };
        let (invoke_listener, url_listener) = (bind(options.invoke_port)?, bind(options.url_port)?);
        let invoke = invoke_listener
            .local_addr()
            .map_err(|e| io("a listener's address", e))?;
        let url = url_listener
            .local_addr()
            .map_err(|e| io("a listener's address", e))?;
        let log =
            std::env::temp_dir().join(format!("lambda-stream-local-lambda-{}.log", invoke.port()));
        let file = std::fs::File::create(&log).map_err(|e| io(&log.display().to_string(), e))?;
        let mut functions = Vec::new();
        for _ in 0..options.processes.max(1) {
            let (out, err) = (
                file.try_clone().map_err(|e| io("the log", e))?,
                file.try_clone().map_err(|e| io("the log", e))?,
            );
            functions.push(
                Command::new(function)
                    .envs(api.function_env())
                    .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                    .stdin(Stdio::null())
                    .stdout(out)
                    .stderr(err)
                    .spawn()
                    .map_err(|e| LocalError::cannot_start(function, e))?,
            );
        }
        let records = Arc::new(std::sync::Mutex::new(Vec::new()));
        let front_records = records.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| io("a runtime for the fronts", e))?;
        let (front_api, front_log) = (api.clone(), log.clone());
        let thread = std::thread::Builder::new()
            .name("local-lambda".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let (Ok(invoke), Ok(url)) = (
                        TcpListener::from_std(invoke_listener),
                        TcpListener::from_std(url_listener),
                    ) else {
                        return;
                    };
                    let log = Arc::new(front_log);
                    tokio::select! {
                        () = serve(invoke, front_api.clone(), log) => {}
                        () = url_front(url, front_api, options, front_records) => {}
                        _ = stopped => {}
                    }
                });
            })
            .map_err(|e| io("a thread for the fronts", e))?;
        Ok(LocalLambda {
            api,
            functions,
            invoke,
            url,
            stop: Some(stop),
            thread: Some(thread),
            log,
            records,
        })
    }

    /// The invocations through the function URL front so far, in the order they ended.
    pub fn records(&self) -> Vec<Record> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// `http://127.0.0.1:PORT`, the `endpoint_url` of an `aws-sdk-lambda` client.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.invoke)
    }

    /// The function URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.url, path.trim_start_matches('/'))
    }

    /// The Runtime API the function talks to.
    pub fn runtime_api(&self) -> &RuntimeApi {
        &self.api
    }

    /// The function's output so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for LocalLambda {
    fn drop(&mut self) {
        for function in &mut self.functions {
            let _ = function.kill();
            let _ = function.wait();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}
