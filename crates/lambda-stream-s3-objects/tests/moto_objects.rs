//! `BodyStream`, `BodyReader`, uploads, metadata, ranges and conditional requests against
//! a real S3-compatible server (`moto_server`) with the real `aws-sdk-s3` client.

mod common;

use aws_smithy_types::date_time::{DateTime, Format};
use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, StatusCode, header};
use lambda_stream_s3::{BodyReader, BodyStream};
use lambda_stream_s3_objects::{GetErrorKind, MetadataOptions, ObjectRequest, get_object};
use lambda_stream_testkit::data::{REFERENCE_SIZES, megabytes, pattern};
use tokio::io::AsyncReadExt;

const BUCKET: &str = "objects";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_sizes_round_trip_byte_exact() {
    let (_moto, client) = common::moto_with_bucket(BUCKET).await;
    for size in REFERENCE_SIZES {
        let data = pattern(size);
        let key = format!("object-{size}");
        common::put(&client, BUCKET, &key, &data).await;

        let output = client
            .get_object()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .unwrap();
        // The safe constructor: the length comes from Content-Length.
        let body = BodyStream::from(output);
        assert_eq!(body.expected_len(), Some(size as u64));
        let (bytes, sizes) = common::collect(body).await.unwrap();
        assert!(bytes == data[..], "{} differs", megabytes(size));
        assert!(sizes.iter().all(|&n| n > 0));
        let mut sorted = sizes.clone();
        sorted.sort_unstable();
        println!(
            "chunks from moto at {}: {} chunks, min {} B, median {} B, max {} B",
            megabytes(size),
            sizes.len(),
            sorted[0],
            sorted[sorted.len() / 2],
            sorted[sorted.len() - 1]
        );

        let output = client
            .get_object()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .unwrap();
        let mut read = Vec::new();
        BodyReader::from(output)
            .read_to_end(&mut read)
            .await
            .unwrap();
        assert!(read == data[..]);
    }
}

async fn get(
    client: &aws_sdk_s3::Client,
    key: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(name.clone(), value.parse().unwrap());
    }
    let request = ObjectRequest::new(BUCKET, key).with_headers(&map);
    let response = get_object(client, &request, &MetadataOptions::default())
        .await
        .unwrap();
    let (parts, body) = response.into_body_stream();
    let (bytes, _) = common::collect(body).await.unwrap();
    (parts.status, parts.headers, bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_are_answered_206_or_416() {
    let (_moto, client) = common::moto_with_bucket(BUCKET).await;
    let size = REFERENCE_SIZES[0];
    let data = pattern(size);
    common::put(&client, BUCKET, "ranged", &data).await;
    let cases: &[(&str, usize, usize)] = &[
        ("bytes=0-0", 0, 0),
        ("bytes=-1", size - 1, size - 1),
        ("bytes=-1000", size - 1000, size - 1),
        ("bytes=150000-", 150_000, size - 1),
        ("bytes=100-199", 100, 199),
        ("bytes=199990-250000", 199_990, size - 1),
        ("bytes=-999999999", 0, size - 1),
    ];
    for &(range, first, last) in cases {
        let (status, headers, body) = get(&client, "ranged", &[(header::RANGE, range)]).await;
        assert_eq!(status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            headers[header::CONTENT_RANGE],
            format!("bytes {first}-{last}/{size}"),
            "{range}"
        );
        assert!(body == data[first..=last], "{range}: wrong bytes");
    }
    for range in [
        format!("bytes={size}-"),
        format!("bytes={}-{}", size + 5, size + 10),
    ] {
        let (status, headers, body) = get(&client, "ranged", &[(header::RANGE, &range)]).await;
        assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(
            headers[header::CONTENT_RANGE],
            format!("bytes */{size}"),
            "{range}"
        );
        assert!(body.is_empty());
    }
    // Ignored ranges: the whole object.
    for range in ["bytes=0-1,5-9", "items=0-1", "bytes=9-1", "garbage"] {
        let (status, headers, body) = get(&client, "ranged", &[(header::RANGE, range)]).await;
        assert_eq!(status, StatusCode::OK, "{range}");
        assert!(headers.get(header::CONTENT_RANGE).is_none());
        assert_eq!(body.len(), size, "{range}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_requests_come_back_as_304_and_412() {
    let (_moto, client) = common::moto_with_bucket(BUCKET).await;
    common::put(&client, BUCKET, "cond", &pattern(1000)).await;
    let (status, headers, _) = get(&client, "cond", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let modified = headers[header::LAST_MODIFIED].to_str().unwrap().to_owned();
    let past = DateTime::from_secs(0).fmt(Format::HttpDate).unwrap();
    let future = DateTime::from_secs(4_000_000_000)
        .fmt(Format::HttpDate)
        .unwrap();

    let (status, headers, body) = get(&client, "cond", &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(headers[header::ETAG], etag.as_str());
    assert!(body.is_empty());
    let (status, _, _) = get(&client, "cond", &[(header::IF_NONE_MATCH, "\"other\"")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(&client, "cond", &[(header::IF_MATCH, "\"other\"")]).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _, body) = get(&client, "cond", &[(header::IF_MATCH, &etag)]).await;
    assert_eq!((status, body.len()), (StatusCode::OK, 1000));
    // A date in the future is ignored (RFC 9110, 13.1.3), whatever moto_server says.
    let (status, _, _) = get(&client, "cond", &[(header::IF_MODIFIED_SINCE, &future)]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(&client, "cond", &[(header::IF_MODIFIED_SINCE, &modified)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (status, _, _) = get(&client, "cond", &[(header::IF_MODIFIED_SINCE, &past)]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(&client, "cond", &[(header::IF_UNMODIFIED_SINCE, &past)]).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _, _) = get(&client, "cond", &[(header::IF_UNMODIFIED_SINCE, &modified)]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_headers_round_trip() {
    let (_moto, client) = common::moto_with_bucket(BUCKET).await;
    let data = Bytes::from_static(b"<html>hello</html>");
    client
        .put_object()
        .bucket(BUCKET)
        .key("page.html")
        .body(data.clone().into())
        .content_type("text/html; charset=utf-8")
        .cache_control("public, max-age=60")
        .content_disposition("inline; filename=\"page.html\"")
        .content_encoding("identity")
        .content_language("en-GB")
        .expires(DateTime::from_secs(4_000_000_000))
        .metadata("owner", "team-a")
        .send()
        .await
        .unwrap();
    let request = ObjectRequest::new(BUCKET, "page.html");
    let response = get_object(&client, &request, &MetadataOptions::default())
        .await
        .unwrap();
    let h = &response.parts().headers;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(h[header::CACHE_CONTROL], "public, max-age=60");
    assert_eq!(
        h[header::CONTENT_DISPOSITION],
        "inline; filename=\"page.html\""
    );
    assert_eq!(h[header::CONTENT_ENCODING], "identity");
    assert_eq!(h[header::CONTENT_LANGUAGE], "en-GB");
    assert_eq!(h[header::CONTENT_LENGTH], "18");
    assert_eq!(h[header::EXPIRES], "Tue, 02 Oct 2096 07:06:40 GMT");
    assert!(h[header::ETAG].to_str().unwrap().starts_with('"'));
    let modified = h[header::LAST_MODIFIED].to_str().unwrap();
    assert!(
        DateTime::from_str(modified, Format::HttpDate).is_ok(),
        "{modified}"
    );
    assert!(
        h.get("x-amz-meta-owner").is_none(),
        "user metadata only on request"
    );

    let options = MetadataOptions::default()
        .user_metadata(true)
        .content_length(false);
    let response = get_object(&client, &request, &options).await.unwrap();
    assert_eq!(response.parts().headers["x-amz-meta-owner"], "team-a");
    assert!(
        response
            .parts()
            .headers
            .get(header::CONTENT_LENGTH)
            .is_none()
    );
    let (_, body) = response.into_body_stream();
    assert_eq!(common::collect(body).await.unwrap().0, data);
}

async fn get_error(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> lambda_stream_s3_objects::GetError {
    get_object(
        client,
        &ObjectRequest::new(bucket, key),
        &MetadataOptions::default(),
    )
    .await
    .unwrap_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_keys_and_buckets_are_errors_with_a_status() {
    let (_moto, client) = common::moto_with_bucket(BUCKET).await;
    let e = get_error(&client, BUCKET, "nope").await;
    assert_eq!(
        (e.kind(), e.status()),
        (GetErrorKind::NoSuchKey, StatusCode::NOT_FOUND)
    );
    assert_eq!(e.to_string(), "GetObject s3://objects/nope: no such key");
    let e = get_error(&client, "no-bucket", "k").await;
    assert_eq!(e.kind(), GetErrorKind::NoSuchBucket, "{e}");
    let e = get_error(
        &lambda_stream_testkit::servers::s3_client("http://127.0.0.1:9"),
        BUCKET,
        "k",
    )
    .await;
    assert_eq!(
        (e.kind(), e.status()),
        (GetErrorKind::Unreachable, StatusCode::BAD_GATEWAY)
    );
    assert_eq!(e.to_string(), "GetObject s3://objects/k: S3 did not answer");
    let chain = lambda_stream_testkit::errors::chain(&e);
    assert!(chain.contains("Connection refused"), "{chain}");
    lambda_stream_testkit::errors::assert_says_each_thing_once(&e);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_check_their_length() {
    let (_moto, client) = common::moto_with_bucket(BUCKET).await;
    let short = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"abc"))]);
    let body = lambda_stream_s3::byte_stream_from_stream(short, Some(10));
    let e = client
        .put_object()
        .bucket(BUCKET)
        .key("short")
        .body(body)
        .send()
        .await
        .unwrap_err();
    let text = format!(
        "{}",
        aws_smithy_types::error::display::DisplayErrorContext(&e)
    );
    assert!(
        text.contains("expected 10 bytes as announced, found the end after 3"),
        "{text}"
    );
    assert!(
        client
            .head_object()
            .bucket(BUCKET)
            .key("short")
            .send()
            .await
            .is_err(),
        "no short object stored"
    );

    let data = pattern(300_000);
    let reader = std::io::Cursor::new(data.to_vec());
    let body = lambda_stream_s3::byte_stream_from_reader(reader, Some(data.len() as u64));
    client
        .put_object()
        .bucket(BUCKET)
        .key("from-reader")
        .body(body)
        .send()
        .await
        .unwrap();
    let output = client
        .get_object()
        .bucket(BUCKET)
        .key("from-reader")
        .send()
        .await
        .unwrap();
    let collected: Vec<Bytes> = BodyStream::new(output.body)
        .map(|c| c.unwrap())
        .collect()
        .await;
    assert!(collected.concat() == data[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_arrive_percent_encoded_and_are_decoded_once() {
    let (_moto, client) = common::moto_with_bucket(BUCKET).await;
    // (key as stored, path as a client sends it)
    let keys = [
        ("with space.txt", "/with%20space.txt"),
        ("ü/naïve.txt", "/%C3%BC/na%C3%AFve.txt"),
        ("100%25.txt", "/100%2525.txt"),
        ("a+b.txt", "/a+b.txt"),
    ];
    for (i, (key, path)) in keys.iter().enumerate() {
        let data = pattern(100 + i);
        common::put(&client, BUCKET, key, &data).await;
        let request = http::Request::get(*path).body(()).unwrap();
        let object = ObjectRequest::from_http(BUCKET, &request).unwrap();
        assert_eq!(object.key(), *key);
        let response = get_object(&client, &object, &MetadataOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        let (_, body) = response.into_body_stream();
        assert!(common::collect(body).await.unwrap().0 == data[..], "{key}");
    }
    let long = format!("/{}", "k".repeat(1100));
    let request = http::Request::get(long).body(()).unwrap();
    let refused = ObjectRequest::from_http(BUCKET, &request).unwrap_err();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.to_string().contains("1100 bytes"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_answers_the_get_headers_without_a_body() {
    let (_moto, client) = common::moto_with_bucket(BUCKET).await;
    common::put(&client, BUCKET, "headed", &pattern(5000)).await;
    let get = get_object(
        &client,
        &ObjectRequest::new(BUCKET, "headed"),
        &MetadataOptions::default(),
    )
    .await
    .unwrap();
    let request = http::Request::head("/headed").body(()).unwrap();
    let head = ObjectRequest::from_http(BUCKET, &request).unwrap();
    let head = get_object(&client, &head, &MetadataOptions::default())
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.parts().headers, get.parts().headers);
    assert!(!head.has_body());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_over_the_budget_is_refused_before_its_first_byte() {
    let (_moto, client) = common::moto_with_bucket(BUCKET).await;
    common::put(&client, BUCKET, "big", &pattern(300_000)).await;
    let request = ObjectRequest::new(BUCKET, "big").max_body_len(200_000);
    // HEAD answers what GET would.
    for asked in [request.clone(), request.clone().head()] {
        let e = get_object(&client, &asked, &MetadataOptions::default())
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.status()),
            (
                GetErrorKind::TooLarge {
                    len: 300_000,
                    limit: 200_000
                },
                StatusCode::PAYLOAD_TOO_LARGE
            ),
            "{}",
            asked.method()
        );
    }
    // A range within the budget is served.
    let request = request.range(lambda_stream_s3_objects::ByteRange::FromTo {
        first: 0,
        last: 199_999,
    });
    let response = get_object(&client, &request, &MetadataOptions::default())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
}
