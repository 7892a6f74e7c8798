//! What the runtime puts on the wire, byte for byte, as the Runtime API emulator receives
//! it (the Node.js runtime's bytes, but for the case of the chunk sizes' hex digits: uppercase
//! here, lowercase from Node): success, empty bodies, failures at every place, failures before the first byte,
//! panics, concurrency, and a Runtime API that refuses or resets. After each, the next
//! invocation is served.

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::{Function, chunks, error_trailers, get, outcome};
use std::task::Poll;

use futures_util::{StreamExt, stream};
use http_body_util::Full;
use lambda_http::{Request, service_fn};
use lambda_stream::{MetadataPrelude, ResponseConfig};
use lambda_stream_runtime::Runtime;
use lambda_stream_testkit::Script;
use lambda_stream_testkit::data::pattern;
use lambda_stream_testkit::servers::RuntimeApi;
use lambda_stream_testkit::servers::runtime_api::{Behaviour, Kind};

fn prelude(status: u16) -> MetadataPrelude {
    MetadataPrelude::builder()
        .status(status)
        .header("Content-Type", "text/plain")
        .header("Cache-Control", "no-store")
        .cookie("session=abc")
        .build()
        .unwrap()
}

/// The request head the Node.js runtime (4.x) writes for a streamed response: its own
/// headers, `Transfer-Encoding` among them, then the `Host` and `Connection` that Node's
/// HTTP client adds.
fn streaming_head(api: &RuntimeApi, id: &str) -> String {
    format!(
        "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\n\
         Lambda-Runtime-Function-Response-Mode: streaming\r\n\
         Trailer: Lambda-Runtime-Function-Error-Type\r\n\
         Trailer: Lambda-Runtime-Function-Error-Body\r\n\
         Content-Type: application/vnd.awslambda.http-integration-response\r\n\
         Transfer-Encoding: chunked\r\n\
         Host: {}\r\n\
         Connection: keep-alive\r\n\r\n",
        api.endpoint()
    )
}

/// The prelude JSON a function URL gets for `prelude(status)`.
fn prelude_json(status: u16) -> String {
    format!(
        r#"{{"statusCode":{status},"headers":{{"Content-Type":"text/plain","Cache-Control":"no-store"}},"cookies":["session=abc"]}}"#
    )
}

/// The exact request a streamed response of `status` with body `chunks` and trailers
/// `trailer_block` makes.
fn expected_raw(
    api: &RuntimeApi,
    id: &str,
    status: u16,
    body: &[&[u8]],
    trailer_block: &str,
) -> Vec<u8> {
    let mut raw = streaming_head(api, id).into_bytes();
    let json = prelude_json(status);
    // Chunk sizes in uppercase hex (hyper's): the one byte-level difference from Node.
    raw.extend_from_slice(format!("{:X}\r\n{json}\r\n", json.len()).as_bytes());
    raw.extend_from_slice(b"8\r\n\0\0\0\0\0\0\0\0\r\n");
    for chunk in body {
        raw.extend_from_slice(format!("{:X}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n");
    raw.extend_from_slice(trailer_block.as_bytes());
    raw.extend_from_slice(b"\r\n");
    raw
}

/// A service that streams `body` (from a scripted source) under `prelude(status)`.
fn streaming(
    status: u16,
    script: impl Fn() -> Script + 'static,
) -> impl tower_service::Service<
    Request,
    Response = http::Response<lambda_stream::ResponseBody<lambda_stream_testkit::ScriptedSource>>,
    Error = Infallible,
> {
    service_fn(move |_: Request| {
        let (source, _) = script().build();
        async move { Ok::<_, Infallible>(lambda_stream::response(prelude(status), source)) }
    })
}

/// Serves one more plain invocation, and checks it completes: the runtime carried on.
async fn next_is_served(api: &RuntimeApi) {
    let o = outcome(api.invoke(get("/next"))).await;
    assert_eq!(o.kind, Kind::Response);
    assert!(o.complete, "the next invocation's response ended properly");
    assert!(
        o.error().is_none(),
        "the next invocation did not fail: {:?}",
        o.error()
    );
}

#[tokio::test]
async fn a_success_is_the_node_runtime_request_byte_for_byte() {
    let api = RuntimeApi::start().unwrap();
    let function = Function::start(&api, Runtime::builder(), || {
        streaming(200, || {
            Script::new(Bytes::from_static(b"hello, world")).chunk_sizes([7, 5])
        })
    });
    let invocation = api.invoke(get("/"));
    let id = invocation.request_id().to_owned();
    let o = outcome(invocation).await;
    assert_eq!(o.kind, Kind::Response);
    assert!(o.complete);
    assert!(o.error().is_none());
    // The two small chunks were ready together: one frame.
    let expected = expected_raw(&api, &id, 200, &[b"hello, world"], "");
    assert_eq!(
        String::from_utf8_lossy(&o.raw),
        String::from_utf8_lossy(&expected)
    );
    // The prelude and the delimiter are chunks of their own.
    let (_, frames, _) = chunks(&o.raw);
    assert_eq!(frames[0], prelude_json(200));
    assert_eq!(frames[1], &[0u8; 8][..]);
    next_is_served(&api).await;
    function.stop(&api);
}

#[tokio::test]
async fn empty_bodies_and_204_and_304_still_send_the_prelude() {
    let api = RuntimeApi::start().unwrap();
    let function = Function::start(&api, Runtime::builder(), || {
        service_fn(|request: Request| async move {
            let status: u16 = request
                .uri()
                .path()
                .trim_start_matches('/')
                .parse()
                .unwrap();
            let body = stream::empty::<Result<Bytes, Infallible>>();
            Ok::<_, Infallible>(lambda_stream::response(prelude(status), body))
        })
    });
    for status in [200, 204, 304] {
        let invocation = api.invoke(get(&format!("/{status}")));
        let id = invocation.request_id().to_owned();
        let o = outcome(invocation).await;
        assert!(o.complete);
        assert_eq!(
            o.raw,
            expected_raw(&api, &id, status, &[], ""),
            "status {status}"
        );
    }
    function.stop(&api);
}

#[tokio::test]
async fn a_body_failure_at_any_byte_ends_with_the_error_trailers() {
    let api = RuntimeApi::start().unwrap();
    let data = pattern(100_000);
    let served = data.clone();
    let function = Function::start(&api, Runtime::builder(), move || {
        service_fn(move |request: Request| {
            let mut script = Script::new(served.clone()).chunk_sizes([40_000]);
            if let Ok(at) = request.uri().path().trim_start_matches('/').parse() {
                script = script.error_at(at);
            }
            let (source, _) = script.build();
            async move { Ok::<_, Infallible>(lambda_stream::response(prelude(200), source)) }
        })
    });
    for at in [0, 1, 50_000, 99_999, 100_000] {
        let invocation = api.invoke(get(&format!("/{at}")));
        let o = outcome(invocation).await;
        assert_eq!(o.kind, Kind::Response);
        // The body up to the failure, exactly, then the trailers after the last chunk: a
        // properly ended request that says it failed.
        assert_eq!(
            o.body.len(),
            prelude_json(200).len() + 8 + at,
            "failure at {at}"
        );
        assert!(
            o.body[prelude_json(200).len() + 8..] == data[..at],
            "failure at {at}"
        );
        assert!(o.complete, "failure at {at}");
        let (_, _, trailer_block) = chunks(&o.raw);
        let message = format!("scripted source failed after {at} bytes");
        assert_eq!(
            trailer_block,
            format!(
                "{}\r\n",
                // The scripted source's error names no cause of its own.
                error_trailers("Body.Failed", &message)
            ),
            "failure at {at}"
        );
    }
    next_is_served(&api).await;
    function.stop(&api);
}

/// A body that ends with error trailers of its own (a proxied response, say) has them
/// passed on whole: its type, message and trace, not only its type.
#[tokio::test]
async fn a_body_that_ends_with_its_own_error_trailers_has_them_passed_on_whole() {
    use base64::Engine as _;
    let json = r#"{"errorType":"Upstream.Reset","errorMessage":"the upstream reset after 3 bytes","trace":["connection reset by peer","os error 104"]}"#;
    let encoded = base64::engine::general_purpose::STANDARD.encode(json);
    let api = RuntimeApi::start().unwrap();
    let sent = encoded.clone();
    let function = Function::start(&api, Runtime::builder(), move || {
        service_fn(move |_: Request| {
            let mut trailers = http::HeaderMap::new();
            trailers.insert(
                "lambda-runtime-function-error-type",
                http::HeaderValue::from_static("Upstream.Reset"),
            );
            trailers.insert(
                "lambda-runtime-function-error-body",
                http::HeaderValue::from_str(&sent).unwrap(),
            );
            let frames = stream::iter([
                Ok::<_, Infallible>(http_body::Frame::data(Bytes::from_static(b"abc"))),
                Ok(http_body::Frame::trailers(trailers)),
            ]);
            let body = http_body_util::StreamBody::new(frames);
            async move { Ok::<_, Infallible>(http::Response::builder().status(200).body(body).unwrap()) }
        })
    });
    let o = outcome(api.invoke(get("/"))).await;
    assert_eq!(o.kind, Kind::Response);
    assert!(o.body.ends_with(b"abc"));
    let (_, _, trailer_block) = chunks(&o.raw);
    assert_eq!(
        trailer_block,
        format!(
            "Lambda-Runtime-Function-Error-Type: Upstream.Reset\r\nLambda-Runtime-Function-Error-Body: {encoded}\r\n\r\n"
        )
    );
    function.stop(&api);
}

/// A header value with obs-text (Latin-1 `caf\xE9`, as an upstream may send it) is sent,
/// read as ISO-8859-1, as the Node.js runtime sends it: the invocation does not fail.
#[tokio::test]
async fn a_header_value_with_obs_text_is_sent_as_latin_1() {
    let api = RuntimeApi::start().unwrap();
    let function = Function::start(&api, Runtime::builder(), || {
        service_fn(|_: Request| async {
            let mut response = http::Response::new(Full::new(Bytes::from_static(b"ok")));
            response.headers_mut().insert(
                "x-place",
                http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
            );
            Ok::<_, Infallible>(response)
        })
    });
    let o = outcome(api.invoke(get("/"))).await;
    assert_eq!(o.kind, Kind::Response);
    assert!(o.error().is_none(), "{:?}", o.error());
    let (_, frames, _) = chunks(&o.raw);
    assert_eq!(
        String::from_utf8_lossy(&frames[0]),
        "{\"statusCode\":200,\"headers\":{\"x-place\":\"caf\u{e9}\"},\"cookies\":[]}"
    );
    function.stop(&api);
}

#[tokio::test]
async fn the_prelude_limit_is_16_kib_and_one_byte_over_is_refused_before_any_byte() {
    let api = RuntimeApi::start().unwrap();
    // `{"statusCode":200,"headers":{"x-big":"…"},"cookies":[]}` plus 8 NULs.
    let overhead = r#"{"statusCode":200,"headers":{"x-big":""},"cookies":[]}"#.len() + 8;
    let function = Function::start(&api, Runtime::builder(), move || {
        service_fn(move |request: Request| async move {
            let extra: usize = request
                .uri()
                .path()
                .trim_start_matches('/')
                .parse()
                .unwrap_or(0);
            let value = "v".repeat(16 * 1024 - overhead + extra);
            let response = http::Response::builder()
                .header("x-big", value)
                .body(Full::new(Bytes::from_static(b"body")))
                .unwrap();
            Ok::<_, Infallible>(response)
        })
    });
    let fits = outcome(api.invoke(get("/0"))).await;
    assert_eq!(fits.kind, Kind::Response);
    let (_, frames, _) = chunks(&fits.raw);
    assert_eq!(
        frames[0].len() + frames[1].len(),
        16 * 1024,
        "exactly at the limit"
    );
    assert_eq!(frames[2], "body");

    let over = outcome(api.invoke(get("/1"))).await;
    assert_eq!(over.kind, Kind::Error, "refused before the first byte");
    let (error_type, json) = over.error().unwrap();
    assert_eq!(error_type, "Response.InvalidPrelude");
    assert!(json.contains("16385") && json.contains("16384"), "{json}");
    next_is_served(&api).await;
    function.stop(&api);
}

#[tokio::test]
async fn the_budget_sends_every_byte_that_fits_and_refuses_the_next() {
    let api = RuntimeApi::start().unwrap();
    let json_len = prelude_json(200).len() as u64 + 8;
    let budget = 1_000_000u64;
    let data = pattern(1_200_000);
    let served = data.clone();
    let function = Function::start(&api, Runtime::builder().max_bytes(budget), move || {
        service_fn(move |request: Request| {
            let len: usize = request
                .uri()
                .path()
                .trim_start_matches('/')
                .parse()
                .unwrap_or(10);
            let (source, _) = Script::new(served.slice(..len))
                .chunk_sizes([65_536])
                .build();
            async move { Ok::<_, Infallible>(lambda_stream::response(prelude(200), source)) }
        })
    });
    let fit = (budget - json_len) as usize;
    let exact = outcome(api.invoke(get(&format!("/{fit}")))).await;
    assert!(
        exact.complete && exact.error().is_none(),
        "exactly at the budget: a clean end"
    );
    assert_eq!(exact.body.len() as u64, budget);
    assert!(
        exact.body[json_len as usize..] == data[..fit],
        "every byte, in order"
    );

    let over = outcome(api.invoke(get(&format!("/{}", fit + 1)))).await;
    assert_eq!(
        over.body.len() as u64,
        budget,
        "the bytes that fit, and not one more"
    );
    assert!(over.body[json_len as usize..] == data[..fit]);
    let (error_type, json) = over.error().expect("the error trailers");
    assert_eq!(error_type, "Response.TooLarge");
    assert!(json.contains(&format!("at most {budget} bytes")), "{json}");
    next_is_served(&api).await;
    function.stop(&api);
}

#[tokio::test]
async fn a_body_known_to_be_over_the_budget_is_refused_before_the_first_byte() {
    let api = RuntimeApi::start().unwrap();
    let function = Function::start(&api, Runtime::builder().max_bytes(1000), || {
        service_fn(|_: Request| async {
            Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from(vec![1u8; 2000]))))
        })
    });
    let o = outcome(api.invoke(get("/"))).await;
    assert_eq!(o.kind, Kind::Error);
    assert_eq!(o.error().unwrap().0, "Response.TooLarge");
    function.stop(&api);
}

#[derive(Debug)]
struct NotFound(String);

impl From<NotFound> for lambda_runtime::Diagnostic {
    fn from(e: NotFound) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "App.NotFound".into(),
            error_message: format!("no object at {}", e.0),
        }
    }
}

#[tokio::test]
async fn a_handler_error_is_posted_with_its_own_diagnostic() {
    let api = RuntimeApi::start().unwrap();
    let function = Function::start(&api, Runtime::builder(), || {
        service_fn(|request: Request| async move {
            if request.uri().path() == "/missing" {
                return Err(NotFound(request.uri().path().to_owned()));
            }
            Ok(http::Response::new(Full::new(Bytes::from_static(b"ok"))))
        })
    });
    let invocation = api.invoke(get("/missing"));
    let id = invocation.request_id().to_owned();
    let o = outcome(invocation).await;
    assert_eq!(o.kind, Kind::Error);
    let body = r#"{"errorType":"App.NotFound","errorMessage":"no object at /missing"}"#;
    let expected = format!(
        "POST /2018-06-01/runtime/invocation/{id}/error HTTP/1.1\r\n\
         Lambda-Runtime-Function-Error-Type: App.NotFound\r\n\
         Content-Type: application/json\r\n\
         Host: {}\r\n\
         User-Agent: lambda-stream-runtime/{}\r\n\
         Connection: keep-alive\r\n\
         Content-Length: {}\r\n\r\n{body}",
        api.endpoint(),
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    assert_eq!(String::from_utf8_lossy(&o.raw), expected);
    next_is_served(&api).await;
    function.stop(&api);
}

#[tokio::test]
async fn panics_in_the_handler_or_the_body_never_stop_the_loop() {
    let api = RuntimeApi::start().unwrap();
    let function = Function::start(&api, Runtime::builder(), || {
        service_fn(|request: Request| async move {
            match request.uri().path() {
                "/handler" => panic!("the handler blew up"),
                "/next" => Ok(lambda_stream::response(
                    prelude(200),
                    stream::iter([]).boxed_local(),
                )),
                "/body" => {
                    let blow_up = stream::poll_fn(|_| -> Poll<Option<Result<Bytes, Infallible>>> {
                        panic!("the body blew up")
                    });
                    let body = stream::iter([Ok(Bytes::from_static(b"first"))]).chain(blow_up);
                    Ok::<_, Infallible>(lambda_stream::response(prelude(200), body.boxed_local()))
                }
                _ => unreachable!(),
            }
        })
    });
    let o = outcome(api.invoke(get("/handler"))).await;
    assert_eq!(o.kind, Kind::Error);
    let (error_type, json) = o.error().unwrap();
    assert_eq!(error_type, "Runtime.Panic");
    assert!(json.contains("the handler blew up"), "{json}");

    let o = outcome(api.invoke(get("/body"))).await;
    assert_eq!(o.kind, Kind::Response);
    assert!(
        o.body.ends_with(b"first"),
        "the bytes before the panic went out"
    );
    let (error_type, json) = o.error().expect("the error trailers");
    assert_eq!(error_type, "Runtime.Panic");
    assert!(json.contains("the body blew up"), "{json}");
    next_is_served(&api).await;
    function.stop(&api);
}

#[tokio::test]
async fn an_event_that_is_not_an_http_request_is_reported() {
    let api = RuntimeApi::start().unwrap();
    let function = Function::start(&api, Runtime::builder(), || {
        service_fn(|_: Request| async {
            Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::new())))
        })
    });
    for event in [&b"not json at all"[..], br#"{"some":"other event"}"#] {
        let o = outcome(api.invoke(Bytes::from_static(event))).await;
        assert_eq!(o.kind, Kind::Error);
        let (error_type, json) = o.error().unwrap();
        assert_eq!(error_type, "Runtime.InvalidEvent");
        assert!(
            json.contains("expected a function URL, API Gateway or ALB event"),
            "{json}"
        );
    }
    next_is_served(&api).await;
    function.stop(&api);
}

#[tokio::test]
async fn four_invocations_run_at_once_with_a_concurrency_of_four() {
    let api = RuntimeApi::start().unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let seen = started.clone();
    let function = Function::start(&api, Runtime::builder().concurrency(4), move || {
        service_fn(move |request: Request| {
            let started = seen.clone();
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                // Each response waits for all four to have started: with fewer at once,
                // none would ever finish.
                while started.load(Ordering::SeqCst) < 4 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let body = Bytes::from(request.uri().path().to_owned());
                Ok::<_, Infallible>(http::Response::new(Full::new(body)))
            }
        })
    });
    let invocations: Vec<_> = (0..4).map(|i| api.invoke(get(&format!("/{i}")))).collect();
    let outcomes = futures_util::future::join_all(invocations.into_iter().map(outcome)).await;
    for (i, o) in outcomes.iter().enumerate() {
        assert!(o.complete && o.error().is_none());
        assert!(
            o.body.ends_with(format!("/{i}").as_bytes()),
            "{i}: {:?}",
            o.body
        );
    }
    assert_eq!(started.load(Ordering::SeqCst), 4);
    function.stop(&api);
}

#[tokio::test]
async fn a_refusing_or_resetting_runtime_api_does_not_stop_the_loop() {
    let api = RuntimeApi::start().unwrap();
    let data = pattern(4_400_000);
    let served = data.clone();
    let function = Function::start(&api, Runtime::builder(), move || {
        service_fn(move |_: Request| {
            let (source, _) = Script::new(served.clone()).chunk_sizes([65_536]).build();
            async move { Ok::<_, Infallible>(lambda_stream::response(prelude(200), source)) }
        })
    });
    for behaviour in [
        Behaviour::Answer(http::StatusCode::PAYLOAD_TOO_LARGE),
        Behaviour::Answer(http::StatusCode::INTERNAL_SERVER_ERROR),
        Behaviour::ResetAfter(1_000_000),
    ] {
        let o = outcome(api.invoke_with(get("/"), behaviour)).await;
        assert!(!o.complete, "{behaviour:?}: the emulator cut it");
        // The function notices, drops the connection and takes the next invocation on a
        // new one.
        let next = outcome(api.invoke(get("/"))).await;
        assert!(
            next.complete && next.error().is_none(),
            "after {behaviour:?}"
        );
        assert!(
            next.body[prelude_json(200).len() + 8..] == data[..],
            "after {behaviour:?}"
        );
    }
    function.stop(&api);
}

#[tokio::test]
async fn api_gateway_rest_events_get_the_rest_dialect() {
    let api = RuntimeApi::start().unwrap();
    let function = Function::start(&api, Runtime::builder(), || {
        service_fn(|_: Request| async {
            let prelude = MetadataPrelude::builder()
                .header("Content-Type", "text/plain")
                .header("Vary", "Accept")
                .header("Vary", "Origin")
                .build()
                .unwrap();
            Ok::<_, Infallible>(lambda_stream::response(
                prelude,
                stream::iter([Ok::<_, Infallible>(Bytes::from_static(b"x"))]),
            ))
        })
    });
    let event =
        lambda_stream_testkit::servers::runtime_api::api_gateway_rest_event("GET", "/x", &[]);
    let o = outcome(api.invoke(event)).await;
    let (_, frames, _) = chunks(&o.raw);
    let expected = MetadataPrelude::builder()
        .header("Content-Type", "text/plain")
        .header("Vary", "Accept")
        .header("Vary", "Origin")
        .build()
        .unwrap()
        .encode(lambda_stream::Dialect::ApiGatewayRest)
        .unwrap();
    assert_eq!(frames[0], expected);
    assert!(
        std::str::from_utf8(&frames[0])
            .unwrap()
            .contains("multiValueHeaders")
    );
    let o = outcome(api.invoke(get("/"))).await;
    let (_, frames, _) = chunks(&o.raw);
    assert!(
        !std::str::from_utf8(&frames[0])
            .unwrap()
            .contains("multiValueHeaders")
    );
    function.stop(&api);
}

#[tokio::test]
async fn a_response_config_in_the_extensions_sets_that_response_s_budget() {
    let api = RuntimeApi::start().unwrap();
    let function = Function::start(&api, Runtime::builder(), || {
        service_fn(|_: Request| async {
            let mut response = lambda_stream::response(
                prelude(200),
                stream::iter([Ok::<_, Infallible>(Bytes::from(vec![b'x'; 500]))]),
            );
            response
                .extensions_mut()
                .insert(ResponseConfig::default().with_max_bytes(300));
            Ok::<_, Infallible>(response)
        })
    });
    let o = outcome(api.invoke(get("/"))).await;
    assert_eq!(o.body.len(), 300);
    assert_eq!(o.error().unwrap().0, "Response.TooLarge");
    function.stop(&api);
}

#[tokio::test]
async fn small_source_chunks_go_out_in_frames_of_at_least_64_kib() {
    let api = RuntimeApi::start().unwrap();
    let data = pattern(4_400_000);
    let served = data.clone();
    let function = Function::start(&api, Runtime::builder(), move || {
        service_fn(move |_: Request| {
            // 8 KiB chunks, copied as a network client hands them out.
            let (source, _) = Script::new(served.clone())
                .chunk_sizes([8 * 1024])
                .allocate_chunks()
                .build();
            async move { Ok::<_, Infallible>(lambda_stream::response(prelude(200), source)) }
        })
    });
    let o = outcome(api.invoke(get("/"))).await;
    let (_, frames, _) = chunks(&o.raw);
    let body = &frames[2..];
    let sizes: Vec<usize> = body.iter().map(Bytes::len).collect();
    assert_eq!(body.concat(), data, "every byte, in order");
    let (last, rest) = sizes.split_last().unwrap();
    assert!(
        rest.iter().all(|&s| s >= 64 * 1024),
        "frames under 64 KiB: {sizes:?}"
    );
    assert!(*last > 0);
    println!(
        "4.4 MB in 8 KiB chunks went out in {} frames of {} to {} bytes",
        sizes.len(),
        rest.iter().min().unwrap(),
        sizes.iter().max().unwrap()
    );
    function.stop(&api);
}
