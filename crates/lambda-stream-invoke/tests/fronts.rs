//! What callers of the local Lambda's fronts get from the runtime's examples: responses
//! without bytes end at once on every front (`bodyless`), and concurrent invocations in one
//! process each see only their own ids (`managed_instances`). One test binary for both.

mod common;

mod bodyless {
    //! Responses without bytes end at once on every front of the local Lambda, with the
    //! runtime's `axum_router` example behind them: a redirect, a `204`, the answer to `HEAD`
    //! and a stream that yields nothing. The function URL front sends a response without
    //! content (`HEAD`, `204`) as its head alone, with no body framing; an empty body is the
    //! last chunk alone. The API Gateway REST front does the same (the function is told to
    //! leave the stage out of its paths, as `lambda_http` reads
    //! `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`). `InvokeWithResponseStream` gives the
    //! prelude, no payload, and an `InvokeComplete` without error. Nothing waits for a timeout: the local Lambda's is 15
    //! minutes, the test's client gives up after 10 seconds of silence (`stalled`).

    use crate::common::client;
    use futures_util::StreamExt;
    use lambda_stream_invoke::{FunctionUrlEvent, invoke};
    use lambda_stream_testkit::servers::LocalLambda;
    use lambda_stream_testkit::servers::http::request;

    /// Method, path, status, whether the function URL front frames a body, and a header the
    /// answer carries.
    type Case = (
        &'static str,
        &'static str,
        u16,
        bool,
        Option<(&'static str, &'static str)>,
    );

    const CASES: [Case; 4] = [
        ("GET", "/old", 308, true, Some(("location", "/hello"))),
        ("DELETE", "/hello", 204, false, None),
        (
            "HEAD",
            "/hello",
            200,
            false,
            Some(("content-type", "text/plain; charset=utf-8")),
        ),
        (
            "GET",
            "/count/0",
            200,
            true,
            Some(("Content-Type", "text/plain; charset=utf-8")),
        ),
    ];

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn responses_without_bytes_end_at_once_on_every_front() {
        let example = lambda_stream_testkit::servers::build::runtime_example("axum_router")
            .unwrap_or_else(|e| panic!("{e}"));
        let env = [("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true".to_owned())];
        let lambda = LocalLambda::start(&example, &env).unwrap();
        let sdk = client(&lambda);
        for (method, path, status, framed, header) in CASES {
            // The function URL front, and the API Gateway REST front.
            for url in [lambda.url(path), lambda.rest_url(path)] {
                let what = format!("{method} {url}");
                let r = request(method, &url, &[]).await.unwrap();
                assert_eq!(r.status, status, "{what}");
                assert!(!r.stalled, "{what}: the response ended at once");
                assert!(r.complete, "{what}");
                assert!(r.body.is_empty(), "{what}: {:?}", r.body);
                assert_eq!(
                    r.header("transfer-encoding").is_some(),
                    framed,
                    "{what}: {:?}",
                    r.headers
                );
                if let Some((name, value)) = header {
                    assert_eq!(r.header(&name.to_ascii_lowercase()), Some(value), "{what}");
                }
            }
            let what = format!("{method} {path}");

            // `InvokeWithResponseStream`.
            let response = invoke(&sdk, "f", FunctionUrlEvent::new(method, path).to_bytes())
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let prelude = response.prelude().expect("a prelude").clone();
            assert_eq!(prelude.status(), status, "{what}");
            if let Some((name, value)) = header {
                assert_eq!(prelude.get(name), Some(value), "{what}");
            }
            let mut body = response.into_body();
            while let Some(item) = body.next().await {
                let chunk = item.unwrap_or_else(|e| panic!("{what}: {e}"));
                assert!(chunk.is_empty(), "{what}: payload {chunk:?}");
            }
        }
        // Both HTTP fronts' invocations, in order.
        let records = lambda.records();
        assert_eq!(records.len(), 2 * CASES.len());
        let twice = CASES.iter().flat_map(|case| [case, case]);
        for (record, (method, path, status, _, _)) in records.iter().zip(twice) {
            assert_eq!(record.status, *status, "{method} {path}");
            assert_eq!(record.body_bytes, 0, "{method} {path}");
            assert_eq!(record.error, None, "{method} {path}");
        }
    }
}

mod managed_instances {
    //! Lambda Managed Instances: one process serves several invocations at once
    //! (`AWS_LAMBDA_MAX_CONCURRENCY`), and none may see another's trace id or tenant id. The
    //! runtime's `managed_instances` example answers, three times per invocation, what it sees
    //! (the request's header and `Context`, and `current_context()` while its body is polled),
    //! and logs a line when it starts and one when its body ends. Eight invocations, each with
    //! its own tenant id and its own trace id (the caller's `X-Amzn-Trace-Id`, which Lambda
    //! continues), go through the real `aws-sdk-lambda` client at once.

    use crate::common::client;
    use aws_sdk_lambda::primitives::Blob;
    use futures_util::StreamExt;
    use lambda_stream_invoke::{FunctionUrlEvent, InvokeResponse};
    use lambda_stream_testkit::servers::LocalLambda;
    use lambda_stream_testkit::servers::local_lambda::Options;

    const N: usize = 8;

    fn trace_id(i: usize) -> String {
        format!("Root=1-00000000-{i:024x};Parent={i:016x};Sampled=1")
    }

    /// One invocation's body, whole, and the error that ended it if any.
    async fn invoke(lambda: &LocalLambda, i: usize) -> String {
        let output = client(lambda)
            .invoke_with_response_stream()
            .function_name("f")
            .tenant_id(format!("tenant-{i}"))
            .payload(Blob::new(FunctionUrlEvent::get("/").to_bytes().to_vec()))
            .customize()
            .mutate_request(move |request| {
                request.headers_mut().insert("x-amzn-trace-id", trace_id(i));
            })
            .send()
            .await
            .unwrap();
        let mut body = InvokeResponse::from_output(output)
            .await
            .unwrap()
            .into_body();
        let mut text = Vec::new();
        while let Some(chunk) = body.next().await {
            text.extend_from_slice(&chunk.unwrap_or_else(|e| panic!("invocation {i}: {e}")));
        }
        String::from_utf8(text).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_invocations_each_see_only_their_own_trace_id_and_tenant_id() {
        let example = lambda_stream_testkit::servers::build::runtime_example("managed_instances")
            .unwrap_or_else(|e| panic!("{e}"));
        let options = Options {
            max_concurrency: Some(N),
            ..Options::default()
        };
        let env = [("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned())];
        let lambda = LocalLambda::start_with(&example, &env, options).unwrap();
        let bodies = futures_util::future::join_all((0..N).map(|i| invoke(&lambda, i))).await;

        let mut trace_of_request = std::collections::HashMap::new();
        for (i, body) in bodies.iter().enumerate() {
            let lines: Vec<serde_json::Value> = body
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(lines.len(), 3, "{body}");
            let (trace, tenant) = (trace_id(i), format!("tenant-{i}"));
            for line in &lines {
                assert_eq!(line["trace_id"], trace.as_str(), "the Context: {line}");
                assert_eq!(line["header"], trace.as_str(), "x-amzn-trace-id: {line}");
                assert_eq!(
                    line["current_trace_id"],
                    trace.as_str(),
                    "current_context(): {line}"
                );
                assert_eq!(line["tenant_id"], tenant.as_str(), "the Context: {line}");
                assert_eq!(
                    line["current_tenant_id"],
                    tenant.as_str(),
                    "current_context(): {line}"
                );
            }
            let request_id = lines[0]["request_id"].as_str().unwrap().to_owned();
            trace_of_request.insert(request_id, (trace, tenant));
        }
        assert_eq!(
            trace_of_request.len(),
            N,
            "eight invocations, eight request ids"
        );

        // The log lines: each carries, in its span, its own invocation's ids.
        let logs = lambda.logs();
        let mut events = Vec::new();
        for line in logs.lines().filter(|l| l.starts_with('{')) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let message = v["fields"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if message != "started" && message != "finished" {
                continue;
            }
            let span = &v["span"];
            let request_id = span["requestId"].as_str().unwrap_or_default();
            let (trace, tenant) = trace_of_request
                .get(request_id)
                .unwrap_or_else(|| panic!("a line of an unknown invocation: {line}"));
            assert_eq!(span["xrayTraceId"], trace.as_str(), "{line}");
            assert_eq!(span["tenantId"], tenant.as_str(), "{line}");
            assert_eq!(v["fields"]["trace"], format!("Some({trace:?})"), "{line}");
            assert_eq!(v["fields"]["tenant"], format!("Some({tenant:?})"), "{line}");
            events.push(message);
        }
        assert_eq!(events.len(), 2 * N, "{logs}");
        // They ran at once: every invocation started before the first one finished (one at a
        // time, starts and ends would alternate).
        let before_first_end = events.iter().take_while(|m| *m == "started").count();
        assert_eq!(before_first_end, N, "{events:?}");
    }
}

mod failed_statuses {
    //! `LAMBDA_STREAM_FAILED_STATUSES` in the function's environment (here `404`, on the
    //! unchanged `axum_router` example): a `404` reaches every caller with its status and
    //! head, then fails as Lambda counts a failure; other statuses end cleanly.

    use crate::common::client;
    use futures_util::StreamExt;
    use lambda_stream_invoke::{FunctionUrlEvent, invoke};
    use lambda_stream_testkit::servers::LocalLambda;
    use lambda_stream_testkit::servers::http::get;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_chosen_status_fails_on_every_front_after_its_head() {
        let example = lambda_stream_testkit::servers::build::runtime_example("axum_router")
            .unwrap_or_else(|e| panic!("{e}"));
        let env = [("LAMBDA_STREAM_FAILED_STATUSES", "404".to_owned())];
        let lambda = LocalLambda::start(&example, &env).unwrap();

        // The function URL front: the 404's head, then an abort.
        let missing = get(&lambda.url("/missing"), &[]).await.unwrap();
        assert_eq!(missing.status, 404);
        assert!(!missing.complete, "aborted after the head");
        let fine = get(&lambda.url("/hello"), &[]).await.unwrap();
        assert_eq!((fine.status, fine.complete), (200, true));
        let records = lambda.records();
        let error = records[0].error.clone().map(|(t, _)| t);
        assert_eq!(error.as_deref(), Some("Response.Status404"));
        assert_eq!(records[1].error, None);

        // `InvokeWithResponseStream`: the prelude, then `InvokeComplete` with the code.
        let sdk = client(&lambda);
        let response = invoke(&sdk, "f", FunctionUrlEvent::get("/missing").to_bytes())
            .await
            .unwrap();
        assert_eq!(response.prelude().map(|p| p.status().as_u16()), Some(404));
        let mut body = response.into_body();
        let mut code = None;
        while let Some(item) = body.next().await {
            if let Err(e) = item {
                code = e.error_code().map(str::to_owned);
            }
        }
        assert_eq!(code.as_deref(), Some("Response.Status404"));
    }
}
