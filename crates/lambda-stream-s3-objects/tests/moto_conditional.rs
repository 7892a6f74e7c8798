//! Conditional requests, answered the same whether or not the server applies the
//! conditions: straight to `moto_server`, and through a proxy that strips every
//! conditional header on its way there (as S3-compatible servers that ignore them do).

mod common;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use http::HeaderMap;
use lambda_stream_s3_objects::{MetadataOptions, ObjectRequest, get_object};
use lambda_stream_testkit::data::pattern;
use lambda_stream_testkit::servers::{FaultyProxy, Requests, s3_client};

const BUCKET: &str = "conditional";

/// (case, request headers, expected status, expected body length).
type Case<'a> = (&'a str, Vec<(&'a str, String)>, u16, Option<u64>);
const SIZE: u64 = 10_000;

/// The answer's status, and the body length for a 200 or 206.
async fn answer(client: &aws_sdk_s3::Client, headers: &[(&str, String)]) -> (u16, Option<u64>) {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let request = ObjectRequest::new(BUCKET, "object").with_headers(&map);
    let response = get_object(client, &request, &MetadataOptions::default())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let (_, body) = response.into_body_stream();
    let len = if status == 200 || status == 206 {
        Some(common::collect(body).await.unwrap().0.len() as u64)
    } else {
        None
    };
    (status, len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_does_not_depend_on_the_server_applying_conditions() {
    let (moto, direct) = common::moto_with_bucket(BUCKET).await;
    common::put(&direct, BUCKET, "object", &pattern(SIZE as usize)).await;
    let head = direct
        .head_object()
        .bucket(BUCKET)
        .key("object")
        .send()
        .await
        .unwrap();
    let etag = head.e_tag().unwrap().to_owned();
    let modified = *head.last_modified().unwrap();
    let date = |secs: i64| DateTime::from_secs(secs).fmt(Format::HttpDate).unwrap();
    let at = modified.secs();
    let future = date(at + 10 * 365 * 24 * 3600);
    let weak = format!("W/{etag}");
    let list = format!("\"other\", {etag}");
    let range = ("range", "bytes=0-99".to_owned());
    let past_end = ("range", format!("bytes={SIZE}-"));
    let full = Some(SIZE);
    let part = Some(100);
    // (case, headers, status, body length)
    let table: Vec<Case<'_>> = vec![
        ("no condition", vec![], 200, full),
        (
            "If-Match: its ETag",
            vec![("if-match", etag.clone())],
            200,
            full,
        ),
        (
            "If-Match: other",
            vec![("if-match", "\"other\"".into())],
            412,
            None,
        ),
        ("If-Match: *", vec![("if-match", "*".into())], 200, full),
        (
            "If-Match: list with it",
            vec![("if-match", list.clone())],
            200,
            full,
        ),
        (
            "If-Match: weak (never strong)",
            vec![("if-match", weak.clone())],
            412,
            None,
        ),
        (
            "If-Match: malformed",
            vec![("if-match", "unquoted".into())],
            412,
            None,
        ),
        (
            "If-None-Match: its ETag",
            vec![("if-none-match", etag.clone())],
            304,
            None,
        ),
        (
            "If-None-Match: other",
            vec![("if-none-match", "\"other\"".into())],
            200,
            full,
        ),
        (
            "If-None-Match: *",
            vec![("if-none-match", "*".into())],
            304,
            None,
        ),
        (
            "If-None-Match: list with it",
            vec![("if-none-match", list.clone())],
            304,
            None,
        ),
        (
            "If-None-Match: weak (weak compare)",
            vec![("if-none-match", weak.clone())],
            304,
            None,
        ),
        (
            "If-None-Match: malformed",
            vec![("if-none-match", "unquoted".into())],
            200,
            full,
        ),
        (
            "If-Modified-Since: before",
            vec![("if-modified-since", date(at - 1))],
            200,
            full,
        ),
        (
            "If-Modified-Since: at",
            vec![("if-modified-since", date(at))],
            304,
            None,
        ),
        (
            "If-Modified-Since: future (ignored)",
            vec![("if-modified-since", future.clone())],
            200,
            full,
        ),
        (
            "If-Modified-Since: malformed (ignored)",
            vec![("if-modified-since", "soon".into())],
            200,
            full,
        ),
        (
            "If-Unmodified-Since: before",
            vec![("if-unmodified-since", date(at - 1))],
            412,
            None,
        ),
        (
            "If-Unmodified-Since: at",
            vec![("if-unmodified-since", date(at))],
            200,
            full,
        ),
        (
            "If-Unmodified-Since: future",
            vec![("if-unmodified-since", future.clone())],
            200,
            full,
        ),
        (
            "If-Unmodified-Since: malformed (ignored)",
            vec![("if-unmodified-since", "soon".into())],
            200,
            full,
        ),
        ("Range", vec![range.clone()], 206, part),
        (
            "Range, If-Range: its ETag",
            vec![range.clone(), ("if-range", etag.clone())],
            206,
            part,
        ),
        (
            "Range, If-Range: stale ETag",
            vec![range.clone(), ("if-range", "\"old\"".into())],
            200,
            full,
        ),
        (
            "Range, If-Range: weak",
            vec![range.clone(), ("if-range", weak.clone())],
            200,
            full,
        ),
        (
            "Range, If-Range: its date",
            vec![range.clone(), ("if-range", date(at))],
            206,
            part,
        ),
        (
            "Range, If-Range: other date",
            vec![range.clone(), ("if-range", date(at - 1))],
            200,
            full,
        ),
        (
            "Range, If-Range: malformed",
            vec![range.clone(), ("if-range", "garbage".into())],
            200,
            full,
        ),
        (
            "If-Range without Range (ignored)",
            vec![("if-range", "\"old\"".into())],
            200,
            full,
        ),
        (
            "Range, If-None-Match: its ETag",
            vec![range.clone(), ("if-none-match", etag.clone())],
            304,
            None,
        ),
        (
            "Range, If-Match: other",
            vec![range.clone(), ("if-match", "\"other\"".into())],
            412,
            None,
        ),
        (
            "Range, If-Modified-Since: before",
            vec![range.clone(), ("if-modified-since", date(at - 1))],
            206,
            part,
        ),
        ("Range past the end", vec![past_end.clone()], 416, None),
        (
            "Range past the end, If-Range: stale",
            vec![past_end.clone(), ("if-range", "\"old\"".into())],
            200,
            full,
        ),
        (
            "Range past the end, If-Match: other",
            vec![past_end.clone(), ("if-match", "\"other\"".into())],
            412,
            None,
        ),
        (
            "Range past the end, If-None-Match: it",
            vec![past_end, ("if-none-match", etag.clone())],
            304,
            None,
        ),
        (
            "If-Match: it, If-Unmodified-Since: before (If-Match decides)",
            vec![
                ("if-match", etag.clone()),
                ("if-unmodified-since", date(at - 1)),
            ],
            200,
            full,
        ),
        (
            "If-None-Match: other, If-Modified-Since: at (If-None-Match decides)",
            vec![
                ("if-none-match", "\"other\"".into()),
                ("if-modified-since", date(at)),
            ],
            200,
            full,
        ),
    ];
    let stripping = FaultyProxy::start_with(moto.addr(), Vec::new(), Requests::StripConditionals)
        .await
        .unwrap();
    let stripped = s3_client(&stripping.endpoint());
    // The proxy does strip: moto_server refuses this If-Match, but never sees it through it.
    let raw = |client: aws_sdk_s3::Client| async move {
        client
            .get_object()
            .bucket(BUCKET)
            .key("object")
            .if_match("\"other\"")
            .send()
            .await
            .is_ok()
    };
    assert!(!raw(direct.clone()).await, "moto_server applies If-Match");
    assert!(raw(stripped.clone()).await, "the proxy stripped If-Match");
    println!("{:<66} {:>7} {:>9}", "case", "direct", "stripped");
    for (case, headers, status, len) in &table {
        let straight = answer(&direct, headers).await;
        let through = answer(&stripped, headers).await;
        println!("{case:<66} {:>7} {:>9}", straight.0, through.0);
        assert_eq!(straight, (*status, *len), "{case}, straight to moto_server");
        assert_eq!(through, (*status, *len), "{case}, conditions stripped");
    }
}
