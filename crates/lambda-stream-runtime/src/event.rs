//! `request_from_event`: an invocation's event as an HTTP request, for any bytes the
//! Runtime API hands over, and `EventError`, what it says of the rest.

use std::error::Error as StdError;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use base64::Engine as _;
use http::{HeaderMap, StatusCode, header};
use lambda_http::aws_lambda_events::alb::AlbTargetGroupRequest;
use lambda_http::aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use lambda_http::request::LambdaRequest;
use lambda_stream::Dialect;

use crate::wire::panic_message;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The most characters of a rejected value an [`EventError`] quotes: enough to recognise
/// it, never a megabyte of header echoed back.
const QUOTE_CHARS: usize = 64;

/// The event of one invocation as the `lambda_http::Request` its service is called with:
/// the same request `lambda_http` makes of a function URL, API Gateway (REST or HTTP) or
/// ALB event, for any bytes.
///
/// `lambda_http`'s own conversion panics on some events it parses: a `Host` that is not a
/// host (`a b`, `[`, `localhost:99999999`), an `X-Forwarded-Proto` that is not a scheme, a
/// path or query string that is not a URI, a body that says it is base64 and is not. Each
/// of these is checked first and refused with a reason, so no event can panic the process.
///
/// The rule, for what is not served:
/// - an event that names an HTTP front (JSON with a `requestContext` that has `http`, or
///   `elb`, or beside an `httpMethod`) but cannot be read as a request is a bad request
///   ([`EventErrorKind::BadRequest`]): the runtime answers `400` with the reason as text,
///   as an HTTP server answers a malformed request; the invocation succeeds;
/// - anything else (not JSON, JSON of another shape, no `requestContext`) is not an HTTP
///   request at all ([`EventErrorKind::NotHttp`]): the runtime reports it as the
///   invocation's error, `Runtime.InvalidEvent`, and the caller gets the front's error
///   answer.
///
/// Stricter than `lambda_http` where it would build a request from a host it cannot
/// trust: a `Host` (or domain name) must be `host[:port]` with a port below 65536 and no
/// user info, `X-Forwarded-Proto` must be `http` or `https`, and the path must start with
/// `/`, since `lambda_http` joins them into one URL and a host such as `a/b` would move
/// into the path.
///
/// ```
/// use lambda_stream_runtime::{EventErrorKind, request_from_event};
///
/// let event = br#"{"rawPath":"/a","headers":{"host":"a b"},
///     "requestContext":{"http":{"method":"GET"}}}"#;
/// let e = request_from_event(event).unwrap_err();
/// assert_eq!(e.kind(), EventErrorKind::BadRequest);
/// assert_eq!(e.status(), Some(http::StatusCode::BAD_REQUEST));
/// assert_eq!(e.to_string(), r#"the Host header "a b": expected host[:port]"#);
///
/// let e = request_from_event(b"not json").unwrap_err();
/// assert_eq!(e.kind(), EventErrorKind::NotHttp);
///
/// let event = br#"{"rawPath":"/a","headers":{"host":"example.com"},
///     "requestContext":{"http":{"method":"GET"}}}"#;
/// let request = request_from_event(event)?;
/// assert_eq!(request.uri(), "https://example.com/a");
/// # Ok::<(), lambda_stream_runtime::EventError>(())
/// ```
///
/// # Errors
///
/// An [`EventError`] saying what was wrong, and whether it is a bad HTTP request or no
/// HTTP request at all.
pub fn request_from_event(event: &[u8]) -> Result<lambda_http::Request, EventError> {
    parse(event).map(|(request, _)| request)
}

/// [`request_from_event`], and the prelude dialect of the event's front.
pub(crate) fn parse(event: &[u8]) -> Result<(lambda_http::Request, Dialect), EventError> {
    let parsed: LambdaRequest = match serde_json::from_slice(event) {
        Ok(parsed) => parsed,
        Err(e) => return Err(unreadable(event, e)),
    };
    let (checked, dialect) = match &parsed {
        LambdaRequest::ApiGatewayV2(ag) => (check_v2(ag), Dialect::FunctionUrl),
        LambdaRequest::ApiGatewayV1(ag) => (check_rest(ag), Dialect::ApiGatewayRest),
        LambdaRequest::Alb(alb) => (check_alb(alb), Dialect::FunctionUrl),
        // Fronts that a build with more of `lambda_http`'s features reads (WebSocket, VPC
        // Lattice, pass-through): no checks of our own, the conversion below still cannot
        // take the process down.
        _ => (Ok(()), Dialect::FunctionUrl),
    };
    checked.map_err(|what| EventError::bad_request(what, None, dialect))?;
    // Every known way of panicking was refused above; this keeps an unknown one to this
    // invocation.
    match catch_unwind(AssertUnwindSafe(|| lambda_http::Request::from(parsed))) {
        Ok(request) => Ok((request, dialect)),
        Err(panic) => {
            let message = panic_message(panic.as_ref()).to_owned();
            tracing::error!(target: "lambda_stream_runtime", panic = %message, "lambda_http could not convert an event that passed the runtime's checks");
            Err(EventError::bad_request(
                "the request cannot be read as HTTP".to_owned(),
                Some(message.into()),
                dialect,
            ))
        }
    }
}

/// Why an event that `lambda_http` does not parse is refused: a bad request where the
/// event names an HTTP front, otherwise no HTTP request at all.
fn unreadable(event: &[u8], error: serde_json::Error) -> EventError {
    let value: serde_json::Value = match serde_json::from_slice(event) {
        Ok(value) => value,
        Err(_) => {
            let what = format!("the event ({} bytes) is not JSON", event.len());
            return EventError::not_http(what, Some(error.into()));
        }
    };
    let context = value.get("requestContext").filter(|c| c.is_object());
    let front = context.and_then(|c| {
        if c.get("http").is_some() {
            Some(Front::Http)
        } else if c.get("elb").is_some() {
            Some(Front::Alb)
        } else if value.get("httpMethod").is_some() {
            Some(Front::Rest)
        } else {
            None
        }
    });
    // The front's own type says which field is wrong; the untagged enum does not.
    let cause: BoxError = match front {
        Some(Front::Http) => detail::<ApiGatewayV2httpRequest>(value, error),
        Some(Front::Rest) => detail::<ApiGatewayProxyRequest>(value, error),
        Some(Front::Alb) => detail::<AlbTargetGroupRequest>(value, error),
        None => {
            let what = if context.is_none() {
                "the event is JSON without a requestContext object"
            } else {
                "the event's requestContext names no HTTP front (no `http`, `elb` or `httpMethod`)"
            };
            return EventError::not_http(what.to_owned(), Some(error.into()));
        }
    };
    let (name, dialect) = match front {
        Some(Front::Rest) => ("an API Gateway REST", Dialect::ApiGatewayRest),
        Some(Front::Alb) => ("an ALB", Dialect::FunctionUrl),
        _ => ("a function URL or API Gateway HTTP", Dialect::FunctionUrl),
    };
    EventError::bad_request(
        format!("{name} event that cannot be read as a request"),
        Some(cause),
        dialect,
    )
}

#[derive(Clone, Copy)]
enum Front {
    Http,
    Rest,
    Alb,
}

/// The error of reading `value` as the event type `T`, or `fallback` if it reads.
fn detail<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    fallback: serde_json::Error,
) -> BoxError {
    match serde_json::from_value::<T>(value) {
        Err(e) => e.into(),
        Ok(_) => fallback.into(),
    }
}

fn check_v2(ag: &ApiGatewayV2httpRequest) -> Result<(), String> {
    let host = host(&ag.headers, ag.request_context.domain_name.as_deref());
    check_url(&ag.headers, host, ag.raw_path.as_deref())?;
    if let Some(query) = ag.raw_query_string.as_deref() {
        check_query(query)?;
    }
    check_body(ag.is_base64_encoded, ag.body.as_deref())
}

fn check_rest(ag: &ApiGatewayProxyRequest) -> Result<(), String> {
    let host = host(&ag.headers, ag.request_context.domain_name.as_deref());
    // Query parameters arrive as a map, which `lambda_http` encodes itself.
    check_url(&ag.headers, host, ag.path.as_deref())?;
    check_body(ag.is_base64_encoded, ag.body.as_deref())
}

fn check_alb(alb: &AlbTargetGroupRequest) -> Result<(), String> {
    let host = host(&alb.headers, None);
    check_url(&alb.headers, host, alb.path.as_deref())?;
    check_body(alb.is_base64_encoded, alb.body.as_deref())
}

/// The host `lambda_http` puts in the URI, and where it came from: the `Host` header when
/// it is text, else the front's domain name.
fn host<'a>(
    headers: &'a HeaderMap,
    domain_name: Option<&'a str>,
) -> Option<(&'a str, &'static str)> {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|h| (h, "the Host header"))
        .or(domain_name.map(|d| (d, "the requestContext's domainName")))
}

/// The scheme, host and path that `lambda_http` joins into `{scheme}://{host}{path}`.
fn check_url(
    headers: &HeaderMap,
    host: Option<(&str, &'static str)>,
    path: Option<&str>,
) -> Result<(), String> {
    if let Some(proto) = headers.get("x-forwarded-proto") {
        let ok = proto.as_bytes().eq_ignore_ascii_case(b"https")
            || proto.as_bytes().eq_ignore_ascii_case(b"http");
        if !ok {
            return Err(format!(
                "X-Forwarded-Proto {}: expected http or https",
                quote(&String::from_utf8_lossy(proto.as_bytes()))
            ));
        }
    }
    if let Some((host, what)) = host {
        check_host(host).map_err(|()| format!("{what} {}: expected host[:port]", quote(host)))?;
    }
    let path = path.unwrap_or_default();
    if !path.is_empty() && !path.starts_with('/') {
        return Err(format!(
            "the path {}: expected it to start with /",
            quote(path)
        ));
    }
    Ok(())
}

/// `host[:port]`: an authority without user info, a port below 65536, and a host the URL
/// parser takes.
fn check_host(host: &str) -> Result<(), ()> {
    let authority: http::uri::Authority = host.parse().map_err(|_| ())?;
    if host.contains('@') || (authority.port().is_some() && authority.port_u16().is_none()) {
        return Err(());
    }
    url::Url::parse(&format!("https://{host}/"))
        .map(drop)
        .map_err(|_| ())
}

/// A raw query string, which `lambda_http` appends to the URI as it is.
fn check_query(query: &str) -> Result<(), String> {
    if query.is_empty() {
        return Ok(());
    }
    http::uri::PathAndQuery::try_from(format!("/?{query}"))
        .map(drop)
        .map_err(|_| {
            format!(
                "the query string {}: expected URI characters (percent-encode the others)",
                quote(query)
            )
        })
}

fn check_body(base64: bool, body: Option<&str>) -> Result<(), String> {
    match body {
        Some(body) if base64 => base64::engine::general_purpose::STANDARD
            .decode(body)
            .map(drop)
            .map_err(|e| format!("the body is marked base64 but is not: {e}")),
        _ => Ok(()),
    }
}

/// `value` in quotes, cut to [`QUOTE_CHARS`] characters.
fn quote(value: &str) -> String {
    match value.char_indices().nth(QUOTE_CHARS) {
        None => format!("{value:?}"),
        Some((end, _)) => format!(
            "{:?} ({} bytes)",
            format!("{}...", &value[..end]),
            value.len()
        ),
    }
}

/// An invocation's event that is not served as an HTTP request: see
/// [`request_from_event`] for the rule.
///
/// `Display` says what was wrong with the event; the parser's error, where there is one,
/// is the [`source`](StdError::source).
#[derive(Debug)]
pub struct EventError {
    kind: EventErrorKind,
    what: String,
    source: Option<BoxError>,
    dialect: Dialect,
}

/// The kinds of [`EventError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventErrorKind {
    /// An event of an HTTP front that is not a valid request: answered `400`.
    BadRequest,
    /// No HTTP request at all: reported as `Runtime.InvalidEvent`.
    NotHttp,
}

impl EventError {
    fn bad_request(what: String, source: Option<BoxError>, dialect: Dialect) -> Self {
        EventError {
            kind: EventErrorKind::BadRequest,
            what,
            source,
            dialect,
        }
    }

    fn not_http(what: String, source: Option<BoxError>) -> Self {
        EventError {
            kind: EventErrorKind::NotHttp,
            what,
            source,
            dialect: Dialect::FunctionUrl,
        }
    }

    /// Bad request, or no HTTP request.
    pub fn kind(&self) -> EventErrorKind {
        self.kind
    }

    /// The status to answer with: `400` for a bad request; none when there is no HTTP
    /// request to answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self.kind {
            EventErrorKind::BadRequest => Some(StatusCode::BAD_REQUEST),
            EventErrorKind::NotHttp => None,
        }
    }

    /// The prelude layout of the front the event came from.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            EventErrorKind::BadRequest => f.write_str(&self.what),
            EventErrorKind::NotHttp => write!(
                f,
                "expected a function URL, API Gateway or ALB event: {}",
                self.what
            ),
        }
    }
}

impl StdError for EventError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(host: &str, proto: Option<&str>, path: &str, query: &str) -> Vec<u8> {
        let mut headers = serde_json::json!({ "host": host });
        if let Some(proto) = proto {
            headers["x-forwarded-proto"] = proto.into();
        }
        serde_json::json!({
            "rawPath": path,
            "rawQueryString": query,
            "headers": headers,
            "requestContext": { "http": { "method": "GET" }, "stage": "$default" },
        })
        .to_string()
        .into_bytes()
    }

    fn kind(event: &[u8]) -> Result<String, (EventErrorKind, String)> {
        parse(event)
            .map(|(r, _)| r.uri().to_string())
            .map_err(|e| (e.kind(), e.to_string()))
    }

    #[test]
    fn hosts_schemes_paths_and_queries_that_would_panic_are_bad_requests() {
        for host in [
            "a b",
            "[",
            "localhost:99999999",
            "",
            "user@host",
            "a/b",
            "h?x",
        ] {
            let (k, why) = kind(&v2(host, None, "/x", "")).unwrap_err();
            assert_eq!(k, EventErrorKind::BadRequest, "{host:?}");
            assert!(why.starts_with("the Host header"), "{why}");
        }
        for proto in ["ht tp", "1http", "ftp", ""] {
            let (k, why) = kind(&v2("example.com", Some(proto), "/x", "")).unwrap_err();
            assert_eq!(k, EventErrorKind::BadRequest, "{proto:?}");
            assert!(why.starts_with("X-Forwarded-Proto"), "{why}");
        }
        let (_, why) = kind(&v2("example.com", None, "x:99999999", "")).unwrap_err();
        assert!(why.contains("expected it to start with /"), "{why}");
        let (_, why) = kind(&v2("example.com", None, "/x", "a b")).unwrap_err();
        assert!(why.starts_with("the query string \"a b\""), "{why}");
    }

    #[test]
    fn good_requests_read_as_lambda_http_reads_them() {
        assert_eq!(
            kind(&v2(
                "example.com:8443",
                Some("HTTP"),
                "/a%2Fb/%zz",
                "q=1&r=%zz"
            ))
            .unwrap(),
            "http://example.com:8443/a%2Fb/%zz?q=1&r=%zz"
        );
        assert_eq!(
            kind(&v2("[::1]:65535", None, "", "")).unwrap(),
            "https://[::1]:65535/"
        );
    }

    #[test]
    fn a_quote_is_cut_to_a_few_dozen_characters() {
        let long = "é".repeat(1000);
        let q = quote(&long);
        assert!(q.ends_with("...\" (2000 bytes)"), "{q}");
        assert_eq!(q.chars().filter(|&c| c == 'é').count(), QUOTE_CHARS);
        assert_eq!(quote("a\"b"), r#""a\"b""#);
    }

    #[test]
    fn events_without_an_http_front_are_not_http() {
        for event in [
            &b"not json"[..],
            b"[1,2]",
            br#"{"rawPath":"/"}"#,
            br#"{"rawPath":"/","requestContext":{"accountId":"1"}}"#,
        ] {
            let e = parse(event).unwrap_err();
            assert_eq!(e.kind(), EventErrorKind::NotHttp, "{e}");
            assert_eq!(e.status(), None);
            assert!(e.source().is_some(), "the parser's error is the cause");
        }
    }

    #[test]
    fn an_http_event_with_a_wrong_field_names_the_field() {
        let event = br#"{"rawPath":5,"requestContext":{"http":{"method":"GET"}}}"#;
        let e = parse(event).unwrap_err();
        assert_eq!(e.kind(), EventErrorKind::BadRequest);
        let cause = e.source().unwrap().to_string();
        assert!(cause.contains("invalid type: integer `5`"), "{cause}");
        let rest = br#"{"httpMethod":"GET","path":"/","requestContext":{},"headers":{"host":7}}"#;
        let e = parse(rest).unwrap_err();
        assert_eq!(
            (e.kind(), e.dialect()),
            (EventErrorKind::BadRequest, Dialect::ApiGatewayRest)
        );
    }

    #[test]
    fn a_body_marked_base64_must_be_base64() {
        let event = br#"{"rawPath":"/","body":"@@@","isBase64Encoded":true,
            "requestContext":{"http":{"method":"POST"}}}"#;
        let e = parse(event).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the body is marked base64 but is not"),
            "{e}"
        );
    }
}
