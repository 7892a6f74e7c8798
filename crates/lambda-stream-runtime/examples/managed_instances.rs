//! Lambda Managed Instances: with `AWS_LAMBDA_MAX_CONCURRENCY` set, one process serves that
//! many invocations at once, and each one sees its own trace id and tenant id everywhere:
//! in its request (the `x-amzn-trace-id` header and the `Context`), in
//! `lambda_stream_runtime::current_context()` while its body is produced, and in the span
//! of its log lines. Nothing is put into the process's environment.
//!
//! Each response is three lines of JSON, a tenth of a second apart, saying what the
//! invocation sees; the handler logs one line when it starts and one when its body ends.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use lambda_stream::{MetadataPrelude, StreamError};
use lambda_stream_runtime::lambda_http::{Error, Request, RequestExt, service_fn};

async fn handler(
    request: Request,
) -> Result<http::Response<impl http_body::Body<Data = Bytes, Error = StreamError>>, Error> {
    let context = request.lambda_context();
    let header = request
        .headers()
        .get("x-amzn-trace-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    tracing::info!(tenant = ?context.tenant_id, trace = ?context.xray_trace_id, "started");
    let lines = stream::iter(0..3).then(move |i| {
        let (context, header) = (context.clone(), header.clone());
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            // Read while the runtime polls this body: the invocation's own.
            let current = lambda_stream_runtime::current_context();
            let line = serde_json::json!({
                "line": i,
                "request_id": context.request_id,
                "trace_id": context.xray_trace_id,
                "tenant_id": context.tenant_id,
                "header": header,
                "current_trace_id": current.as_ref().and_then(|c| c.xray_trace_id.clone()),
                "current_tenant_id": current.as_ref().and_then(|c| c.tenant_id.clone()),
            });
            if i == 2 {
                tracing::info!(tenant = ?context.tenant_id, trace = ?context.xray_trace_id, "finished");
            }
            Ok::<_, StreamError>(Bytes::from(line.to_string() + "\n"))
        }
    });
    let prelude = MetadataPrelude::builder()
        .header("Content-Type", "application/x-ndjson")
        .build()?;
    Ok(lambda_stream::response(prelude, lines))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_stream_runtime::tracing::init_default_subscriber();
    lambda_stream_runtime::run(service_fn(handler)).await
}
