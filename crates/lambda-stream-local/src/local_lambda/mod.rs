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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;

use crate::error::LocalError;
use crate::runtime_api::RuntimeApi;
use invoke_front::serve;
use url_front::{Front, url_front};

mod invoke_front;
mod outcome;
mod url_front;

pub use outcome::{BUFFERED_LIMIT, INCOMPLETE_RESPONSE, Options, Record, TOO_LARGE};
pub use url_front::READ_AHEAD_LIMIT;

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
    functions: Arc<Mutex<Vec<Child>>>,
    supervisor: Option<std::thread::JoinHandle<()>>,
    stopping: Arc<AtomicBool>,
    invoke: SocketAddr,
    url: SocketAddr,
    rest: SocketAddr,
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
        let api = Arc::new(
            RuntimeApi::start_with(crate::runtime_api::Options {
                timeout: options.timeout,
                // The raw bytes of every request are for tests of a runtime's wire: kept,
                // they would hold each whole response.
                record: false,
                ..crate::runtime_api::Options::default()
            })
            .map_err(|e| io("Runtime API", e))?,
        );
        let bind = |port: u16| {
            std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .map_err(|e| io(&format!("port {port} on 127.0.0.1"), e))
        };
        let (invoke_listener, url_listener, rest_listener) = (
            bind(options.invoke_port)?,
            bind(options.url_port)?,
            bind(options.rest_port)?,
        );
        let invoke = invoke_listener
            .local_addr()
            .map_err(|e| io("a listener's address", e))?;
        let url = url_listener
            .local_addr()
            .map_err(|e| io("a listener's address", e))?;
        let rest = rest_listener
            .local_addr()
            .map_err(|e| io("a listener's address", e))?;
        let log =
            std::env::temp_dir().join(format!("lambda-stream-local-lambda-{}.log", invoke.port()));
        let file = std::fs::File::create(&log).map_err(|e| io(&log.display().to_string(), e))?;
        let spawner = Spawner {
            function: function.to_owned(),
            env: api
                .function_env()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .chain(
                    options
                        .max_concurrency
                        .map(|n| ("AWS_LAMBDA_MAX_CONCURRENCY".to_owned(), n.to_string())),
                )
                .chain(env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())))
                .collect(),
            log: file,
        };
        let mut started = Vec::new();
        for _ in 0..options.processes.max(1) {
            started.push(spawner.spawn()?);
        }
        let functions = Arc::new(Mutex::new(started));
        let stopping = Arc::new(AtomicBool::new(false));
        let supervisor = supervise(spawner, functions.clone(), api.clone(), stopping.clone())
            .map_err(|e| io("a thread for the function's processes", e))?;
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
                    let (Ok(invoke), Ok(url), Ok(rest)) = (
                        TcpListener::from_std(invoke_listener),
                        TcpListener::from_std(url_listener),
                        TcpListener::from_std(rest_listener),
                    ) else {
                        return;
                    };
                    let log = Arc::new(front_log);
                    let rest_records = front_records.clone();
                    tokio::select! {
                        () = serve(invoke, front_api.clone(), log) => {}
                        () = url_front(url, front_api.clone(), options, front_records, Front::FunctionUrl) => {}
                        () = url_front(rest, front_api, options, rest_records, Front::ApiGatewayRest) => {}
                        _ = stopped => {}
                    }
                });
            })
            .map_err(|e| io("a thread for the fronts", e))?;
        Ok(LocalLambda {
            api,
            functions,
            supervisor: Some(supervisor),
            stopping,
            invoke,
            url,
            rest,
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

    /// The URL of `path` on the API Gateway REST front: a REST API whose Lambda proxy
    /// integration streams (`responseTransferMode: STREAM`), with a `{proxy+}` resource at
    /// its root (no stage in the path).
    pub fn rest_url(&self, path: &str) -> String {
        format!("http://{}/{}", self.rest, path.trim_start_matches('/'))
    }

    /// The Runtime API the function talks to.
    pub fn runtime_api(&self) -> &RuntimeApi {
        &self.api
    }

    /// The function's output so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Lambda's shutdown phase
    /// (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-shutdown>),
    /// after which the fronts still answer (`502`: no function) and the records and logs
    /// can still be read.
    ///
    /// A function that registered an extension gets the phase: extensions subscribed to
    /// `SHUTDOWN` get the event, each process gets `SIGTERM`, and has
    /// [`SHUTDOWN_DEADLINE`] (Lambda's for internal extensions) to exit; one still running
    /// then gets `SIGKILL`. A function without extensions gets no signal and is killed at
    /// once, as Lambda does. Requests in flight through the fronts go on meanwhile.
    pub fn shutdown(&mut self) -> Shutdown {
        let started = std::time::Instant::now();
        self.stopping.store(true, Ordering::SeqCst);
        let this = self;
        if let Some(supervisor) = this.supervisor.take() {
            let _ = supervisor.join();
        }
        let signalled = !this.api.extensions().is_empty();
        let mut functions = this
            .functions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if signalled {
            this.api.begin_shutdown(SHUTDOWN_DEADLINE);
            for function in functions.iter() {
                terminate(function);
            }
        }
        let deadline = started
            + if signalled {
                SHUTDOWN_DEADLINE
            } else {
                Duration::ZERO
            };
        let mut exits: Vec<Option<std::process::ExitStatus>> = vec![None; functions.len()];
        loop {
            for (exit, function) in exits.iter_mut().zip(functions.iter_mut()) {
                if exit.is_none() {
                    *exit = function.try_wait().ok().flatten();
                }
            }
            if exits.iter().all(Option::is_some) || std::time::Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let took = started.elapsed();
        for (exit, function) in exits.iter().zip(functions.iter_mut()) {
            if exit.is_none() {
                let _ = function.kill();
                let _ = function.wait();
            }
        }
        drop(functions);
        Shutdown {
            signalled,
            exits,
            took,
            logs: this.logs(),
        }
    }
}

/// How long Lambda's shutdown phase lasts for a function with internal extensions only:
/// 500 ms (external extensions, which the local Lambda does not run, get 2,000 ms).
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_millis(500);

/// What [`LocalLambda::shutdown`] saw.
#[derive(Debug, Clone)]
pub struct Shutdown {
    /// Whether the processes got `SIGTERM` (the function registered an extension).
    pub signalled: bool,
    /// Each process's exit status, if it exited by itself within the deadline; `None`: it
    /// was killed.
    pub exits: Vec<Option<std::process::ExitStatus>>,
    /// From the start of the phase until every process had exited, or the deadline.
    pub took: Duration,
    /// The function's output, to its end.
    pub logs: String,
}

/// Sends `SIGTERM` to `function`'s process.
#[cfg(unix)]
fn terminate(function: &Child) {
    use rustix::process::{Pid, Signal, kill_process};
    if let Some(pid) = i32::try_from(function.id()).ok().and_then(Pid::from_raw) {
        let _ = kill_process(pid, Signal::TERM);
    }
}

/// Elsewhere there is no `SIGTERM`: the deadline passes, and the process is killed.
#[cfg(not(unix))]
fn terminate(_: &Child) {}

impl Drop for LocalLambda {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(supervisor) = self.supervisor.take() {
            let _ = supervisor.join();
        }
        for function in self
            .functions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter_mut()
        {
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

/// How a function process is started.
#[derive(Debug)]
struct Spawner {
    function: PathBuf,
    env: Vec<(String, String)>,
    log: std::fs::File,
}

impl Spawner {
    fn spawn(&self) -> Result<Child, LocalError> {
        let io = |what: &str, e| LocalError::io(what, e);
        let (out, err) = (
            self.log.try_clone().map_err(|e| io("the log", e))?,
            self.log.try_clone().map_err(|e| io("the log", e))?,
        );
        Command::new(&self.function)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| LocalError::cannot_start(&self.function, e))
    }

    /// A line of the local Lambda's own in the function's log.
    fn note(&self, line: &str) {
        use std::io::Write as _;
        let _ = writeln!(&self.log, "[lambda-stream-local] {line}");
    }
}

/// How often the supervisor looks at the function's processes.
const SUPERVISE_EVERY: Duration = Duration::from_millis(20);

/// Starts again, as Lambda starts a new execution environment, a function process that
/// exited, and one that ran past its timeout (stopped first). With one process, the
/// invocation it had taken and not begun to answer fails as Lambda reports it,
/// `Runtime.ExitError`; with several, which process had it is not known here, and that
/// invocation fails at its timeout.
fn supervise(
    spawner: Spawner,
    functions: Arc<Mutex<Vec<Child>>>,
    api: Arc<RuntimeApi>,
    stopping: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("local-lambda-supervisor".into())
        .spawn(move || {
            let mut timeouts = 0;
            while !stopping.load(Ordering::SeqCst) {
                std::thread::sleep(SUPERVISE_EVERY);
                let seen = api.timeouts();
                let mut functions = functions.lock().unwrap_or_else(PoisonError::into_inner);
                let processes = functions.len();
                let timed_out = seen > timeouts && processes == 1;
                timeouts = seen;
                for function in functions.iter_mut() {
                    if timed_out {
                        spawner.note("the function ran past its timeout: stopped");
                        let _ = function.kill();
                    }
                    let Ok(Some(status)) = function.try_wait() else {
                        continue;
                    };
                    if stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    if processes == 1 {
                        let message = format!("Runtime exited with error: {status}");
                        api.abandon_taken("Runtime.ExitError", &message);
                    }
                    spawner.note(&format!("the function exited ({status}): started again"));
                    match spawner.spawn() {
                        Ok(again) => *function = again,
                        Err(e) => spawner.note(&format!("could not start it again: {e}")),
                    }
                }
            }
        })
}
