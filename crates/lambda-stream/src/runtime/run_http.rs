//! `run_http`: a streaming function URL handler loop that sends failures as trailers.

use std::error::Error as StdError;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request};
use http_body_util::BodyExt;
use lambda_http::RequestExt;
use lambda_runtime_api_client::body::Body as ApiBody;
use lambda_runtime_api_client::{Client, build_request};
use lambda_stream_prelude::{CONTENT_TYPE, Dialect, MetadataPrelude};

use super::wire_body::WireBody;
use crate::error::{ERROR_BODY_TRAILER, ERROR_TYPE_TRAILER};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Runs a streaming HTTP handler (function URL or API Gateway events, as `lambda_http`
/// parses them), sending each response in the function URL dialect with a failure after
/// the first byte as the `Lambda-Runtime-Function-Error-*` trailers, as the Node.js
/// runtime does.
///
/// It talks to the Runtime API through `lambda_runtime_api_client`, the client
/// `lambda_runtime` itself uses, and hands the handler the same `lambda_http::Request`
/// (with its `lambda_runtime::Context`). Unlike `lambda_http::run_with_streaming_response`,
/// a body that fails is reported to the Runtime API, which ends the client's response
/// abnormally rather than cleanly; see the [module docs](crate::runtime).
///
/// The handler's error, or metadata that cannot form a prelude, is posted as the
/// invocation's error (the client then gets a 502 from the function URL). Invocations are
/// handled one at a time.
///
/// # Errors
///
/// When the Runtime API cannot be reached or answers with something unexpected.
///
/// # Panics
///
/// Like `lambda_runtime::run`, when the Lambda environment variables
/// (`AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`,
/// `AWS_LAMBDA_FUNCTION_VERSION`, `AWS_LAMBDA_RUNTIME_API`) are missing.
pub async fn run_http<F, Fut, B, E>(mut handler: F) -> Result<(), BoxError>
where
    F: FnMut(lambda_http::Request) -> Fut,
    Fut: Future<Output = Result<http::Response<B>, E>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    E: Into<BoxError>,
{
    let config = Arc::new(lambda_runtime::Config::from_env());
    let client = Client::builder().build()?;
    loop {
        let next = build_request()
            .method(Method::GET)
            .uri("/2018-06-01/runtime/invocation/next")
            .body(ApiBody::empty())?;
        let (parts, body) = client.call(next).await?.into_parts();
        let event = body.collect().await?.to_bytes();
        let request_id = parts
            .headers
            .get("lambda-runtime-aws-request-id")
            .and_then(|v| v.to_str().ok())
            .ok_or("the Runtime API sent an invocation without a request id")?
            .to_owned();
        let outcome = async {
            let context =
                lambda_runtime::Context::new(&request_id, config.clone(), &parts.headers)?;
            let event: lambda_http::request::LambdaRequest = serde_json::from_slice(&event)?;
            let request = lambda_http::Request::from(event).with_lambda_context(context);
            let response = handler(request).await.map_err(Into::into)?;
            let (parts, body) = response.into_parts();
            let prelude = MetadataPrelude::try_from(&parts)?;
            let (json, delimiter) = prelude.frames(Dialect::FunctionUrl)?.into_parts();
            Ok::<_, BoxError>(WireBody::new(json, delimiter, body))
        }
        .await;
        let post = match outcome {
            Ok(body) => streaming_request(&request_id, body)?,
            Err(e) => error_request(&request_id, e.as_ref())?,
        };
        match client.call(post).await {
            Ok(answer) if answer.status().is_success() => {}
            Ok(answer) => {
                tracing::warn!(target: "lambda_stream", status = answer.status().as_u16(), request_id, "the Runtime API refused the response")
            }
            Err(e) => {
                tracing::warn!(target: "lambda_stream", error = %e, request_id, "the response could not be posted")
            }
        }
    }
}

fn streaming_request<B>(
    request_id: &str,
    body: WireBody<B>,
) -> Result<Request<ApiBody>, http::Error>
where
    WireBody<B>: http_body::Body<Data = Bytes> + Send + 'static,
    <WireBody<B> as http_body::Body>::Error: Into<BoxError>,
{
    build_request()
        .method(Method::POST)
        .uri(format!(
            "/2018-06-01/runtime/invocation/{request_id}/response"
        ))
        .header("Lambda-Runtime-Function-Response-Mode", "streaming")
        .header("Transfer-Encoding", "chunked")
        .header("Content-Type", CONTENT_TYPE)
        .header("Trailer", HeaderValue::from_static(ERROR_TYPE_TRAILER))
        .header("Trailer", HeaderValue::from_static(ERROR_BODY_TRAILER))
        .body(ApiBody::new(body))
}

fn error_request(
    request_id: &str,
    error: &(dyn StdError + 'static),
) -> Result<Request<ApiBody>, http::Error> {
    let diagnostic = serde_json::json!({
        "errorType": "Runtime.HandlerError",
        "errorMessage": error.to_string(),
    });
    tracing::warn!(target: "lambda_stream", error = %error, request_id, "handler failed before streaming");
    build_request()
        .method(Method::POST)
        .uri(format!("/2018-06-01/runtime/invocation/{request_id}/error"))
        .header("lambda-runtime-function-error-type", "Runtime.HandlerError")
        .body(ApiBody::from(diagnostic.to_string()))
}
