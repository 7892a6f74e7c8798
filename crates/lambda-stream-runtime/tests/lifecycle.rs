//! Start-up failures, the invocation's context, its trace id and its log span.

mod common;

use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{Function, get, outcome};
use http_body_util::Full;
use lambda_http::{Request, RequestExt, service_fn};
use lambda_stream_runtime::{Runtime, RuntimeErrorKind};
use lambda_stream_testkit::servers::RuntimeApi;
use lambda_stream_testkit::servers::runtime_api::Kind;

#[tokio::test]
async fn a_failed_start_is_reported_as_the_init_error() {
    let api = RuntimeApi::start().unwrap();
    let runtime = Runtime::builder().endpoint(api.endpoint()).build().unwrap();
    let result = runtime
        .run_with_init(|| async {
            let bucket = None::<String>;
            let Some(_bucket) = bucket else {
                return Err(lambda_runtime::Diagnostic {
                    error_type: "Config.Missing".into(),
                    error_message: "S3_BUCKET must name a bucket".into(),
                });
            };
            Ok(service_fn(|_: Request| async {
                Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::new())))
            }))
        })
        .await;
    let error = result.expect_err("a failed start stops the runtime");
    assert_eq!(
        error.kind(),
        &RuntimeErrorKind::Init {
            error_type: "Config.Missing".into(),
            message: "S3_BUCKET must name a bucket".into()
        }
    );
    let posted = api
        .init_error(Duration::from_secs(5))
        .await
        .expect("an init error");
    assert_eq!(
        posted.header("lambda-runtime-function-error-type"),
        Some("Config.Missing")
    );
    assert_eq!(
        posted.body,
        r#"{"errorType":"Config.Missing","errorMessage":"S3_BUCKET must name a bucket"}"#
    );
    assert_eq!(api.next_requests(), 0, "no invocation was taken");
}

#[tokio::test]
async fn the_s3_example_without_a_bucket_reports_an_init_error_and_exits() {
    let example = lambda_stream_testkit::servers::build::example(
        env!("CARGO_MANIFEST_DIR").as_ref(),
        "s3_object",
        &[],
    )
    .unwrap();
    let api = RuntimeApi::start().unwrap();
    let mut child = std::process::Command::new(example)
        .envs(api.function_env())
        .env_remove("S3_BUCKET")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let posted = api.init_error(Duration::from_secs(30)).await;
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait();
        (status, child)
    });
    let (status, _) = tokio::time::timeout(Duration::from_secs(30), status)
        .await
        .expect("the function exits after reporting")
        .unwrap();
    let posted = posted.expect("an init error");
    let (error_type, json) = posted.error().unwrap();
    assert!(!error_type.is_empty());
    assert!(
        json.contains("S3_BUCKET must name the bucket to serve"),
        "{json}"
    );
    assert!(
        !status.unwrap().success(),
        "the process exits with a failure"
    );
}

/// A writer whose output the test reads.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_invocation_has_its_context_its_trace_id_and_a_span_with_its_request_id_and_no_environment_variable()
 {
    let api = RuntimeApi::start().unwrap();
    let logs = Logs::default();
    let writer = logs.clone();
    let function = Function::start(&api, Runtime::builder(), move || {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        // The subscriber is set for the function's thread (the runtime runs on it).
        tracing::subscriber::set_global_default(subscriber).unwrap();
        service_fn(|request: Request| async move {
            if request.uri().path() == "/fail" {
                return Err(lambda_runtime::Diagnostic {
                    error_type: "App.Failed".into(),
                    error_message: "as asked".into(),
                });
            }
            let context = request.lambda_context();
            let current = lambda_stream_runtime::current_context()
                .and_then(|c| c.xray_trace_id.clone())
                .unwrap_or_default();
            assert!(
                std::env::var_os("_X_AMZN_TRACE_ID").is_none(),
                "nothing is put into the process's environment"
            );
            let header = request
                .headers()
                .get("x-amzn-trace-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let text = format!(
                "{}|{}|{}|{}|{}",
                context.request_id,
                context.invoked_function_arn,
                context.xray_trace_id.unwrap_or_default(),
                current,
                header
            );
            Ok(http::Response::new(Full::new(Bytes::from(text))))
        })
    });
    let mut traces = Vec::new();
    for _ in 0..2 {
        let invocation = api.invoke(get("/"));
        let id = invocation.request_id().to_owned();
        let o = outcome(invocation).await;
        let text = String::from_utf8_lossy(&o.body).into_owned();
        let fields: Vec<&str> = text.rsplit('\0').next().unwrap().split('|').collect();
        assert_eq!(fields[0], id, "the context's request id");
        assert!(fields[1].starts_with("arn:aws:lambda:"), "{text}");
        assert!(fields[2].starts_with("Root=1-"), "the trace id: {text}");
        assert!(
            !traces.contains(&fields[2].to_owned()),
            "each invocation has its own trace id: {text}"
        );
        traces.push(fields[2].to_owned());
        assert_eq!(
            fields[3], fields[2],
            "the current context is this invocation's"
        );
        assert_eq!(fields[4], fields[2], "so is the x-amzn-trace-id header");
    }
    let failing = api.invoke(get("/fail"));
    let id = failing.request_id().to_owned();
    assert_eq!(outcome(failing).await.kind, Kind::Error);
    function.stop(&api);
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("the invocation failed before its response started"))
        .unwrap_or_else(|| panic!("no failure logged: {logs}"));
    // The span is `lambda_runtime`'s: its name, and `requestId` as the first field.
    assert!(
        line.contains(&format!("Lambda runtime invoke{{requestId=\"{id}\"")),
        "{line}"
    );
    assert!(line.contains("App.Failed"), "{line}");
}
