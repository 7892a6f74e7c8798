//! The Lambda Runtime API as this runtime speaks it: every path and header it uses, and
//! the requests made of them.

use std::error::Error as StdError;

use http::{HeaderValue, Method, Request};
use lambda_runtime::Diagnostic;
use lambda_stream::{CONTENT_TYPE, ERROR_BODY_TRAILER, ERROR_TYPE_TRAILER};

use crate::endpoint::{Endpoint, path_segment};
use crate::wire::{ApiBody, BoxWire};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The header of an invocation that carries its request id.
pub(crate) const REQUEST_ID: &str = "lambda-runtime-aws-request-id";
/// The header of an invocation that carries its deadline, in milliseconds since the epoch.
pub(crate) const DEADLINE: &str = "lambda-runtime-deadline-ms";
/// The header of an invocation that carries its X-Ray trace id.
pub(crate) const TRACE_ID: &str = "lambda-runtime-trace-id";
/// The header of an invocation that carries its tenant id (functions in tenant isolation
/// mode).
pub(crate) const TENANT_ID: &str = "lambda-runtime-aws-tenant-id";
/// The header that makes a response a streamed one.
const RESPONSE_MODE: &str = "lambda-runtime-function-response-mode";

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const EXTENSION_REGISTER: &str = "/2020-01-01/extension/register";
const EXTENSION_NEXT: &str = "/2020-01-01/extension/event/next";
/// The header that names an extension when it registers.
const EXTENSION_NAME: &str = "lambda-extension-name";
/// The header that identifies a registered extension in its requests.
pub(crate) const EXTENSION_ID: &str = "lambda-extension-identifier";
const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";

fn invocation(endpoint: &Endpoint, request_id: &str, what: &str) -> String {
    let id = path_segment(request_id);
    endpoint.target(&format!("/2018-06-01/runtime/invocation/{id}/{what}"))
}

/// `GET .../invocation/next`.
pub(crate) fn next(endpoint: &Endpoint) -> Result<Request<ApiBody>, http::Error> {
    api_request(Method::GET, &endpoint.target(NEXT), ApiBody::Empty)
}

/// `POST /2020-01-01/extension/register` of an internal extension called `name`,
/// subscribed to no events: registered, it makes Lambda send the process `SIGTERM` at
/// shutdown.
pub(crate) fn extension_register(
    endpoint: &Endpoint,
    name: &'static str,
) -> Result<Request<ApiBody>, http::Error> {
    let body = ApiBody::Full(Some(bytes::Bytes::from_static(br#"{"events":[]}"#)));
    let mut request = api_request(Method::POST, &endpoint.target(EXTENSION_REGISTER), body)?;
    let h = request.headers_mut();
    h.insert(EXTENSION_NAME, HeaderValue::from_static(name));
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(request)
}

/// `GET /2020-01-01/extension/event/next` of the extension `id`.
pub(crate) fn extension_next(
    endpoint: &Endpoint,
    id: &HeaderValue,
) -> Result<Request<ApiBody>, http::Error> {
    let mut request = api_request(
        Method::GET,
        &endpoint.target(EXTENSION_NEXT),
        ApiBody::Empty,
    )?;
    request.headers_mut().insert(EXTENSION_ID, id.clone());
    Ok(request)
}

/// `POST .../invocation/{id}/response`, streamed: the Node.js runtime's headers, in its
/// order, and the two trailers declared up front.
pub(crate) fn response(
    endpoint: &Endpoint,
    request_id: &str,
    wire: BoxWire,
) -> Result<Request<ApiBody>, http::Error> {
    let target = invocation(endpoint, request_id, "response");
    let mut request = api_request(Method::POST, &target, ApiBody::Stream(wire))?;
    let h = request.headers_mut();
    h.insert(RESPONSE_MODE, HeaderValue::from_static("streaming"));
    h.append(
        http::header::TRAILER,
        HeaderValue::from_static(ERROR_TYPE_TRAILER),
    );
    h.append(
        http::header::TRAILER,
        HeaderValue::from_static(ERROR_BODY_TRAILER),
    );
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE),
    );
    Ok(request)
}

/// `POST .../invocation/{id}/error` with `diagnostic`.
pub(crate) fn invocation_error(
    endpoint: &Endpoint,
    request_id: &str,
    diagnostic: &Diagnostic,
) -> Result<Request<ApiBody>, BoxError> {
    error_request(&invocation(endpoint, request_id, "error"), diagnostic)
}

/// `POST .../init/error` with `diagnostic`.
pub(crate) fn init_error(
    endpoint: &Endpoint,
    diagnostic: &Diagnostic,
) -> Result<Request<ApiBody>, BoxError> {
    error_request(&endpoint.target(INIT_ERROR), diagnostic)
}

/// A request to the Runtime API.
fn api_request(
    method: Method,
    target: &str,
    body: ApiBody,
) -> Result<Request<ApiBody>, http::Error> {
    Request::builder().method(method).uri(target).body(body)
}

/// `POST target` with the diagnostic's JSON and its type in
/// `Lambda-Runtime-Function-Error-Type`.
fn error_request(target: &str, diagnostic: &Diagnostic) -> Result<Request<ApiBody>, BoxError> {
    let json = serde_json::to_vec(diagnostic)?;
    let mut request = api_request(Method::POST, target, ApiBody::Full(Some(json.into())))?;
    let h = request.headers_mut();
    let error_type = HeaderValue::from_str(&diagnostic.error_type)
        .unwrap_or_else(|_| HeaderValue::from_static("Runtime.Unknown"));
    h.insert(ERROR_TYPE_TRAILER, error_type);
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(request)
}
