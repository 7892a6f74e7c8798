//! The runtime's examples behind the local Lambda: API Gateway REST streaming (`rest`) and
//! Lambda's shutdown phase (`shutdown`). One test binary for both.

mod rest {
    //! API Gateway REST streaming end to end: the runtime's `rest_api` example behind the
    //! local Lambda's REST front, which sends payload format 1.0 events and reads the prelude
    //! as API Gateway REST does (`headers` and `multiValueHeaders`; a `cookies` field is not
    //! part of its format, so cookies arrive only if the runtime wrote them as `Set-Cookie` in
    //! `multiValueHeaders`). The same function behind the function URL front is the control.

    use lambda_stream_local::LocalLambda;
    use lambda_stream_testkit::servers::http::{Received, get, request_with_body};

    fn values<'a>(r: &'a Received, name: &'a str) -> Vec<&'a str> {
        r.headers_named(name).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rest_api_streams_with_repeated_headers_and_cookies_in_multi_value_headers() {
        let example = lambda_stream_testkit::servers::build::runtime_example("rest_api")
            .unwrap_or_else(|e| panic!("{e}"));
        let lambda = LocalLambda::start(&example, &[]).unwrap();
        for (front, url) in [
            ("REST", lambda.rest_url("/count/3")),
            ("function URL", lambda.url("/count/3")),
        ] {
            let r = get(&url, &[]).await.unwrap();
            assert_eq!(r.status, 200, "{front}");
            assert!(r.complete, "{front}: {:?}", lambda.records());
            assert_eq!(r.body, b"line 0\nline 1\nline 2\n", "{front}");
            assert_eq!(
                values(&r, "set-cookie"),
                ["theme=dark; Path=/", "lang=en; Path=/"],
                "{front}: {:?}",
                r.headers
            );
            let vary = values(&r, "vary");
            match front {
                // Two values, two lines.
                "REST" => assert_eq!(vary, ["Origin", "Accept-Encoding"], "{:?}", r.headers),
                // One header, combined.
                _ => assert_eq!(vary, ["Origin, Accept-Encoding"], "{:?}", r.headers),
            }
        }

        // The request reaches the function whole: method, path, repeated query parameters,
        // body.
        let echoed = request_with_body(
            "POST",
            &lambda.rest_url("/echo?a=1&a=2&b=x%20y"),
            &[],
            b"hello",
        )
        .await
        .unwrap();
        assert!(echoed.complete);
        let raw = String::from_utf8_lossy(&echoed.body).into_owned();
        let body = raw.as_str();
        assert!(
            body.contains("POST ")
                && body.contains("/echo?")
                && body.contains("a=1")
                && body.contains("a=2"),
            "{raw}"
        );
        assert!(body.contains("b=x%20y") || body.contains("b=x+y"), "{raw}");
        assert!(body.contains("hello"), "{raw}");

        // A failure after the first byte: the response ends without its last chunk.
        let r = get(&lambda.rest_url("/fail"), &[]).await.unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"line 0\n");
        assert!(!r.complete, "aborted, never a clean short 200");
        let record = lambda.records().into_iter().last().unwrap();
        assert_eq!(record.error.map(|(t, _)| t), Some("App.Failed".to_owned()));
    }
}

mod shutdown {
    //! Lambda's shutdown phase on the local Lambda, with the runtime's `graceful_shutdown`
    //! example (which registers an internal extension through `Runtime::on_shutdown`) and, as
    //! the control, `axum_router` (which registers none).
    //!
    //! A response in flight when the phase begins finishes whole within the grace period; one
    //! that would outlast it ends without its last chunk (the runtime's error trailers,
    //! `Runtime.Shutdown`). Either way the hook runs and the process exits by itself, with
    //! status 0, before the 500 ms deadline. A function without an extension gets no signal and
    //! is killed, as Lambda does.

    use std::time::Duration;

    use lambda_stream_local::LocalLambda;
    use lambda_stream_testkit::servers::http::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// The bytes of a response to `GET path`, read from the function URL front: the shutdown
    /// phase begins once the first line has arrived, and the rest is read to the end.
    async fn shutdown_mid_response(
        lambda: LocalLambda,
        path: &str,
    ) -> (String, lambda_stream_local::Shutdown, LocalLambda) {
        let url = lambda.url(path);
        let addr = url
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .unwrap()
            .to_owned();
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&raw).contains("line 0") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "the response ended before its first line");
            raw.extend_from_slice(&buf[..n]);
        }
        let mut lambda = lambda;
        let (report, lambda) = tokio::task::spawn_blocking(move || {
            let report = lambda.shutdown();
            (report, lambda)
        })
        .await
        .unwrap();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
            .await
            .expect("the response ended")
            .unwrap();
        (String::from_utf8_lossy(&raw).into_owned(), report, lambda)
    }

    fn example(name: &str) -> std::path::PathBuf {
        lambda_stream_testkit::servers::build::runtime_example(name)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_response_in_flight_finishes_then_the_hook_runs_and_the_process_exits() {
        let lambda = LocalLambda::start(&example("graceful_shutdown"), &[]).unwrap();
        // Warm: the process is up, and its extension registered during its init.
        let warm = get(&lambda.url("/count/1"), &[]).await.unwrap();
        assert!(warm.complete);
        let extensions = lambda.runtime_api().extensions();
        assert_eq!(extensions.len(), 1, "{extensions:?}");
        assert_eq!(extensions[0].name, "lambda-stream-runtime-shutdown");
        assert!(extensions[0].events.is_empty(), "subscribed to nothing");

        // 10 lines, 100 ms: within the 300 ms grace period.
        let (raw, report, lambda) = shutdown_mid_response(lambda, "/count/10").await;
        eprintln!("the shutdown phase took {:?}", report.took);
        assert!(report.signalled, "SIGTERM, since an extension registered");
        let status = report.exits[0].unwrap_or_else(|| {
            panic!(
                "killed at the deadline, after {:?}: {}",
                report.took, report.logs
            )
        });
        assert!(status.success(), "{status}: {}", report.logs);
        for i in 0..10 {
            assert!(raw.contains(&format!("line {i}\n")), "line {i}: {raw}");
        }
        assert!(
            raw.ends_with("0\r\n\r\n"),
            "the response ended whole: {raw:?}"
        );
        assert!(
            report
                .logs
                .contains("shutdown hook: flushed a count of 11 lines served"),
            "the hook ran after both responses: {}",
            report.logs
        );
        let record = lambda.records().into_iter().last().unwrap();
        assert_eq!(record.error, None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_response_that_outlasts_the_grace_period_is_cut_with_error_trailers() {
        let lambda = LocalLambda::start(&example("graceful_shutdown"), &[]).unwrap();
        // 1,000 lines, 10 s: far past the grace period.
        let (raw, report, lambda) = shutdown_mid_response(lambda, "/count/1000").await;
        eprintln!("the shutdown phase took {:?}", report.took);
        let status = report.exits[0].unwrap_or_else(|| {
            panic!(
                "killed at the deadline, after {:?}: {}",
                report.took, report.logs
            )
        });
        assert!(status.success(), "{status}: {}", report.logs);
        assert!(!raw.ends_with("0\r\n\r\n"), "no last chunk: {raw:?}");
        assert!(!raw.contains("line 999"), "{raw}");
        assert!(
            report.logs.contains("shutdown hook: flushed"),
            "{}",
            report.logs
        );
        // The local Lambda saw the runtime's trailers: the invocation failed, and why.
        let mut records = lambda.records();
        for _ in 0..100 {
            if !records.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            records = lambda.records();
        }
        let (error_type, message) = records[0].error.clone().expect("a failed invocation");
        assert_eq!(error_type, "Runtime.Shutdown", "{message}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_handler_still_waiting_at_the_grace_period_is_reported_and_its_caller_gets_a_502() {
        let mut lambda = LocalLambda::start(&example("graceful_shutdown"), &[]).unwrap();
        let url = lambda.url("/slow");
        let caller = tokio::spawn(async move { get(&url, &[]).await });
        // The function took it, and has not answered.
        while lambda.runtime_api().taken() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let (report, lambda) = tokio::task::spawn_blocking(move || {
            let report = lambda.shutdown();
            (report, lambda)
        })
        .await
        .unwrap();
        eprintln!("the shutdown phase took {:?}", report.took);
        let status = report.exits[0].unwrap_or_else(|| {
            panic!(
                "killed at the deadline, after {:?}: {}",
                report.took, report.logs
            )
        });
        assert!(status.success(), "{status}: {}", report.logs);
        let answer = caller.await.unwrap().unwrap();
        assert_eq!(answer.status, 502);
        let record = lambda.records().into_iter().last().unwrap();
        let (error_type, message) = record.error.expect("a failed invocation");
        assert_eq!(error_type, "Runtime.Shutdown", "{message}");
        assert!(
            report.logs.contains("shutdown hook: flushed"),
            "{}",
            report.logs
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_function_without_an_extension_gets_no_signal_and_is_killed() {
        let mut lambda = LocalLambda::start(&example("axum_router"), &[]).unwrap();
        let warm = get(&lambda.url("/hello"), &[]).await.unwrap();
        assert_eq!(warm.status, 200);
        assert!(lambda.runtime_api().extensions().is_empty());
        let report = tokio::task::spawn_blocking(move || lambda.shutdown())
            .await
            .unwrap();
        assert!(!report.signalled);
        assert_eq!(report.exits, [None], "killed, not exited");
    }
}
