//! `MetadataPrelude`: the status, headers and cookies that precede a streamed body.

use http::StatusCode;

use crate::builder::Builder;
use crate::error::PreludeError;
use crate::header::Disposition;

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
    /// Whether every part passes the strict checks: always, but for a prelude a lenient
    /// decoder read that does not.
    checked: bool,
}

impl Default for MetadataPrelude {
    /// `200 OK`, no headers, no cookies.
    fn default() -> Self {
        MetadataPrelude {
            status: StatusCode::OK,
            headers: Vec::new(),
            cookies: Vec::new(),
            checked: true,
        }
    }
}

impl MetadataPrelude {
    /// Starts a [`Builder`].
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Only for [`Builder::build`], which has checked every part.
    pub(crate) fn from_checked(
        status: StatusCode,
        headers: Vec<HeaderEntry>,
        cookies: Vec<String>,
    ) -> Self {
        MetadataPrelude {
            status,
            headers,
            cookies,
            checked: true,
        }
    }

    /// What a lenient decoder read: kept as it is, and marked checked only if it passes
    /// the strict checks.
    pub(crate) fn from_received(
        status: StatusCode,
        headers: Vec<HeaderEntry>,
        cookies: Vec<String>,
    ) -> Self {
        let mut prelude = MetadataPrelude {
            status,
            headers,
            cookies,
            checked: false,
        };
        prelude.checked = prelude.strict_problem().is_none();
        prelude
    }

    /// The first part that fails the strict checks of [`Builder::build`], if any.
    fn strict_problem(&self) -> Option<PreludeError> {
        let status = self.status.as_u16();
        if !(100..=599).contains(&status) {
            return Some(PreludeError::Status { found: status });
        }
        for entry in &self.headers {
            if let Err(problem) = crate::header::check_name(&entry.name) {
                return Some(PreludeError::HeaderName {
                    name: entry.name.clone(),
                    problem,
                });
            }
            for value in &entry.values {
                if let Err(problem) = crate::header::check_value(value.as_bytes()) {
                    return Some(PreludeError::HeaderValue {
                        name: entry.name.clone(),
                        problem,
                    });
                }
            }
        }
        for (index, cookie) in self.cookies.iter().enumerate() {
            if let Err(problem) = crate::header::check_value(cookie.as_bytes()) {
                return Some(PreludeError::Cookie { index, problem });
            }
        }
        None
    }

    /// Whether this prelude passes the strict checks of [`Builder::build`], so that it
    /// can be sent. Only a prelude read by a lenient [`PreludeDecoder`](crate::PreludeDecoder)
    /// (the default) may not: it keeps what a function sent, whatever that was.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use lambda_stream_prelude::{Dialect, MetadataPrelude, PreludeDecoder};
    ///
    /// assert!(MetadataPrelude::builder().build()?.is_checked());
    /// // A status the Node.js runtime sends as given, and `http` can hold.
    /// let (odd, _) = PreludeDecoder::decode_all(Bytes::from_static(b"{\"statusCode\":999}\0\0\0\0\0\0\0\0"))?;
    /// assert!(!odd.is_checked());
    /// assert_eq!(odd.status(), 999);
    /// assert!(odd.check().is_err());
    /// assert!(odd.encode(Dialect::FunctionUrl).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_checked(&self) -> bool {
        self.checked
    }

    /// The strict checks of [`Builder::build`].
    ///
    /// # Errors
    ///
    /// The first part that fails them.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use lambda_stream_prelude::{PreludeDecoder, PreludeError};
    ///
    /// let (prelude, _) = PreludeDecoder::decode_all(Bytes::from_static(b"{\"statusCode\":700}\0\0\0\0\0\0\0\0"))?;
    /// assert_eq!(prelude.check(), Err(PreludeError::Status { found: 700 }));
    /// # Ok::<(), lambda_stream_prelude::DecodeError>(())
    /// ```
    pub fn check(&self) -> Result<(), PreludeError> {
        match self.strict_problem() {
            Some(e) => Err(e),
            None => Ok(()),
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
        self.headers
            .iter()
            .flat_map(|e| e.values.iter().map(move |v| (e.name.as_str(), v.as_str())))
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
        self.headers
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
            .into_iter()
            .flat_map(|e| e.values.iter().map(String::as_str))
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
    /// # Errors
    ///
    /// For a prelude that is not [checked](Self::is_checked): the part `http` cannot hold.
    ///
    /// ```
    /// use lambda_stream_prelude::MetadataPrelude;
    ///
    /// let prelude = MetadataPrelude::builder().header("Content-Type", "text/html").cookie("a=1").build()?;
    /// let headers = prelude.to_header_map()?;
    /// assert_eq!(headers["content-type"], "text/html");
    /// assert_eq!(headers["set-cookie"], "a=1");
    /// # Ok::<(), lambda_stream_prelude::PreludeError>(())
    /// ```
    pub fn to_header_map(&self) -> Result<http::HeaderMap, PreludeError> {
        if !self.checked {
            self.check()?;
        }
        let mut map = http::HeaderMap::with_capacity(self.headers.len() + self.cookies.len());
        let pairs = self
            .headers()
            .chain(self.cookies.iter().map(|c| ("set-cookie", c.as_str())));
        for (name, value) in pairs {
            // Names are tokens and values are free of control bytes, both checked above (by
            // `check`, as `Builder::build` does); `header::tests::our_rules_are_within_the_http_crate_rules`
            // shows that `http` accepts all of these, and a name can be no longer than the
            // 16 KiB prelude, well under its 64 KiB limit. So neither conversion can fail.
            #[allow(clippy::expect_used)]
            let name = http::HeaderName::from_bytes(name.as_bytes()).expect("checked token");
            #[allow(clippy::expect_used)]
            let value = http::HeaderValue::from_str(value).expect("checked field value");
            map.append(name, value);
        }
        Ok(map)
    }

    /// The prelude of `parts` (its status, its headers and its `set-cookie` headers as
    /// cookies: what is to be sent), with each header that this prelude also has, by the
    /// same name and value, spelled as here and in this prelude's order; the others follow
    /// in `parts`' order, lowercase, under the default [`HopByHopPolicy`](crate::HopByHopPolicy).
    ///
    /// For a prelude that travelled beside an `http::Response` whose headers someone else
    /// may have changed since (a tower layer, say): nothing `parts` says is lost, and
    /// nothing it no longer says is sent.
    ///
    /// ```
    /// use lambda_stream_prelude::MetadataPrelude;
    ///
    /// let prelude = MetadataPrelude::builder()
    ///     .header("Content-Type", "text/plain")
    ///     .header("Cache-Control", "no-store")
    ///     .build()?;
    /// let mut response = prelude.clone().into_response(())?;
    /// response.headers_mut().remove("cache-control");
    /// response.headers_mut().insert("access-control-allow-origin", "*".parse()?);
    /// let (parts, ()) = response.into_parts();
    /// let sent = prelude.for_parts(&parts)?;
    /// assert_eq!(
    ///     sent.headers().collect::<Vec<_>>(),
    ///     [("Content-Type", "text/plain"), ("access-control-allow-origin", "*")]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Builder::build`], for what `parts` added; for this prelude, if it is not
    /// [checked](Self::is_checked).
    pub fn for_parts(
        &self,
        parts: &http::response::Parts,
    ) -> Result<MetadataPrelude, PreludeError> {
        if !self.checked {
            self.check()?;
        }
        let mut remaining: Vec<(&http::HeaderName, &http::HeaderValue, bool)> = parts
            .headers
            .iter()
            .filter(|(name, _)| *name != http::header::SET_COOKIE)
            .map(|(name, value)| (name, value, false))
            .collect();
        let mut builder = Builder::new()
            .status(parts.status)
            .hop_by_hop(crate::HopByHopPolicy::Keep);
        for (name, value) in self.headers() {
            let same = remaining.iter_mut().find(|(n, v, used)| {
                !*used && n.as_str().eq_ignore_ascii_case(name) && v.as_bytes() == value.as_bytes()
            });
            if let Some(slot) = same {
                slot.2 = true;
                builder = builder.header(name, value);
            }
        }
        for (name, value, used) in remaining {
            if used {
                continue;
            }
            builder = match crate::HopByHopPolicy::default().disposition(name.as_str()) {
                Disposition::Keep => builder.header(name, value),
                Disposition::Rename(to) => builder.header(to, value),
                Disposition::Drop | Disposition::Reject => builder,
            };
        }
        builder
            .cookies(parts.headers.get_all(http::header::SET_COOKIE))
            .build()
    }

    /// An `http::Response` with this status and these headers around `body`.
    ///
    /// # Errors
    ///
    /// As [`to_header_map`](Self::to_header_map).
    ///
    /// ```
    /// use lambda_stream_prelude::MetadataPrelude;
    ///
    /// let response = MetadataPrelude::builder().status(404).build()?.into_response("not found")?;
    /// assert_eq!(response.status(), 404);
    /// assert_eq!(*response.body(), "not found");
    /// # Ok::<(), lambda_stream_prelude::PreludeError>(())
    /// ```
    pub fn into_response<B>(self, body: B) -> Result<http::Response<B>, PreludeError> {
        let mut response = http::Response::new(body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.to_header_map()?;
        Ok(response)
    }
}

impl TryFrom<&http::response::Parts> for MetadataPrelude {
    type Error = PreludeError;

    /// Status and headers, with `set-cookie` headers as cookies and the default
    /// [`HopByHopPolicy`](crate::HopByHopPolicy). Use [`Builder::headers`] to choose another.
    fn try_from(parts: &http::response::Parts) -> Result<Self, Self::Error> {
        Builder::new()
            .status(parts.status)
            .headers(&parts.headers)
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
        Builder::new()
            .status(response.status())
            .headers(response.headers())
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
        let response = p.clone().into_response(()).unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["x-trace"], "t");
        assert_eq!(response.headers()["set-cookie"], "a=1");
        let back = MetadataPrelude::try_from(&response).unwrap();
        assert_eq!(back.cookies(), p.cookies());
        assert_eq!(back.get("x-trace"), Some("t"));
    }

    #[test]
    fn for_parts_keeps_spelling_and_what_parts_say() {
        let p = MetadataPrelude::builder()
            .status(200)
            .header("Content-Type", "video/mp4")
            .header("ETag", "\"a\"")
            .header("X-Multi", "1")
            .header("X-Multi", "2")
            .cookie("a=1")
            .build()
            .unwrap();
        let (mut parts, ()) = p.clone().into_response(()).unwrap().into_parts();
        assert_eq!(
            p.for_parts(&parts).unwrap(),
            p,
            "unchanged parts give the prelude back"
        );
        parts.status = http::StatusCode::PARTIAL_CONTENT;
        parts.headers.insert("etag", "\"b\"".parse().unwrap());
        parts
            .headers
            .insert("content-length", "10".parse().unwrap());
        parts.headers.append("set-cookie", "b=2".parse().unwrap());
        let sent = p.for_parts(&parts).unwrap();
        assert_eq!(sent.status(), 206);
        assert_eq!(
            sent.headers().collect::<Vec<_>>(),
            [
                ("Content-Type", "video/mp4"),
                ("X-Multi", "1"),
                ("X-Multi", "2"),
                ("etag", "\"b\""),
                ("x-amzn-remapped-content-length", "10"),
            ]
        );
        assert_eq!(sent.cookies(), ["a=1", "b=2"]);
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
