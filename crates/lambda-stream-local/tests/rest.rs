//! API Gateway REST streaming end to end: the runtime's `rest_api` example behind the
//! local Lambda's REST front, which sends payload format 1.0 events and reads the prelude
//! as API Gateway REST does (`headers` and `multiValueHeaders`; a `cookies` field is not
//! part of its format, so cookies arrive only if the runtime wrote them as `Set-Cookie` in
//! `multiValueHeaders`). The same function behind the function URL front is the control.

use lambda_stream_local::LocalLambda;
use lambda_stream_testkit::servers::http::{Received, get};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn values<'a>(r: &'a Received, name: &'a str) -> Vec<&'a str> {
    r.headers_named(name).collect()
}

/// `POST url` with `body`, read to the end of the connection: the raw response.
async fn post(url: &str, body: &[u8]) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (addr, path) = rest.split_once('/').unwrap();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nX-Twice: 1\r\nX-Twice: 2\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    String::from_utf8_lossy(&raw).into_owned()
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
    let raw = post(&lambda.rest_url("/echo?a=1&a=2&b=x%20y"), b"hello").await;
    let body = raw.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert!(
        body.contains("POST ")
            && body.contains("/echo?")
            && body.contains("a=1")
            && body.contains("a=2"),
        "{raw}"
    );
    assert!(body.contains("b=x%20y") || body.contains("b=x+y"), "{raw}");
    assert!(body.contains("hello"), "{raw}");
    assert!(raw.ends_with("0\r\n\r\n"), "{raw}");

    // A failure after the first byte: the response ends without its last chunk.
    let r = get(&lambda.rest_url("/fail"), &[]).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"line 0\n");
    assert!(!r.complete, "aborted, never a clean short 200");
    let record = lambda.records().into_iter().last().unwrap();
    assert_eq!(record.error.map(|(t, _)| t), Some("App.Failed".to_owned()));
}
