//! `Endpoint`: where the Runtime API listens.

use std::fmt;

use crate::error::ConfigError;

/// The Runtime API's address, as `AWS_LAMBDA_RUNTIME_API` gives it: `host:port`, or a URL
/// `http://host:port[/base]` (as emulators such as `cargo lambda watch` use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// `host:port`, for the connection and the `Host` header.
    authority: String,
    /// The path before `/2018-06-01/...`, empty or starting with `/`, no trailing `/`.
    base: String,
}

impl Endpoint {
    pub(crate) fn parse(text: &str) -> Result<Endpoint, ConfigError> {
        let bad = |why: &str| ConfigError::invalid("AWS_LAMBDA_RUNTIME_API", text, why);
        let rest = match text.split_once("://") {
            Some(("http", rest)) => rest,
            Some(_) => return Err(bad("expected host:port or an http:// URL")),
            None => text,
        };
        let (authority, base) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let uri: http::uri::Authority = authority
            .parse()
            .map_err(|_| bad("expected host:port or an http:// URL"))?;
        if uri.port_u16().is_none() {
            return Err(bad("expected a port"));
        }
        if base.contains(['?', '#']) {
            return Err(bad("expected no query or fragment"));
        }
        Ok(Endpoint {
            authority: authority.to_owned(),
            base: base.to_owned(),
        })
    }

    /// `host:port`.
    pub(crate) fn authority(&self) -> &str {
        &self.authority
    }

    /// The request target of a Runtime API `path` (`/2018-06-01/...`).
    pub(crate) fn target(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.authority, self.base)
    }
}

/// `id` as one path segment, escaped as JavaScript's `encodeURIComponent` does (what the
/// Node.js runtime puts in the path); request ids are UUIDs, which pass unchanged.
pub(crate) fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_and_urls() {
        let e = Endpoint::parse("127.0.0.1:9001").unwrap();
        assert_eq!(e.authority(), "127.0.0.1:9001");
        assert_eq!(
            e.target("/2018-06-01/runtime/invocation/next"),
            "/2018-06-01/runtime/invocation/next"
        );
        let e = Endpoint::parse("http://localhost:9000/.rt/").unwrap();
        assert_eq!(e.authority(), "localhost:9000");
        assert_eq!(e.target("/2018-06-01/x"), "/.rt/2018-06-01/x");
        for bad in ["", "https://h:1", "h", "h:port", "http://h:1/x?y"] {
            let e = Endpoint::parse(bad).unwrap_err();
            assert!(e.to_string().contains("AWS_LAMBDA_RUNTIME_API"), "{e}");
        }
    }

    #[test]
    fn ids_are_one_segment() {
        assert_eq!(
            path_segment("8476a536-e9f4-11e8-9739-2dfe598c3fcd"),
            "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
        );
        assert_eq!(path_segment("a/b c?é"), "a%2Fb%20c%3F%C3%A9");
    }
}
