//! The bytes of each dialect, against the Node.js runtime and the `lambda_runtime` crate.

mod common;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use lambda_stream_prelude::{
    CONTENT_TYPE, DELIMITER, Dialect, HopByHopPolicy, MAX_PRELUDE_LEN, MetadataPrelude,
    PreludeError,
};
use proptest::prelude::*;

/// `awslambda.HttpResponseStream.from(stream, {statusCode: 200, headers: {"Content-Type":
/// "text/plain", "Cache-control": "no-store"}, cookies: ["testcookie=value"]})` followed by
/// `stream.write("hello")`, byte for byte.
#[test]
fn matches_the_node_runtime_byte_for_byte() {
    let prelude = MetadataPrelude::builder()
        .status(200)
        .header("Content-Type", "text/plain")
        .header("Cache-control", "no-store")
        .cookie("testcookie=value")
        .build()
        .unwrap();
    let mut wire = Vec::new();
    for frame in prelude.frames(Dialect::FunctionUrl).unwrap() {
        wire.extend_from_slice(&frame);
    }
    wire.extend_from_slice(b"hello");
    let mut expected = br#"{"statusCode":200,"headers":{"Content-Type":"text/plain","Cache-control":"no-store"},"cookies":["testcookie=value"]}"#.to_vec();
    expected.extend_from_slice(&[0u8; 8]);
    expected.extend_from_slice(b"hello");
    assert_eq!(wire, expected);
    assert_eq!(
        CONTENT_TYPE,
        "application/vnd.awslambda.http-integration-response"
    );
    assert_eq!(DELIMITER, [0u8; 8]);
}

#[test]
fn frames_are_separate_and_the_delimiter_static() {
    let frames = MetadataPrelude::default()
        .frames(Dialect::FunctionUrl)
        .unwrap();
    assert_eq!(
        &frames.json()[..],
        br#"{"statusCode":200,"headers":{},"cookies":[]}"#
    );
    assert_eq!(frames.encoded_len(), frames.json().len() + 8);
    let (json, delimiter) = frames.clone().into_parts();
    assert_eq!(delimiter, &DELIMITER[..]);
    assert_eq!(frames.to_bytes(), [&json[..], &DELIMITER].concat());
}

fn multi() -> MetadataPrelude {
    MetadataPrelude::builder()
        .status(206)
        .header("Vary", "Origin")
        .header("Content-Type", "video/mp4")
        .header("vary", "Accept-Encoding")
        .header("X-Quote", "say \"hi\"\t\u{e9}")
        .cookie("a=1")
        .cookie("b=2")
        .build()
        .unwrap()
}

#[test]
fn function_url_combines_values() {
    let json = multi().encode(Dialect::FunctionUrl).unwrap();
    assert_eq!(
        std::str::from_utf8(&json).unwrap(),
        r#"{"statusCode":206,"headers":{"Vary":"Origin, Accept-Encoding","Content-Type":"video/mp4","X-Quote":"say \"hi\"\t\u00e9"},"cookies":["a=1","b=2"]}"#
            .replace("\\u00e9", "\u{e9}")
    );
}

#[test]
fn api_gateway_rest_splits_single_and_multi() {
    let json = multi().encode(Dialect::ApiGatewayRest).unwrap();
    assert_eq!(
        std::str::from_utf8(&json).unwrap(),
        "{\"statusCode\":206,\"headers\":{\"Content-Type\":\"video/mp4\",\"X-Quote\":\"say \\\"hi\\\"\\t\u{e9}\"},\
         \"multiValueHeaders\":{\"Vary\":[\"Origin\",\"Accept-Encoding\"],\"Set-Cookie\":[\"a=1\",\"b=2\"]}}"
    );
}

#[test]
fn lambda_runtime_lowercases_and_adds_a_content_type() {
    let json = MetadataPrelude::builder()
        .header("X-A", "1")
        .header("x-a", "2")
        .build()
        .unwrap();
    assert_eq!(
        &json.encode(Dialect::LambdaRuntime).unwrap()[..],
        br#"{"statusCode":200,"headers":{"x-a":["1","2"],"content-type":"application/octet-stream"},"cookies":[]}"#
    );
}

#[test]
fn oversized_prelude_is_an_error_before_any_byte() {
    // 33 headers of 500 bytes pass the builder's lower bound (16.5 KB of names and values
    // is under its limit only once punctuation is left out) but not 16 KiB once encoded.
    let value = "v".repeat(490);
    let mut b = MetadataPrelude::builder();
    for i in 0..33 {
        b = b.header(format!("X-{i:02}"), &value);
    }
    let p = b.build().unwrap();
    match p.encode(Dialect::FunctionUrl) {
        Err(PreludeError::TooLarge { len, limit }) => {
            assert_eq!(limit, MAX_PRELUDE_LEN);
            assert!(len > MAX_PRELUDE_LEN);
        }
        Err(other) => panic!("expected TooLarge, got {other}"),
        Ok(json) => panic!("expected TooLarge, got {} bytes of JSON", json.len()),
    }
    assert!(p.frames(Dialect::ApiGatewayRest).is_err());
}

/// What `lambda_runtime` 1.x sends for a `StreamResponse` with this metadata (as in its
/// `requests.rs`: default `content-type` then `serde_json::to_string`).
fn lambda_runtime_bytes(status: StatusCode, headers: &HeaderMap, cookies: &[String]) -> Vec<u8> {
    let mut prelude = lambda_runtime::MetadataPrelude {
        status_code: status,
        headers: headers.clone(),
        cookies: cookies.to_vec(),
    };
    prelude
        .headers
        .entry(http::header::CONTENT_TYPE)
        .or_insert(HeaderValue::from_static("application/octet-stream"));
    serde_json::to_vec(&prelude).unwrap()
}

/// `lambda_runtime` writes header values through `HeaderValue::to_str`, which fails for
/// anything but visible ASCII, space and tab; such a value is written as `[]` and lost. The
/// byte-exact comparison therefore uses ASCII values; `non_ascii_values_are_kept` covers the
/// rest.
fn ascii_value() -> impl Strategy<Value = String> {
    "[\\x20-\\x7E\t]{0,40}"
}

#[test]
fn non_ascii_values_are_kept_where_lambda_runtime_loses_them() {
    let mut headers = HeaderMap::new();
    headers.insert("x-name", HeaderValue::from_str("Jos\u{e9}").unwrap());
    let theirs = lambda_runtime_bytes(StatusCode::OK, &headers, &[]);
    assert_eq!(
        theirs,
        br#"{"statusCode":200,"headers":{"x-name":[],"content-type":"application/octet-stream"},"cookies":[]}"#
    );
    let ours = MetadataPrelude::builder()
        .headers(&headers)
        .build()
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&ours.encode(Dialect::LambdaRuntime).unwrap()).unwrap(),
        "{\"statusCode\":200,\"headers\":{\"x-name\":\"Jos\u{e9}\",\"content-type\":\"application/octet-stream\"},\"cookies\":[]}"
    );
}

fn header_map() -> impl Strategy<Value = HeaderMap> {
    prop::collection::vec((common::header_name(), ascii_value()), 0..12).prop_map(|pairs| {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if name.eq_ignore_ascii_case("set-cookie") {
                continue; // lambda_http moves these to `cookies`, as this crate does
            }
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(&value).unwrap(),
            );
        }
        map
    })
}

proptest! {
    #[test]
    fn lambda_runtime_dialect_is_byte_exact(
        status in 100u16..=599,
        headers in header_map(),
        cookies in prop::collection::vec(common::header_value(), 0..3),
    ) {
        let status = StatusCode::from_u16(status).unwrap();
        let ours = MetadataPrelude::builder()
            .status(status)
            .headers(&headers)
            .cookies(&cookies)
            .hop_by_hop(HopByHopPolicy::Keep)
            .build()
            .unwrap()
            .encode(Dialect::LambdaRuntime)
            .unwrap();
        prop_assert_eq!(
            String::from_utf8(ours.to_vec()).unwrap(),
            String::from_utf8(lambda_runtime_bytes(status, &headers, &cookies)).unwrap()
        );
    }

    #[test]
    fn every_dialect_is_compact_json_with_its_keys_in_order(p in common::prelude()) {
        for dialect in common::DIALECTS {
            let json = p.encode(dialect).unwrap();
            let text = std::str::from_utf8(&json).unwrap();
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            // Compact: re-serializing the parsed value changes nothing but key order, so the
            // lengths agree.
            prop_assert_eq!(serde_json::to_string(&value).unwrap().len(), json.len());
            let keys: &[&str] = match dialect {
                Dialect::ApiGatewayRest => &["statusCode", "headers", "multiValueHeaders"],
                _ => &["statusCode", "headers", "cookies"],
            };
            let mut at = 0;
            for key in keys {
                let pos = text[at..].find(&format!("\"{key}\":")).map(|p| p + at);
                prop_assert!(pos.is_some(), "{} missing in {}", key, text);
                at = pos.unwrap();
            }
            prop_assert_eq!(value["statusCode"].as_u64(), Some(u64::from(p.status().as_u16())));
            let cookies = match dialect {
                // The cookies are `Set-Cookie` values; no header of that name is in `p`'s
                // headers (the builder makes them cookies).
                Dialect::ApiGatewayRest => &value["multiValueHeaders"]["Set-Cookie"],
                _ => &value["cookies"],
            };
            prop_assert_eq!(cookies.as_array().map_or(0, Vec::len), p.cookies().len());
        }
    }
}
