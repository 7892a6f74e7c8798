//! `Builder`: the checked way to make a [`MetadataPrelude`].

use http::StatusCode;

use crate::MAX_PRELUDE_LEN;
use crate::error::PreludeError;
use crate::header::{self, Disposition, HopByHopPolicy};
use crate::header_case::HeaderCase;
use crate::prelude::{HeaderEntry, MetadataPrelude};

/// Builds a [`MetadataPrelude`], checking every part before a byte is produced.
///
/// As with `http::response::Builder`, the methods take anything and remember the first
/// problem; [`build`](Self::build) reports it. Headers keep the spelling and the order they
/// are given in; several values for one name (compared case-insensitively) are grouped
/// under the first spelling. A `Set-Cookie` header becomes a cookie.
///
/// # Example
///
/// ```
/// use lambda_stream_prelude::{HopByHopPolicy, MetadataPrelude};
///
/// let prelude = MetadataPrelude::builder()
///     .status(206)
///     .header("Content-Type", "video/mp4")
///     .header("Content-Length", "1024")
///     .header("Set-Cookie", "seen=1")
///     .build()?;
/// assert_eq!(prelude.status(), 206);
/// // The default policy renames content-length the way AWS does.
/// assert_eq!(prelude.get("x-amzn-remapped-content-length"), Some("1024"));
/// assert_eq!(prelude.cookies(), ["seen=1"]);
///
/// let refused = MetadataPrelude::builder()
///     .header("Transfer-Encoding", "chunked")
///     .hop_by_hop(HopByHopPolicy::Reject)
///     .build()
///     .unwrap_err();
/// assert!(refused.to_string().contains("`Transfer-Encoding`"));
/// # Ok::<(), lambda_stream_prelude::PreludeError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder {
    status: u16,
    headers: Vec<(String, String)>,
    cookies: Vec<String>,
    policy: HopByHopPolicy,
    error: Option<PreludeError>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            status: 200,
            headers: Vec::new(),
            cookies: Vec::new(),
            policy: HopByHopPolicy::default(),
            error: None,
        }
    }
}

impl Builder {
    /// A builder for a `200 OK` prelude with no headers and no cookies.
    ///
    /// ```
    /// use lambda_stream_prelude::Builder;
    ///
    /// let prelude = Builder::new().build()?;
    /// assert_eq!(prelude.status(), 200);
    /// assert_eq!(prelude.headers().count(), 0);
    /// # Ok::<(), lambda_stream_prelude::PreludeError>(())
    /// ```
    pub fn new() -> Self {
        Builder::default()
    }

    /// Sets the status code (a `u16` or an `http::StatusCode`); it must be in `100..=599`.
    pub fn status(mut self, status: impl IntoStatus) -> Self {
        self.status = status.into_status();
        self
    }

    /// Appends a header. The name must be an HTTP token; the value UTF-8 without CR, LF,
    /// NUL or other control bytes (tab is allowed). `Set-Cookie` is appended to the cookies.
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<[u8]>) -> Self {
        if self.error.is_none() {
            if let Err(e) = self.push_header(name.as_ref(), value.as_ref()) {
                self.error = Some(e);
            }
        }
        self
    }

    /// Appends every header of an `http::HeaderMap`, in its iteration order.
    pub fn headers(mut self, headers: &http::HeaderMap) -> Self {
        for (name, value) in headers {
            self = self.header(name, value);
        }
        self
    }

    /// Appends every header of `headers`, those `case` lists first, spelled and ordered as
    /// it lists them, then the others in the map's order (see [`HeaderCase`]).
    pub fn headers_as(mut self, headers: &http::HeaderMap, case: &HeaderCase) -> Self {
        for name in case.names() {
            for value in headers.get_all(name) {
                self = self.header(name, value);
            }
        }
        for (name, value) in headers {
            if !case.names().any(|n| n.eq_ignore_ascii_case(name.as_str())) {
                self = self.header(name, value);
            }
        }
        self
    }

    /// Appends a cookie (the value of one `Set-Cookie` header).
    pub fn cookie(mut self, cookie: impl AsRef<[u8]>) -> Self {
        if self.error.is_none() {
            match header::check_value(cookie.as_ref()) {
                Ok(text) => self.cookies.push(text.into_owned()),
                Err(problem) => {
                    let index = self.cookies.len();
                    self.error = Some(PreludeError::Cookie { index, problem });
                }
            }
        }
        self
    }

    /// Appends several cookies.
    pub fn cookies<I>(mut self, cookies: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        for cookie in cookies {
            self = self.cookie(cookie);
        }
        self
    }

    /// Chooses what happens to `content-length` and hop-by-hop headers (default
    /// [`HopByHopPolicy::Remap`]). Applies to every header, whenever it was added.
    pub fn hop_by_hop(mut self, policy: HopByHopPolicy) -> Self {
        self.policy = policy;
        self
    }

    fn push_header(&mut self, name: &str, value: &[u8]) -> Result<(), PreludeError> {
        header::check_name(name).map_err(|problem| PreludeError::HeaderName {
            name: name.to_owned(),
            problem,
        })?;
        let value = header::check_value(value).map_err(|problem| PreludeError::HeaderValue {
            name: name.to_owned(),
            problem,
        })?;
        if header::is_set_cookie(name) {
            self.cookies.push(value.into_owned());
        } else {
            self.headers.push((name.to_owned(), value.into_owned()));
        }
        Ok(())
    }

    /// Checks everything and makes the prelude.
    ///
    /// # Errors
    ///
    /// The first problem met: a status outside `100..=599`, a header name that is not a
    /// token, a value or cookie that is not clean UTF-8, a hop-by-hop header refused by the
    /// policy, or metadata that cannot fit in [`MAX_PRELUDE_LEN`] in any dialect.
    pub fn build(self) -> Result<MetadataPrelude, PreludeError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let status = match StatusCode::from_u16(self.status) {
            Ok(s) if (100..=599).contains(&self.status) => s,
            _ => return Err(PreludeError::Status { found: self.status }),
        };
        let mut entries: Vec<HeaderEntry> = Vec::new();
        // Every dialect writes at least each name once, each value with a quote or a
        // separator, and each cookie in quotes: a lower bound on the encoded size that also
        // bounds the work below.
        let mut at_least = crate::DELIMITER.len();
        for (name, value) in self.headers {
            let name = match self.policy.disposition(&name) {
                Disposition::Keep => name,
                Disposition::Rename(to) => to.to_owned(),
                Disposition::Drop => continue,
                Disposition::Reject => return Err(PreludeError::HopByHop { name }),
            };
            at_least += value.len() + 1;
            match entries
                .iter_mut()
                .find(|e| e.name.eq_ignore_ascii_case(&name))
            {
                Some(entry) => entry.values.push(value),
                None => {
                    at_least += name.len();
                    entries.push(HeaderEntry {
                        name,
                        values: vec![value],
                    });
                }
            }
            if at_least > MAX_PRELUDE_LEN {
                return Err(PreludeError::TooLarge {
                    len: at_least,
                    limit: MAX_PRELUDE_LEN,
                });
            }
        }
        at_least += self.cookies.iter().map(|c| c.len() + 2).sum::<usize>();
        if at_least > MAX_PRELUDE_LEN {
            return Err(PreludeError::TooLarge {
                len: at_least,
                limit: MAX_PRELUDE_LEN,
            });
        }
        Ok(MetadataPrelude::from_checked(status, entries, self.cookies))
    }
}

/// A status code given to [`Builder::status`]: a `u16` (so that a bare literal such as
/// `200` works) or an `http::StatusCode`. Sealed.
///
/// ```
/// use lambda_stream_prelude::MetadataPrelude;
///
/// let a = MetadataPrelude::builder().status(404).build()?;
/// let b = MetadataPrelude::builder().status(http::StatusCode::NOT_FOUND).build()?;
/// assert_eq!(a, b);
/// use lambda_stream_prelude::IntoStatus;
/// assert_eq!(http::StatusCode::NOT_FOUND.into_status(), 404);
/// # Ok::<(), lambda_stream_prelude::PreludeError>(())
/// ```
pub trait IntoStatus: sealed::Sealed {
    /// The numeric code.
    fn into_status(self) -> u16;
}

impl IntoStatus for u16 {
    fn into_status(self) -> u16 {
        self
    }
}

impl IntoStatus for StatusCode {
    fn into_status(self) -> u16 {
        self.as_u16()
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for u16 {}
    impl Sealed for http::StatusCode {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{NameProblem, ValueProblem};

    #[test]
    fn first_error_wins_and_names_the_header() {
        let e = Builder::new()
            .header("Bad Name", "x")
            .header("X-Ok", "a\nb")
            .build()
            .unwrap_err();
        assert_eq!(
            e,
            PreludeError::HeaderName {
                name: "Bad Name".into(),
                problem: NameProblem::NotToken { byte: b' ', at: 3 }
            }
        );
    }

    #[test]
    fn status_range() {
        assert_eq!(
            Builder::new().status(99).build().unwrap_err(),
            PreludeError::Status { found: 99 }
        );
        assert_eq!(
            Builder::new().status(600).build().unwrap_err(),
            PreludeError::Status { found: 600 }
        );
        assert_eq!(Builder::new().status(100).build().unwrap().status(), 100);
        assert_eq!(Builder::new().status(599).build().unwrap().status(), 599);
        assert_eq!(
            Builder::new()
                .status(StatusCode::NOT_FOUND)
                .build()
                .unwrap()
                .status(),
            404
        );
    }

    #[test]
    fn values_and_cookies_are_checked() {
        // obs-text is sent, read as ISO-8859-1, as Node.js sends it.
        let p = Builder::new()
            .header("X-A", b"caf\xe9".as_slice())
            .cookie(b"n=\xe9".as_slice())
            .build()
            .unwrap();
        assert_eq!(p.get("X-A"), Some("caf\u{e9}"));
        assert_eq!(p.cookies(), ["n=\u{e9}"]);
        let e = Builder::new()
            .cookie("a=1")
            .cookie("b=\r2")
            .build()
            .unwrap_err();
        assert_eq!(
            e,
            PreludeError::Cookie {
                index: 1,
                problem: ValueProblem::Forbidden { byte: b'\r', at: 2 }
            }
        );
        let e = Builder::new()
            .header("Set-Cookie", "a\0")
            .build()
            .unwrap_err();
        assert!(matches!(e, PreludeError::HeaderValue { ref name, .. } if name == "Set-Cookie"));
    }

    #[test]
    fn grouping_keeps_first_spelling_and_order() {
        let p = Builder::new()
            .header("X-B", "1")
            .header("Cache-Control", "no-store")
            .header("x-b", "2")
            .header("set-cookie", "c=1")
            .cookie("d=2")
            .build()
            .unwrap();
        let pairs: Vec<_> = p.headers().collect();
        assert_eq!(
            pairs,
            [("X-B", "1"), ("X-B", "2"), ("Cache-Control", "no-store")]
        );
        assert_eq!(p.cookies(), ["c=1", "d=2"]);
    }

    #[test]
    fn hop_by_hop_policies() {
        let b = || {
            Builder::new()
                .header("Content-Length", "5")
                .header("Connection", "close")
                .header("ETag", "\"x\"")
        };
        let remap = b().build().unwrap();
        let pairs: Vec<_> = remap.headers().collect();
        assert_eq!(
            pairs,
            [("x-amzn-remapped-content-length", "5"), ("ETag", "\"x\"")]
        );
        let removed = b().hop_by_hop(HopByHopPolicy::Remove).build().unwrap();
        assert_eq!(removed.headers().collect::<Vec<_>>(), [("ETag", "\"x\"")]);
        let kept = b().hop_by_hop(HopByHopPolicy::Keep).build().unwrap();
        assert_eq!(kept.headers().count(), 3);
        let e = b().hop_by_hop(HopByHopPolicy::Reject).build().unwrap_err();
        assert_eq!(
            e,
            PreludeError::HopByHop {
                name: "Content-Length".into()
            }
        );
    }

    #[test]
    fn oversized_metadata_is_refused_early() {
        let e = Builder::new()
            .header("X-Big", "v".repeat(MAX_PRELUDE_LEN))
            .build()
            .unwrap_err();
        assert!(
            matches!(
                e,
                PreludeError::TooLarge {
                    limit: MAX_PRELUDE_LEN,
                    ..
                }
            ),
            "{e}"
        );
        let many_empty = (0..MAX_PRELUDE_LEN).fold(Builder::new(), |b, _| b.header("X-E", ""));
        assert!(matches!(
            many_empty.build(),
            Err(PreludeError::TooLarge { .. })
        ));
    }
}
