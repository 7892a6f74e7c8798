//! Hostile events on the Runtime API emulator: each gets an answer (a `400` prelude for a bad
//! HTTP request, `Runtime.InvalidEvent` for no HTTP request at all, the service's answer
//! for an odd but valid one), and the same runtime then serves a good invocation.

mod common;

use std::convert::Infallible;

use bytes::Bytes;
use common::{Function, get, outcome};
use http_body_util::Full;
use lambda_http::{Request, service_fn};
use lambda_stream::DELIMITER;
use lambda_stream_runtime::Runtime;
use lambda_stream_testkit::servers::RuntimeApi;
use lambda_stream_testkit::servers::runtime_api::{
    Kind, Outcome, api_gateway_rest_event, function_url_event,
};

/// What an event must be answered with.
#[derive(Debug)]
enum Expect {
    /// A `400` prelude whose text body contains this.
    BadRequest(&'static str),
    /// `/error` with `Runtime.InvalidEvent`, its message containing this.
    InvalidEvent(&'static str),
    /// The service's own `200`, echoing the path and the length of the `x-big` header.
    Served(&'static str),
}

/// A function URL event for `/x` with these top-level fields set.
fn with(fields: &[(&str, serde_json::Value)]) -> Bytes {
    let mut event: serde_json::Value = serde_json::from_slice(&get("/x")).unwrap();
    for (name, value) in fields {
        event[*name] = value.clone();
    }
    Bytes::from(event.to_string())
}

fn without_request_context() -> Bytes {
    let mut event: serde_json::Value = serde_json::from_slice(&get("/x")).unwrap();
    event.as_object_mut().unwrap().remove("requestContext");
    Bytes::from(event.to_string())
}

/// The prelude JSON and the body of a streamed response.
fn prelude_and_body(o: &Outcome) -> (serde_json::Value, String) {
    let at = o
        .body
        .windows(DELIMITER.len())
        .position(|w| w == DELIMITER)
        .unwrap_or_else(|| panic!("no delimiter in {:?}", o.body));
    let prelude = serde_json::from_slice(&o.body[..at]).unwrap();
    let body = String::from_utf8(o.body[at + DELIMITER.len()..].to_vec()).unwrap();
    (prelude, body)
}

#[tokio::test]
async fn every_hostile_event_is_answered_and_the_process_serves_the_next() {
    let mib_header = "h".repeat(1 << 20);
    let mut non_utf8_path = get("/x").to_vec();
    let at = non_utf8_path
        .windows(4)
        .position(|w| w == b"\"/x\"")
        .unwrap();
    non_utf8_path[at + 2] = 0xff;
    let table: Vec<(&str, Bytes, Expect)> = vec![
        (
            "Host `a b`",
            function_url_event("GET", "/x", &[("host", "a b")]),
            Expect::BadRequest(r#"the Host header "a b": expected host[:port]"#),
        ),
        (
            "Host `[`",
            function_url_event("GET", "/x", &[("host", "[")]),
            Expect::BadRequest(r#"the Host header "[""#),
        ),
        (
            "Host `localhost:99999999`",
            function_url_event("GET", "/x", &[("host", "localhost:99999999")]),
            Expect::BadRequest(r#"the Host header "localhost:99999999""#),
        ),
        (
            "X-Forwarded-Proto `ht tp`",
            function_url_event("GET", "/x", &[("x-forwarded-proto", "ht tp")]),
            Expect::BadRequest(r#"X-Forwarded-Proto "ht tp": expected http or https"#),
        ),
        (
            "X-Forwarded-Proto `1http`",
            function_url_event("GET", "/x", &[("x-forwarded-proto", "1http")]),
            Expect::BadRequest(r#"X-Forwarded-Proto "1http""#),
        ),
        (
            "REST Host `a b`",
            api_gateway_rest_event("GET", "/x", &[("Host", "a b")]),
            Expect::BadRequest(r#"the Host header "a b""#),
        ),
        (
            "invalid JSON",
            Bytes::from_static(br#"{"rawPath": "/x", "#),
            Expect::InvalidEvent("is not JSON"),
        ),
        (
            "wrong JSON type: rawPath a number",
            with(&[("rawPath", 5.into())]),
            Expect::BadRequest("invalid type: integer `5`, expected a string"),
        ),
        (
            "wrong JSON type: the event an array",
            Bytes::from_static(b"[1, 2, 3]"),
            Expect::InvalidEvent("without a requestContext"),
        ),
        (
            "a query string with a space",
            with(&[("rawQueryString", "a b".into())]),
            Expect::BadRequest(r#"the query string "a b""#),
        ),
        (
            "a body marked base64 that is not",
            with(&[("isBase64Encoded", true.into()), ("body", "@@@".into())]),
            Expect::BadRequest("the body is marked base64 but is not"),
        ),
        (
            "a 1 MiB header",
            function_url_event("GET", "/x", &[("x-big", &mib_header)]),
            Expect::Served("/x 1048576"),
        ),
        (
            "invalid percent-encoding",
            function_url_event("GET", "/a%zz%2", &[]),
            Expect::Served("/a%zz%2 0"),
        ),
        (
            "non-UTF-8 rawPath",
            Bytes::from(non_utf8_path),
            Expect::InvalidEvent("is not JSON"),
        ),
        (
            "a lone surrogate in rawPath",
            Bytes::from(
                String::from_utf8(get("/x").to_vec())
                    .unwrap()
                    .replace("\"/x\"", r#""/\udc80""#),
            ),
            Expect::InvalidEvent("is not JSON"),
        ),
        (
            "missing requestContext",
            without_request_context(),
            Expect::InvalidEvent("without a requestContext"),
        ),
    ];
    let api = RuntimeApi::start().unwrap();
    let function = Function::start(&api, Runtime::builder(), || {
        service_fn(|request: Request| async move {
            let big = request.headers().get("x-big").map_or(0, |v| v.len());
            let text = format!("{} {big}", request.uri().path());
            Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from(text))))
        })
    });
    for (name, event, expect) in table {
        let o = outcome(api.invoke(event)).await;
        match expect {
            Expect::BadRequest(reason) => {
                assert_eq!(o.kind, Kind::Response, "{name}: {:?}", o.error());
                assert!(o.complete && o.error().is_none(), "{name}: a clean answer");
                let (prelude, body) = prelude_and_body(&o);
                assert_eq!(prelude["statusCode"], 400, "{name}: {prelude}");
                assert_eq!(
                    prelude["headers"]["content-type"], "text/plain; charset=utf-8",
                    "{name}"
                );
                assert!(body.contains(reason), "{name}: {body:?}");
                assert!(body.len() < 300, "{name}: a short reason: {body:?}");
            }
            Expect::InvalidEvent(message) => {
                assert_eq!(o.kind, Kind::Error, "{name}");
                let (error_type, json) = o.error().unwrap();
                assert_eq!(error_type, "Runtime.InvalidEvent", "{name}");
                assert!(json.contains(message), "{name}: {json}");
            }
            Expect::Served(text) => {
                assert_eq!(o.kind, Kind::Response, "{name}: {:?}", o.error());
                let (prelude, body) = prelude_and_body(&o);
                assert_eq!(prelude["statusCode"], 200, "{name}");
                assert_eq!(body, text, "{name}");
            }
        }
        // The same process serves a good invocation after each.
        let good = outcome(api.invoke(get("/good"))).await;
        assert_eq!(good.kind, Kind::Response, "after {name}");
        assert_eq!(prelude_and_body(&good).1, "/good 0", "after {name}");
    }
    function.stop(&api);
}
