//! How a response's status and body shape what goes on the wire: responses without bytes
//! end at once (`bodyless`), and chosen statuses end as failures (`failed_statuses`). One
//! test binary for both.

mod common;

mod bodyless {
    //! Responses without bytes end at once: an empty body, a redirect, a `204`, a `304` and the
    //! answer to `HEAD` are the prelude and its delimiter, then the request's last chunk, with
    //! nothing waiting on a body. A response that has no content by HTTP's rules (`HEAD`,
    //! `204`, `304`) is sent so even when the handler gave it a body, and a body that would
    //! never end is dropped unread rather than waited on until the function's timeout (the
    //! emulator's is 15 minutes; the test waits at most `ANSWER_LIMIT`).

    use std::convert::Infallible;

    use crate::common::{Function, chunks, outcome};
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full, StreamBody};
    use lambda_http::{Request, service_fn};
    use lambda_stream::prelude::PreludeDecoder;
    use lambda_stream_runtime::Runtime;
    use lambda_stream_testkit::servers::RuntimeApi;
    use lambda_stream_testkit::servers::runtime_api::{Kind, function_url_event};

    type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, Infallible>;

    fn full(text: &'static str) -> Body {
        Full::new(Bytes::from_static(text.as_bytes())).boxed_unsync()
    }

    /// A body that never yields a byte, nor ends.
    fn never() -> Body {
        StreamBody::new(futures_util::stream::pending::<
            Result<http_body::Frame<Bytes>, Infallible>,
        >())
        .boxed_unsync()
    }

    async fn handler(request: Request) -> Result<http::Response<Body>, Infallible> {
        let response = http::Response::builder();
        let response = match request.uri().path() {
            "/empty" => response.status(200).body(full("")),
            "/redirect" => response
                .status(302)
                .header("location", "/elsewhere")
                .body(full("")),
            // Given a body although HTTP says they have none.
            "/no-content" => response.status(204).body(full("a body a 204 cannot have")),
            "/not-modified" => response.status(304).header("etag", "\"v1\"").body(never()),
            "/never" => response.status(200).body(never()),
            _ => response
                .status(200)
                .header("content-length", "5")
                .body(full("hello")),
        };
        Ok(response.expect("a valid response"))
    }

    #[tokio::test]
    async fn responses_without_bytes_end_at_once_with_their_prelude_alone() {
        let api = RuntimeApi::start().unwrap();
        let function = Function::start(&api, Runtime::builder(), || service_fn(handler));
        let cases = [
            ("GET", "/empty", 200, None),
            ("GET", "/redirect", 302, Some(("location", "/elsewhere"))),
            ("GET", "/no-content", 204, None),
            ("GET", "/not-modified", 304, Some(("etag", "\"v1\""))),
            // The answer to HEAD keeps the length GET would have (as AWS renames it), and is
            // sent without the body, even one that would never end.
            (
                "HEAD",
                "/hello",
                200,
                Some(("x-amzn-remapped-content-length", "5")),
            ),
            ("HEAD", "/never", 200, None),
        ];
        for (method, path, status, header) in cases {
            let o = outcome(api.invoke(function_url_event(method, path, &[]))).await;
            let what = format!("{method} {path}");
            assert_eq!(o.kind, Kind::Response, "{what}");
            assert!(o.complete, "{what}: the request ended");
            assert_eq!(o.error(), None, "{what}");
            let (prelude, body) = PreludeDecoder::decode_all(o.body.clone()).expect("a prelude");
            assert_eq!(prelude.status(), status, "{what}");
            assert!(body.is_empty(), "{what}: no body bytes, got {body:?}");
            if let Some((name, value)) = header {
                assert_eq!(prelude.get(name), Some(value), "{what}");
            }
            // On the wire: the prelude's chunk, the delimiter's, then the last chunk with no
            // trailers.
            let (_, frames, trailers) = chunks(&o.raw);
            assert_eq!(frames.len(), 2, "{what}: {frames:?}");
            assert_eq!(frames[1], Bytes::from_static(&[0; 8]), "{what}");
            assert_eq!(trailers, "\r\n", "{what}");
        }
        // The control: with GET, the same routes have their bodies.
        let o = outcome(api.invoke(function_url_event("GET", "/hello", &[]))).await;
        let (_, body) = PreludeDecoder::decode_all(o.body).unwrap();
        assert_eq!(body, "hello");
        function.stop(&api);
    }
}

mod failed_statuses {
    //! `Builder::failed_statuses`: a response with one of the chosen statuses streams whole,
    //! then ends with the error trailers (`Response.Status503`), so that Lambda counts the
    //! invocation as failed; other statuses end cleanly. Nothing is held back: the body's
    //! chunks reach the Runtime API as they are produced, the trailers after the last one.

    use std::convert::Infallible;

    use crate::common::{Function, chunks, error_trailers, get, outcome};
    use bytes::Bytes;
    use http_body_util::Full;
    use lambda_http::{Request, service_fn};
    use lambda_stream::prelude::PreludeDecoder;
    use lambda_stream_runtime::Runtime;
    use lambda_stream_testkit::servers::RuntimeApi;
    use lambda_stream_testkit::servers::runtime_api::function_url_event;

    async fn handler(request: Request) -> Result<http::Response<Full<Bytes>>, Infallible> {
        let status: u16 = request.uri().path()[1..].parse().unwrap_or(200);
        let response = http::Response::builder()
            .status(status)
            .body(Full::new(Bytes::from(format!("status {status}\n"))));
        Ok(response.expect("a valid response"))
    }

    #[tokio::test]
    async fn chosen_statuses_end_with_error_trailers_after_their_whole_body() {
        let api = RuntimeApi::start().unwrap();
        let builder = Runtime::builder()
            .failed_statuses(500..=599)
            .failed_statuses(429..=429);
        let function = Function::start(&api, builder, || service_fn(handler));
        for status in [200, 404, 429, 500, 503] {
            let o = outcome(api.invoke(get(&format!("/{status}")))).await;
            let (_, frames, trailers) = chunks(&o.raw);
            let (prelude, body) = PreludeDecoder::decode_all(o.body.clone()).unwrap();
            assert_eq!(prelude.status(), status);
            assert_eq!(body, format!("status {status}\n"), "the whole body, first");
            assert_eq!(frames.len(), 3, "prelude, delimiter, body: {frames:?}");
            if status == 429 || status >= 500 {
                let reason = http::StatusCode::from_u16(status).unwrap();
                let expected = error_trailers(
                    &format!("Response.Status{status}"),
                    &format!("the handler answered {reason}"),
                );
                assert_eq!(trailers, format!("{expected}\r\n"), "{status}");
            } else {
                assert_eq!(trailers, "\r\n", "{status}: a clean end");
                assert_eq!(o.error(), None);
            }
        }
        // Without content (HEAD): the prelude, then the trailers.
        let o = outcome(api.invoke(function_url_event("HEAD", "/503", &[]))).await;
        let (_, frames, trailers) = chunks(&o.raw);
        assert_eq!(frames.len(), 2);
        assert!(trailers.contains("Response.Status503"), "{trailers}");
        function.stop(&api);

        // Not chosen: a 503 is a clean response.
        let api = RuntimeApi::start().unwrap();
        let function = Function::start(&api, Runtime::builder(), || service_fn(handler));
        let o = outcome(api.invoke(get("/503"))).await;
        let (_, _, trailers) = chunks(&o.raw);
        assert_eq!(trailers, "\r\n");
        function.stop(&api);
    }
}
