//! `MetadataPrelude`: the status, headers and cookies that precede a streamed body.

use http::StatusCode;

use crate::builder::Builder;
use crate::error::PreludeError;
use crate::header_case::HeaderCase;

/// One header name with its values, in the order they were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderEntry {
    /// The spelling first given for this name.
    pub(crate) name: String,
    /// Never empty.
    pub(crate) values: Vec<String>,
}

/// The HTTP metadata of a streamed Lambda response: status, headers and cookies.
///
/// Every `MetadataPrelude` has passed the checks of [`Builder::build`]: a status in
/// `100..=599`, header names that are HTTP tokens, values and cookies that are UTF-8 without
/// control bytes, and the chosen [`HopByHopPolicy`](crate::HopByHopPolicy). Header names
/// keep the spelling and order they were given in, so that the encoding can match the
/// Node.js runtime byte for byte; values for the same name (compared case-insensitively) are
/// grouped under the first spelling. `Set-Cookie` headers are kept as [`cookies`](Self::cookies).
///
/// Turn it into bytes with [`encode`](Self::encode) or [`frames`](Self::frames), and read
/// one back with [`PreludeDecoder`](crate::PreludeDecoder).
///
/// # Example
///
/// ```
/// use lambda_stream_prelude::{Dialect, MetadataPrelude};
///
/// let response = http::Response::builder()
///     .status(200)
///     .header("content-type", "text/plain")
///     .header("set-cookie", "session=abc")
///     .body(())?;
/// let prelude = MetadataPrelude::try_from(&response)?;
/// let json = prelude.encode(Dialect::FunctionUrl)?;
/// assert_eq!(
///     &json[..],
///     br#"{"statusCode":200,"headers":{"content-type":"text/plain"},"cookies":["session=abc"]}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataPrelude {
    status: StatusCode,
    headers: Vec<HeaderEntry>,
    cookies: Vec<String>,
}

impl Default for MetadataPrelude {
    /// `200 OK`, no headers, no cookies.
    fn default() -> Self {
        MetadataPrelude {
            status: StatusCode::OK,
            headers: Vec::new(),
            cookies: Vec::new(),
        }
    }
}

impl MetadataPrelude {
    /// Starts a [`Builder`].
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Status, headers and cookies.
    pub(crate) fn into_parts(self) -> (StatusCode, Vec<HeaderEntry>, Vec<String>) {
        (self.status, self.headers, self.cookies)
    }

    /// Only for what has passed every check ([`Builder::build`], a checked
    /// [`ReceivedPrelude`](crate::ReceivedPrelude)).
    pub(crate) fn from_checked(
        status: StatusCode,
        headers: Vec<HeaderEntry>,
        cookies: Vec<String>,
    ) -> Self {
        MetadataPrelude {
            status,
            headers,
            cookies,
        }
    }

    /// A builder holding this prelude's parts, to change it.
    ///
    /// The builder's policy is [`HopByHopPolicy::Keep`](crate::HopByHopPolicy::Keep), since
    /// these headers already passed one; set another to apply it to what is added.
    ///
    /// ```
    /// use lambda_stream_prelude::MetadataPrelude;
    ///
    /// let prelude = MetadataPrelude::builder().header("ETag", "\"v1\"").build()?;
    /// let more = prelude.into_builder().cookie("seen=1").status(203).build()?;
    /// assert_eq!(more.status(), 203);
    /// assert_eq!(more.get("etag"), Some("\"v1\""));
    /// assert_eq!(more.cookies(), ["seen=1"]);
    /// # Ok::<(), lambda_stream_prelude::PreludeError>(())
    /// ```
    pub fn into_builder(self) -> Builder {
        let mut b = Builder::new()
            .status(self.status)
            .hop_by_hop(crate::HopByHopPolicy::Keep);
        for entry in &self.headers {
            for value in &entry.values {
                b = b.header(&entry.name, value);
            }
        }
        b.cookies(&self.cookies)
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Every header as `(name, value)`, grouped by name in the order names first appeared,
    /// values in the order given.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        pairs(&self.headers)
    }

    /// The first value of the header `name` (compared case-insensitively).
    ///
    /// ```
    /// use lambda_stream_prelude::MetadataPrelude;
    ///
    /// let prelude = MetadataPrelude::builder().header("Vary", "Origin").header("vary", "Accept").build()?;
    /// assert_eq!(prelude.get("VARY"), Some("Origin"));
    /// assert_eq!(prelude.get_all("vary").collect::<Vec<_>>(), ["Origin", "Accept"]);
    /// assert_eq!(prelude.headers().collect::<Vec<_>>(), [("Vary", "Origin"), ("Vary", "Accept")]);
    /// assert_eq!(prelude.get("etag"), None);
    /// # Ok::<(), lambda_stream_prelude::PreludeError>(())
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// Every value of the header `name` (compared case-insensitively), in order.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        values(&self.headers, name)
    }

    /// The cookies, each the value of one `Set-Cookie` header.
    pub fn cookies(&self) -> &[String] {
        &self.cookies
    }

    pub(crate) fn entries(&self) -> &[HeaderEntry] {
        &self.headers
    }

    /// The headers as an `http::HeaderMap` (names lowercased, as `http` stores them), with
    /// each cookie as a `set-cookie` header.
    ///
    /// ```
    /// use lambda_stream_prelude::MetadataPrelude;
    ///
    /// let prelude = MetadataPrelude::builder().header("Content-Type", "text/html").cookie("a=1").build()?;
    /// let headers = prelude.to_header_map();
    /// assert_eq!(headers["content-type"], "text/html");
    /// assert_eq!(headers["set-cookie"], "a=1");
    /// # Ok::<(), lambda_stream_prelude::PreludeError>(())
    /// ```
    pub fn to_header_map(&self) -> http::HeaderMap {
        let mut map = http::HeaderMap::with_capacity(self.headers.len() + self.cookies.len());
        let pairs = self
            .headers()
            .chain(self.cookies.iter().map(|c| ("set-cookie", c.as_str())));
        for (name, value) in pairs {
            // Names are tokens and values are free of control bytes, both checked when the
            // prelude was built; `header::tests::our_rules_are_within_the_http_crate_rules`
            // shows that `http` accepts all of these, and a name can be no longer than the
            // 16 KiB prelude, well under its 64 KiB limit. So neither conversion can fail.
            #[allow(clippy::expect_used)]
            let name = http::HeaderName::from_bytes(name.as_bytes()).expect("checked token");
            #[allow(clippy::expect_used)]
            let value = http::HeaderValue::from_str(value).expect("checked field value");
            map.append(name, value);
        }
        map
    }

    /// An `http::Response` with this status and these headers around `body`, and a
    /// [`HeaderCase`] extension with the headers' spelling and order, so that the prelude
    /// made of the response at the wire edge ([`TryFrom<&Parts>`](#impl-TryFrom<%26Parts>-for-MetadataPrelude))
    /// is this one, whatever a tower layer in between did not change.
    ///
    /// ```
    /// use lambda_stream_prelude::{HeaderCase, MetadataPrelude};
    ///
    /// let prelude = MetadataPrelude::builder().status(404).header("Content-Type", "text/plain").build()?;
    /// let response = prelude.clone().into_response("not found");
    /// assert_eq!(response.status(), 404);
    /// assert_eq!(*response.body(), "not found");
    /// assert!(response.extensions().get::<HeaderCase>().is_some());
    /// let (parts, _) = response.into_parts();
    /// assert_eq!(MetadataPrelude::try_from(&parts)?, prelude);
    /// # Ok::<(), lambda_stream_prelude::PreludeError>(())
    /// ```
    pub fn into_response<B>(self, body: B) -> http::Response<B> {
        let mut response = http::Response::new(body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.to_header_map();
        response.extensions_mut().insert(HeaderCase::from_names(
            self.headers.iter().map(|e| e.name.as_str()),
        ));
        response
    }
}

/// Every header as `(name, value)`, grouped by name in the order names first appeared.
pub(crate) fn pairs(entries: &[HeaderEntry]) -> impl Iterator<Item = (&str, &str)> + '_ {
    entries
        .iter()
        .flat_map(|e| e.values.iter().map(move |v| (e.name.as_str(), v.as_str())))
}

/// Every value of the header `name` (compared case-insensitively), in order.
pub(crate) fn values<'a>(
    entries: &'a [HeaderEntry],
    name: &str,
) -> impl Iterator<Item = &'a str> + 'a {
    entries
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(name))
        .into_iter()
        .flat_map(|e| e.values.iter().map(String::as_str))
}

impl TryFrom<&http::response::Parts> for MetadataPrelude {
    type Error = PreludeError;

    /// Status and headers, with `set-cookie` headers as cookies and the default
    /// [`HopByHopPolicy`](crate::HopByHopPolicy); the headers spelled and ordered as a
    /// [`HeaderCase`] in the extensions says, where there is one. Use [`Builder::headers`]
    /// to choose another policy.
    fn try_from(parts: &http::response::Parts) -> Result<Self, Self::Error> {
        let builder = Builder::new().status(parts.status);
        match parts.extensions.get::<HeaderCase>() {
            Some(case) => builder.headers_as(&parts.headers, case),
            None => builder.headers(&parts.headers),
        }
        .build()
    }
}

impl TryFrom<http::response::Parts> for MetadataPrelude {
    type Error = PreludeError;

    /// As for `&Parts`.
    fn try_from(parts: http::response::Parts) -> Result<Self, Self::Error> {
        MetadataPrelude::try_from(&parts)
    }
}

impl<T> TryFrom<&http::Response<T>> for MetadataPrelude {
    type Error = PreludeError;

    /// Status and headers of the response (its body is not touched); as for `&Parts`.
    fn try_from(response: &http::Response<T>) -> Result<Self, Self::Error> {
        let builder = Builder::new().status(response.status());
        match response.extensions().get::<HeaderCase>() {
            Some(case) => builder.headers_as(response.headers(), case),
            None => builder.headers(response.headers()),
        }
        .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_http_moves_cookies_and_keeps_order() {
        let (parts, ()) = http::Response::builder()
            .status(404)
            .header("x-b", "1")
            .header("set-cookie", "a=1")
            .header("x-a", "2")
            .header("x-b", "3")
            .header("set-cookie", "b=2")
            .body(())
            .unwrap()
            .into_parts();
        let p = MetadataPrelude::try_from(parts).unwrap();
        assert_eq!(p.status(), 404);
        assert_eq!(
            p.headers().collect::<Vec<_>>(),
            [("x-b", "1"), ("x-b", "3"), ("x-a", "2")]
        );
        assert_eq!(p.cookies(), ["a=1", "b=2"]);
        assert_eq!(p.get("X-B"), Some("1"));
        assert_eq!(p.get_all("x-b").collect::<Vec<_>>(), ["1", "3"]);
        assert_eq!(p.get("missing"), None);
    }

    #[test]
    fn into_response_and_back() {
        let p = MetadataPrelude::builder()
            .status(201)
            .header("X-Trace", "t")
            .cookie("a=1")
            .build()
            .unwrap();
        let response = p.clone().into_response(());
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["x-trace"], "t");
        assert_eq!(response.headers()["set-cookie"], "a=1");
        let back = MetadataPrelude::try_from(&response).unwrap();
        assert_eq!(back.cookies(), p.cookies());
        assert_eq!(back.get("x-trace"), Some("t"));
    }

    #[test]
    fn a_header_case_keeps_spelling_and_order_and_parts_say_the_rest() {
        let p = MetadataPrelude::builder()
            .status(200)
            .header("Content-Type", "video/mp4")
            .header("ETag", "\"a\"")
            .header("X-Multi", "1")
            .header("X-Multi", "2")
            .cookie("a=1")
            .build()
            .unwrap();
        let (mut parts, ()) = p.clone().into_response(()).into_parts();
        assert_eq!(
            MetadataPrelude::try_from(&parts).unwrap(),
            p,
            "unchanged parts give the prelude back"
        );
        parts.status = http::StatusCode::PARTIAL_CONTENT;
        parts.headers.insert("etag", "\"b\"".parse().unwrap());
        parts.headers.remove("x-multi");
        parts
            .headers
            .insert("content-length", "10".parse().unwrap());
        parts.headers.append("set-cookie", "b=2".parse().unwrap());
        let sent = MetadataPrelude::try_from(&parts).unwrap();
        assert_eq!(sent.status(), 206);
        assert_eq!(
            sent.headers().collect::<Vec<_>>(),
            [
                ("Content-Type", "video/mp4"),
                ("ETag", "\"b\""),
                ("x-amzn-remapped-content-length", "10"),
            ]
        );
        assert_eq!(sent.cookies(), ["a=1", "b=2"]);
    }

    #[test]
    fn a_header_case_of_names_that_are_no_header_names_is_ignored() {
        let mut response = http::Response::builder()
            .header("x-a", "1")
            .body(())
            .unwrap();
        response
            .extensions_mut()
            .insert(HeaderCase::from_names(["bad name", "", "X\u{0}", "X-A"]));
        let p = MetadataPrelude::try_from(&response).unwrap();
        assert_eq!(p.headers().collect::<Vec<_>>(), [("X-A", "1")]);
    }

    #[test]
    fn into_builder_round_trips() {
        let p = MetadataPrelude::builder()
            .status(206)
            .header("A", "1")
            .header("B", "2")
            .header("a", "3")
            .header("Content-Length", "9")
            .hop_by_hop(crate::HopByHopPolicy::Keep)
            .cookie("c")
            .build()
            .unwrap();
        assert_eq!(p.clone().into_builder().build().unwrap(), p);
    }
}
