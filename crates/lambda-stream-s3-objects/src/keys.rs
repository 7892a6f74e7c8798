//! `KeyPolicy`: which object keys request paths may name, and the dot segments no key
//! may have.

use crate::request_error::{MAX_KEY_LEN, RequestError};

/// Which object keys requests may name.
///
/// Every policy refuses a key with a `.` or `..` segment once percent-decoded (segments
/// split at `/`, and at `\`, which some servers read as `/`): an S3-compatible server, or
/// a proxy in front of it, that resolves dot segments in the request path would read
/// `../other-bucket/key` from another bucket. Empty segments (`a//b`) are legal S3 keys and
/// are served.
///
/// [`new`](Self::new) serves every other key; [`prefix`](Self::prefix) and
/// [`key`](Self::key) restrict it to keys under the given prefixes or equal to the given
/// keys (any of them). A prefix is matched as text: `public/` serves `public/a.txt`, not
/// `public-2/a.txt`, where `public` would serve both.
///
/// ```
/// use lambda_stream_s3_objects::{KeyPolicy, RequestError};
///
/// let any = KeyPolicy::new();
/// assert_eq!(any.key_from_path("/a%20b//c.txt")?, "a b//c.txt");
/// assert_eq!(any.key_from_path("/..%2Fsecret%2Fs.txt").unwrap_err().status(), 400);
/// assert_eq!(any.key_from_path("/a/./b").unwrap_err().status(), 400);
///
/// let public = KeyPolicy::new().prefix("public/").key("index.html");
/// assert!(public.allows("public/css/site.css") && public.allows("index.html"));
/// assert!(!public.allows("public-2/x") && !public.allows("secrets.txt"));
/// assert_eq!(public.key_from_path("/secrets.txt").unwrap_err(), RequestError::KeyNotServed("secrets.txt".into()));
/// # Ok::<(), RequestError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPolicy {
    prefixes: Vec<String>,
    keys: Vec<String>,
}

impl KeyPolicy {
    /// Every key without a `.` or `..` segment.
    pub fn new() -> Self {
        KeyPolicy::default()
    }

    /// Serves keys under `prefix` (and what else was allowed).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefixes.push(prefix.into());
        self
    }

    /// Serves the key `key` (and what else was allowed).
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.keys.push(key.into());
        self
    }

    /// Whether `key` may be served: no dot segment, and allowed by the prefixes and keys
    /// if any were given.
    pub fn allows(&self, key: &str) -> bool {
        dot_segment(key).is_none() && self.admits(key)
    }

    fn admits(&self, key: &str) -> bool {
        (self.prefixes.is_empty() && self.keys.is_empty())
            || self.prefixes.iter().any(|p| key.starts_with(p.as_str()))
            || self.keys.iter().any(|k| k == key)
    }

    /// The key a request path names: without its leading `/`, percent-decoded once.
    ///
    /// # Errors
    ///
    /// A [`RequestError`]: `400` for an empty key, one that is not UTF-8 once decoded, one
    /// with a `.` or `..` segment, or one longer than [`MAX_KEY_LEN`](crate::MAX_KEY_LEN); `403` for one this
    /// policy does not serve.
    pub fn key_from_path(&self, path: &str) -> Result<String, RequestError> {
        let raw = path.strip_prefix('/').unwrap_or(path);
        if raw.is_empty() {
            return Err(RequestError::EmptyKey);
        }
        let key = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| RequestError::KeyNotUtf8(raw.to_owned()))?;
        if key.len() > MAX_KEY_LEN {
            return Err(RequestError::KeyTooLong { len: key.len() });
        }
        if dot_segment(&key).is_some() {
            return Err(RequestError::DotSegment(key.into_owned()));
        }
        if !self.admits(&key) {
            return Err(RequestError::KeyNotServed(key.into_owned()));
        }
        Ok(key.into_owned())
    }
}

/// The first `.` or `..` segment of `key`, split at `/` and `\`.
pub(crate) fn dot_segment(key: &str) -> Option<&str> {
    key.split(['/', '\\']).find(|s| *s == "." || *s == "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str) -> Result<String, RequestError> {
        KeyPolicy::new().key_from_path(path)
    }

    #[test]
    fn dot_segments_are_refused_after_decoding_and_empty_segments_are_served() {
        for path in [
            "/..%2Fsecret%2Fs.txt",
            "/a/../obj",
            "/a/./obj",
            "/.",
            "/..",
            "/a/..",
            "/%2E%2E/x",
            "/.%2e/x",
            "/a%5C..%5Cb",
            "/..\\x",
        ] {
            let e = key(path).unwrap_err();
            assert!(matches!(e, RequestError::DotSegment(_)), "{path}: {e:?}");
            assert_eq!(e.status(), 400);
        }
        for (path, served) in [
            ("/a//b", "a//b"),
            ("/a/.../b", "a/.../b"),
            ("/.hidden", ".hidden"),
            ("/a../b", "a../b"),
            ("/%2Fetc", "/etc"),
        ] {
            assert_eq!(key(path).unwrap(), served, "{path}");
        }
    }
}
