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
    api_gateway_rest_request(method, path, headers, &[])
}

/// The API Gateway REST proxy event (payload format 1.0) of a request: `method` on
/// `path_and_query`, with `headers` (in order; a repeated name has its last value in
/// `headers` and every value in `multiValueHeaders`, as API Gateway sends them) and `body`
/// (as text when it is UTF-8, else base64). The query string's parameters are decoded into
/// `queryStringParameters` (the last value of each) and `multiValueQueryStringParameters`.
pub fn api_gateway_rest_request(
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Bytes {
    use base64::Engine as _;
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut single = serde_json::Map::new();
    let mut multi = serde_json::Map::<String, serde_json::Value>::new();
    for (name, value) in headers {
        single.insert((*name).to_owned(), (*value).into());
        let values = multi
            .entry((*name).to_owned())
            .or_insert_with(|| serde_json::json!([]));
        if let Some(values) = values.as_array_mut() {
            values.push((*value).into());
        }
    }
    let (query_single, query_multi) = if query.is_empty() {
        (serde_json::Value::Null, serde_json::Value::Null)
    } else {
        let mut single = serde_json::Map::new();
        let mut multi = serde_json::Map::<String, serde_json::Value>::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            single.insert(name.to_string(), value.to_string().into());
            let values = multi
                .entry(name.to_string())
                .or_insert_with(|| serde_json::json!([]));
            if let Some(values) = values.as_array_mut() {
                values.push(value.to_string().into());
            }
        }
        (single.into(), multi.into())
    };
    let (body, base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (serde_json::Value::Null, false),
        Ok(text) => (text.into(), false),
        Err(_) => (
            base64::engine::general_purpose::STANDARD
                .encode(body)
                .into(),
            true,
        ),
    };
    let event = serde_json::json!({
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": query_single,
        "multiValueQueryStringParameters": query_multi,
        "pathParameters": {"proxy": path.trim_start_matches('/')},
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012",
            "resourceId": "emulated",
            "stage": "local",
            "requestId": "emulated",
            "identity": {"sourceIp": "127.0.0.1"},
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "apiId": "emulated",
            "path": path,
            "protocol": "HTTP/1.1"
        },
        "body": body,
        "isBase64Encoded": base64
    });
    Bytes::from(event.to_string())
}
