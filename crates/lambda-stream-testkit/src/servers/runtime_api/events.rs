//! The events a function is invoked with: a function URL's and API Gateway REST's.

use bytes::Bytes;

/// A function URL event (payload format 2.0, as a function URL and `cargo lambda watch`
/// send it) for `method` on `path_and_query`, with `headers` (names lowercased, repeated
/// ones joined with `,`; `cookie` headers also go to `cookies`).
pub fn function_url_event(method: &str, path_and_query: &str, headers: &[(&str, &str)]) -> Bytes {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut map = serde_json::Map::new();
    let mut cookies = Vec::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if name == "cookie" {
            cookies.extend(value.split(';').map(|c| serde_json::Value::from(c.trim())));
        }
        let joined = match map.get(&name).and_then(|v| v.as_str()) {
            Some(before) => format!("{before},{value}"),
            None => (*value).to_owned(),
        };
        map.insert(name, joined.into());
    }
    map.entry("host")
        .or_insert_with(|| "emulated.lambda-url.us-east-1.on.aws".into());
    let event = serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "cookies": cookies,
        "headers": map,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "emulated",
            "domainName": "emulated.lambda-url.us-east-1.on.aws",
            "domainPrefix": "emulated",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "lambda-stream-testkit"
            },
            "requestId": "emulated",
            "routeKey": "$default",
            "stage": "$default",
            "time": "27/Nov/2026:00:00:00 +0000",
            "timeEpoch": 1795737600000u64
        },
        "isBase64Encoded": false
    });
    Bytes::from(event.to_string())
}

/// An API Gateway REST event (payload format 1.0) for `method` on `path`, with `headers`.
pub fn api_gateway_rest_event(method: &str, path: &str, headers: &[(&str, &str)]) -> Bytes {
    let mut single = serde_json::Map::new();
    let mut multi = serde_json::Map::new();
    for (name, value) in headers {
        single.insert((*name).to_owned(), (*value).into());
        multi.insert((*name).to_owned(), serde_json::json!([value]));
    }
    let event = serde_json::json!({
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012",
            "resourceId": "emulated",
            "stage": "test",
            "requestId": "emulated",
            "identity": {"sourceIp": "127.0.0.1"},
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "apiId": "emulated",
            "path": path
        },
        "body": null,
        "isBase64Encoded": false
    });
    Bytes::from(event.to_string())
}
