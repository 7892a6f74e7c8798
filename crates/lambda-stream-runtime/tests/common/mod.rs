//! A function on its own thread, running `lambda_stream_runtime` against the test kit's
//! Runtime API emulator.

#![allow(dead_code)]

use std::error::Error as StdError;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use lambda_stream_runtime::{Builder, RuntimeError, RuntimeErrorKind};
use lambda_stream_testkit::servers::RuntimeApi;
use lambda_stream_testkit::servers::runtime_api::{Invocation, Outcome, function_url_event};

/// How long a test waits for an answer before it calls the runtime stuck.
pub(crate) const ANSWER_LIMIT: Duration = Duration::from_secs(60);

/// A runtime running a service on a thread of its own (with a current-thread tokio
/// runtime, as small functions use), until the emulator shuts down.
pub(crate) struct Function {
    thread: Option<std::thread::JoinHandle<Result<(), RuntimeError>>>,
}

impl Function {
    /// Starts `make()`'s service (made on the function's thread, so it need not be `Send`)
    /// on `builder` pointed at `api`.
    pub(crate) fn start<F, S, B>(api: &RuntimeApi, builder: Builder, make: F) -> Function
    where
        F: FnOnce() -> S + Send + 'static,
        S: tower_service::Service<lambda_http::Request, Response = http::Response<B>> + 'static,
        S::Error: Into<lambda_runtime::Diagnostic>,
        B: http_body::Body + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<Box<dyn StdError + Send + Sync + 'static>> + 'static,
    {
        let runtime = builder.endpoint(api.endpoint()).build().unwrap();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(runtime.run(make()))
        });
        Function {
            thread: Some(thread),
        }
    }

    /// Shuts the emulator's `next` down and waits for the runtime to stop; it must stop
    /// because of that, and nothing else.
    pub(crate) fn stop(mut self, api: &RuntimeApi) {
        api.shutdown();
        let thread = self.thread.take().unwrap();
        let result = thread.join().expect("the runtime thread panicked");
        let error = result.expect_err("the runtime ran on after the Runtime API shut down");
        assert_eq!(
            error.kind(),
            &RuntimeErrorKind::Status(410),
            "the runtime stopped for another reason: {error}"
        );
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        // A failed test: leave the thread; the emulator's drop ends its `next` calls, and
        // the process ends with the test binary.
        if self.thread.is_some() && !std::thread::panicking() {
            panic!("call Function::stop");
        }
    }
}

/// The whole answer to `invocation`, or a panic after [`ANSWER_LIMIT`].
pub(crate) async fn outcome(invocation: Invocation) -> Outcome {
    let id = invocation.request_id().to_owned();
    tokio::time::timeout(ANSWER_LIMIT, invocation.outcome())
        .await
        .unwrap_or_else(|_| panic!("no answer to invocation {id} within {ANSWER_LIMIT:?}"))
        .unwrap_or_else(|| panic!("invocation {id}: the emulator stopped before the answer ended"))
}

/// A GET of `path` through a function URL.
pub(crate) fn get(path: &str) -> Bytes {
    function_url_event("GET", path, &[])
}

/// Splits a chunked body (after the request head) into its chunks and the trailer block,
/// checking the framing as it goes: every chunk's size line matches its data, and the last
/// chunk is followed by trailer lines and a blank line, and nothing else.
pub(crate) fn chunks(raw: &[u8]) -> (String, Vec<Bytes>, String) {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a request head")
        + 4;
    let head = String::from_utf8(raw[..head_end].to_vec()).unwrap();
    let mut rest = &raw[head_end..];
    let mut chunks = Vec::new();
    loop {
        let line = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a size line");
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line]).unwrap(), 16)
            .expect("a hex size");
        rest = &rest[line + 2..];
        if size == 0 {
            let trailers = String::from_utf8(rest.to_vec()).unwrap();
            assert!(
                trailers.ends_with("\r\n"),
                "the trailer block ends: {trailers:?}"
            );
            return (head, chunks, trailers);
        }
        chunks.push(Bytes::copy_from_slice(&rest[..size]));
        assert_eq!(&rest[size..size + 2], b"\r\n", "chunk data ends with CRLF");
        rest = &rest[size + 2..];
    }
}

/// The trailer lines of a failure of type `error_type` with `message`.
pub(crate) fn error_trailers(error_type: &str, message: &str) -> String {
    // The Node.js runtime's key order: type, message, trace.
    let json = format!(
        r#"{{"errorType":{},"errorMessage":{},"trace":[]}}"#,
        serde_json::Value::from(error_type),
        serde_json::Value::from(message)
    );
    let body = base64::engine::general_purpose::STANDARD.encode(json);
    format!(
        "Lambda-Runtime-Function-Error-Type: {error_type}\r\nLambda-Runtime-Function-Error-Body: {body}\r\n"
    )
}
