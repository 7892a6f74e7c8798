//! The events a function is invoked with: a function URL's and API Gateway REST's.

use bytes::Bytes;

/// A function URL event (payload format 2.0, as a function URL and `cargo lambda watch`
/// send it) for `method` on `path_and_query`, with `headers`: the caller's own builder,
/// [`lambda_stream_invoke::FunctionUrlEvent`].
pub fn function_url_event(method: &str, path_and_query: &str, headers: &[(&str, &str)]) -> Bytes {
    headers
        .iter()
        .fold(
            lambda_stream_invoke::FunctionUrlEvent::new(method, path_and_query),
            |event, (name, value)| event.header(name, value),
        )
        .to_bytes()
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
