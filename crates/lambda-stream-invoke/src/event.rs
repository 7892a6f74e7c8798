//! `FunctionUrlEvent`: the event a function URL hands a function, for a caller that
//! invokes the function directly.

use base64::Engine as _;
use bytes::Bytes;

/// A function URL request as the event Lambda hands the function (payload format 2.0):
/// what to send with [`invoke`](crate::invoke) so that the function sees the request it
/// would get through its URL.
///
/// Header names are lowercased and repeated ones joined with `,`, as a function URL does;
/// `Cookie` headers also fill `cookies`. A body that is not UTF-8 is sent base64-encoded
/// (`isBase64Encoded`). Without a `Host` header, the host is
/// `function.lambda-url.us-east-1.on.aws`.
///
/// ```
/// use lambda_stream_invoke::FunctionUrlEvent;
///
/// let event = FunctionUrlEvent::get("/some/key?part=1").header("Range", "bytes=0-99");
/// let json: serde_json::Value = serde_json::from_slice(&event.to_bytes())?;
/// assert_eq!(json["rawPath"], "/some/key");
/// assert_eq!(json["rawQueryString"], "part=1");
/// assert_eq!(json["headers"]["range"], "bytes=0-99");
/// assert_eq!(json["requestContext"]["http"]["method"], "GET");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionUrlEvent {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Option<Bytes>,
}

impl FunctionUrlEvent {
    /// A `method` request for `path_and_query` (`/key?x=1`; a path that does not start
    /// with `/` gets one).
    pub fn new(method: &str, path_and_query: &str) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        FunctionUrlEvent {
            method: method.to_ascii_uppercase(),
            path,
            query: query.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// A `GET` of `path_and_query`.
    pub fn get(path_and_query: &str) -> Self {
        FunctionUrlEvent::new("GET", path_and_query)
    }

    /// A `HEAD` of `path_and_query`.
    pub fn head(path_and_query: &str) -> Self {
        FunctionUrlEvent::new("HEAD", path_and_query)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Sets the request's body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The event's JSON.
    pub fn to_bytes(&self) -> Bytes {
        let mut headers = serde_json::Map::new();
        let mut cookies = Vec::new();
        for (name, value) in &self.headers {
            if name == "cookie" {
                cookies.extend(value.split(';').map(|c| serde_json::Value::from(c.trim())));
            }
            let joined = match headers.get(name).and_then(|v| v.as_str()) {
                Some(before) => format!("{before},{value}"),
                None => value.clone(),
            };
            headers.insert(name.clone(), joined.into());
        }
        let host = headers
            .entry("host")
            .or_insert_with(|| "function.lambda-url.us-east-1.on.aws".into())
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let (body, base64) = match &self.body {
            None => (serde_json::Value::Null, false),
            Some(b) => match std::str::from_utf8(b) {
                Ok(text) => (text.into(), false),
                Err(_) => (
                    base64::engine::general_purpose::STANDARD.encode(b).into(),
                    true,
                ),
            },
        };
        let mut event = serde_json::json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": self.query,
            "headers": headers,
            "requestContext": {
                "accountId": "anonymous",
                "apiId": "function",
                "domainName": host,
                "domainPrefix": host.split('.').next().unwrap_or_default(),
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": "lambda-stream-invoke"
                },
                "requestId": "invoked",
                "routeKey": "$default",
                "stage": "$default",
                "time": "01/Jan/2026:00:00:00 +0000",
                "timeEpoch": 1767225600000u64
            },
            "isBase64Encoded": base64
        });
        if !cookies.is_empty() {
            event["cookies"] = cookies.into();
        }
        if !body.is_null() {
            event["body"] = body;
        }
        Bytes::from(event.to_string())
    }
}

impl From<FunctionUrlEvent> for Bytes {
    fn from(event: FunctionUrlEvent) -> Bytes {
        event.to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_join_cookies_split_and_binary_bodies_go_as_base64() {
        let event = FunctionUrlEvent::new("post", "upload")
            .header("X-A", "1")
            .header("x-a", "2")
            .header("Cookie", "a=1; b=2")
            .body(vec![0xff, 0x00]);
        let json: serde_json::Value = serde_json::from_slice(&event.to_bytes()).unwrap();
        assert_eq!(json["rawPath"], "/upload");
        assert_eq!(json["requestContext"]["http"]["method"], "POST");
        assert_eq!(json["headers"]["x-a"], "1,2");
        assert_eq!(json["cookies"], serde_json::json!(["a=1", "b=2"]));
        assert_eq!(json["isBase64Encoded"], true);
        assert_eq!(json["body"], "/wA=");
        let text = FunctionUrlEvent::get("/").body("hi").to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(
            (json["body"].as_str(), json["isBase64Encoded"].as_bool()),
            (Some("hi"), Some(false))
        );
    }
}
