//! Conditional requests (RFC 9110, section 13), evaluated here against the metadata S3
//! returns, whatever S3 (or an S3-compatible server) did with them.

use aws_smithy_types::date_time::{DateTime, Format};
use http::{HeaderMap, Method, header};

use crate::entity_tag::{EntityTag, EntityTags};

#[derive(Debug, Clone, PartialEq, Eq)]
enum IfRange {
    Tag(EntityTag),
    Date(DateTime),
    /// Neither: never matches, so the range is ignored.
    Invalid,
}

/// The conditional headers of a request, parsed: `If-Match`, `If-None-Match`,
/// `If-Modified-Since`, `If-Unmodified-Since` and `If-Range`.
///
/// [`evaluate`](Self::evaluate) applies them in the order of RFC 9110, section 13.2.2, to
/// the object S3 returned. A date that is not an HTTP date is ignored, as the RFC requires;
/// an `If-Match` or `If-None-Match` member that is not an entity tag matches nothing.
///
/// ```
/// use aws_smithy_types::DateTime;
/// use http::{HeaderMap, Method};
/// use lambda_stream_s3_objects::{Conditions, Evaluation, Validators};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("if-none-match", r#""v1", "v2""#.parse()?);
/// let conditions = Conditions::from_headers(&headers);
/// let current = Validators { etag: Some(r#""v2""#), last_modified: None };
/// let now = DateTime::from_secs(1_800_000_000);
/// assert_eq!(conditions.evaluate(&Method::GET, &current, false, now), Evaluation::NotModified);
/// let changed = Validators { etag: Some(r#""v3""#), last_modified: None };
/// assert_eq!(conditions.evaluate(&Method::GET, &changed, false, now), Evaluation::Serve { range: false });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conditions {
    if_match: Option<EntityTags>,
    if_none_match: Option<EntityTags>,
    if_modified_since: Option<DateTime>,
    if_unmodified_since: Option<DateTime>,
    if_range: Option<IfRange>,
    /// The raw values, forwarded to S3 as an optimisation.
    raw: Vec<(http::HeaderName, String)>,
}

/// What the object is now, as conditions see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validators<'a> {
    /// The ETag, quotes included.
    pub etag: Option<&'a str>,
    /// The last modification, to the second.
    pub last_modified: Option<DateTime>,
}

/// The answer conditions give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluation {
    /// Serve the object: its `Range` if `range` (no `If-Range`, or one that matches), the
    /// whole object otherwise.
    Serve {
        /// Whether a `Range` may be served.
        range: bool,
    },
    /// `304 Not Modified`.
    NotModified,
    /// `412 Precondition Failed`.
    PreconditionFailed,
}

/// An HTTP date in any of the three formats a recipient must accept (RFC 9110, section
/// 5.6.7): IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94
/// 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
pub(crate) fn http_date(value: &str) -> Option<DateTime> {
    httpdate::parse_http_date(value.trim())
        .ok()
        .map(DateTime::from)
}

impl Conditions {
    /// The conditional headers of `headers`.
    pub fn from_headers(headers: &HeaderMap) -> Conditions {
        let all = |name: header::HeaderName| -> Vec<&str> {
            headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect()
        };
        let one = |name: header::HeaderName| all(name).first().copied();
        let mut raw = Vec::new();
        for name in [
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
            header::IF_UNMODIFIED_SINCE,
        ] {
            let values = all(name.clone());
            if !values.is_empty() {
                raw.push((name, values.join(", ")));
            }
        }
        let if_match = Some(all(header::IF_MATCH))
            .filter(|v| !v.is_empty())
            .map(|v| EntityTags::parse(&v));
        let if_none_match = Some(all(header::IF_NONE_MATCH))
            .filter(|v| !v.is_empty())
            .map(|v| EntityTags::parse(&v));
        let if_range = one(header::IF_RANGE).map(|v| {
            let v = v.trim();
            if v.starts_with('"') || v.starts_with("W/") {
                EntityTag::parse(v).map_or(IfRange::Invalid, IfRange::Tag)
            } else {
                http_date(v).map_or(IfRange::Invalid, IfRange::Date)
            }
        });
        Conditions {
            if_match,
            if_none_match,
            if_modified_since: one(header::IF_MODIFIED_SINCE).and_then(http_date),
            if_unmodified_since: one(header::IF_UNMODIFIED_SINCE).and_then(http_date),
            if_range,
            raw,
        }
    }

    /// Adds `If-Match: etag`.
    pub(crate) fn set_if_match(&mut self, etag: &str) {
        self.if_match = Some(EntityTags::parse(&[etag]));
        self.raw.retain(|(n, _)| n != header::IF_MATCH);
        self.raw.push((header::IF_MATCH, etag.to_owned()));
    }

    /// Adds `If-None-Match: etag`.
    pub(crate) fn set_if_none_match(&mut self, etag: &str) {
        self.if_none_match = Some(EntityTags::parse(&[etag]));
        self.raw.retain(|(n, _)| n != header::IF_NONE_MATCH);
        self.raw.push((header::IF_NONE_MATCH, etag.to_owned()));
    }

    /// Adds `If-Modified-Since: time`.
    pub(crate) fn set_if_modified_since(&mut self, time: DateTime) {
        self.if_modified_since = Some(time);
        self.raw.retain(|(n, _)| n != header::IF_MODIFIED_SINCE);
        if let Ok(text) = time.fmt(Format::HttpDate) {
            self.raw.push((header::IF_MODIFIED_SINCE, text));
        }
    }

    /// Adds `If-Unmodified-Since: time`.
    pub(crate) fn set_if_unmodified_since(&mut self, time: DateTime) {
        self.if_unmodified_since = Some(time);
        self.raw.retain(|(n, _)| n != header::IF_UNMODIFIED_SINCE);
        if let Ok(text) = time.fmt(Format::HttpDate) {
            self.raw.push((header::IF_UNMODIFIED_SINCE, text));
        }
    }

    /// Whether there is any condition at all.
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none()
            && self.if_none_match.is_none()
            && self.if_modified_since.is_none()
            && self.if_unmodified_since.is_none()
            && self.if_range.is_none()
    }

    /// The value of a forwardable header (`If-Match`, `If-None-Match`,
    /// `If-Modified-Since`, `If-Unmodified-Since`) as the request gave it.
    #[cfg(feature = "sdk")]
    pub(crate) fn forwarded(&self, name: &header::HeaderName) -> Option<String> {
        self.raw
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    /// The answer to a `method` request for an object now described by `current`, at time
    /// `now`; `has_range` says whether the request asks for one range (only then does
    /// `If-Range` count). RFC 9110, section 13.2.2, step by step.
    pub fn evaluate(
        &self,
        method: &Method,
        current: &Validators<'_>,
        has_range: bool,
        now: DateTime,
    ) -> Evaluation {
        let etag = current.etag.and_then(EntityTag::parse);
        let modified = current.last_modified.map(|t| t.secs());
        // 1. If-Match, strong comparison.
        if let Some(tags) = &self.if_match {
            if !tags.matches(etag.as_ref(), true) {
                return Evaluation::PreconditionFailed;
            }
        } else if let Some(since) = self.if_unmodified_since {
            // 2. If-Unmodified-Since, only without If-Match, and only with a date to compare.
            if modified.is_some_and(|m| m > since.secs()) {
                return Evaluation::PreconditionFailed;
            }
        }
        let safe = method == Method::GET || method == Method::HEAD;
        // 3. If-None-Match, weak comparison.
        if let Some(tags) = &self.if_none_match {
            if tags.matches(etag.as_ref(), false) {
                return if safe {
                    Evaluation::NotModified
                } else {
                    Evaluation::PreconditionFailed
                };
            }
        } else if let Some(since) = self.if_modified_since {
            // 4. If-Modified-Since, only without If-None-Match, for GET and HEAD, and
            //    ignored when the date lies in the future.
            if safe && since.secs() <= now.secs() && modified.is_some_and(|m| m <= since.secs()) {
                return Evaluation::NotModified;
            }
        }
        // 5. If-Range, only with a Range, for GET.
        let range = match (&self.if_range, has_range && method == Method::GET) {
            (_, false) => has_range,
            (None, true) => true,
            (Some(IfRange::Tag(tag)), true) => etag.as_ref().is_some_and(|e| tag.strong_eq(e)),
            (Some(IfRange::Date(date)), true) => modified == Some(date.secs()),
            (Some(IfRange::Invalid), true) => false,
        };
        Evaluation::Serve { range }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conditions(pairs: &[(&str, &str)]) -> Conditions {
        let mut headers = HeaderMap::new();
        for (n, v) in pairs {
            headers.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Conditions::from_headers(&headers)
    }

    const ETAG: &str = "\"abc\"";
    const MODIFIED: i64 = 1_700_000_000;
    const NOW: i64 = 1_800_000_000;

    fn eval(pairs: &[(&str, &str)], method: Method, range: bool) -> Evaluation {
        let current = Validators {
            etag: Some(ETAG),
            last_modified: Some(DateTime::from_secs(MODIFIED)),
        };
        conditions(pairs).evaluate(&method, &current, range, DateTime::from_secs(NOW))
    }

    fn date(secs: i64) -> String {
        DateTime::from_secs(secs).fmt(Format::HttpDate).unwrap()
    }

    use Evaluation::*;

    #[test]
    fn if_match_is_strong_and_takes_lists_and_any() {
        let get = Method::GET;
        assert_eq!(
            eval(&[("if-match", ETAG)], get.clone(), false),
            Serve { range: false }
        );
        assert_eq!(
            eval(&[("if-match", "*")], get.clone(), false),
            Serve { range: false }
        );
        assert_eq!(
            eval(&[("if-match", "\"x\", \"abc\"")], get.clone(), false),
            Serve { range: false }
        );
        assert_eq!(
            eval(&[("if-match", "W/\"abc\"")], get.clone(), false),
            PreconditionFailed
        );
        assert_eq!(
            eval(&[("if-match", "\"x\"")], get.clone(), false),
            PreconditionFailed
        );
        assert_eq!(
            eval(&[("if-match", "abc")], get.clone(), false),
            PreconditionFailed,
            "malformed"
        );
        // If-Match decides; If-Unmodified-Since is then not looked at.
        assert_eq!(
            eval(
                &[
                    ("if-match", ETAG),
                    ("if-unmodified-since", &date(MODIFIED - 10))
                ],
                get,
                false
            ),
            Serve { range: false }
        );
    }

    #[test]
    fn if_unmodified_since() {
        let get = Method::GET;
        assert_eq!(
            eval(
                &[("if-unmodified-since", &date(MODIFIED))],
                get.clone(),
                false
            ),
            Serve { range: false }
        );
        assert_eq!(
            eval(
                &[("if-unmodified-since", &date(MODIFIED - 1))],
                get.clone(),
                false
            ),
            PreconditionFailed
        );
        assert_eq!(
            eval(&[("if-unmodified-since", "yesterday")], get, false),
            Serve { range: false },
            "ignored"
        );
    }

    #[test]
    fn if_none_match_is_weak_and_any_matches_an_existing_object() {
        let get = Method::GET;
        assert_eq!(
            eval(&[("if-none-match", ETAG)], get.clone(), false),
            NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "W/\"abc\"")], get.clone(), false),
            NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "*")], get.clone(), false),
            NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "\"x\", W/\"abc\"")], get.clone(), false),
            NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "\"x\"")], get.clone(), false),
            Serve { range: false }
        );
        assert_eq!(
            eval(&[("if-none-match", ETAG)], Method::HEAD, false),
            NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", ETAG)], Method::POST, false),
            PreconditionFailed
        );
        // If-None-Match present: If-Modified-Since is ignored.
        assert_eq!(
            eval(
                &[
                    ("if-none-match", "\"x\""),
                    ("if-modified-since", &date(MODIFIED))
                ],
                get,
                false
            ),
            Serve { range: false }
        );
    }

    #[test]
    fn if_modified_since_ignores_future_and_bad_dates() {
        let get = Method::GET;
        assert_eq!(
            eval(
                &[("if-modified-since", &date(MODIFIED))],
                get.clone(),
                false
            ),
            NotModified
        );
        assert_eq!(
            eval(
                &[("if-modified-since", &date(MODIFIED - 1))],
                get.clone(),
                false
            ),
            Serve { range: false }
        );
        assert_eq!(
            eval(
                &[("if-modified-since", &date(NOW + 3600))],
                get.clone(),
                false
            ),
            Serve { range: false },
            "future"
        );
        assert_eq!(
            eval(&[("if-modified-since", "not a date")], get, false),
            Serve { range: false }
        );
    }

    #[test]
    fn if_range_decides_whether_the_range_is_served() {
        let get = Method::GET;
        assert_eq!(eval(&[], get.clone(), true), Serve { range: true });
        assert_eq!(
            eval(&[("if-range", ETAG)], get.clone(), true),
            Serve { range: true }
        );
        assert_eq!(
            eval(&[("if-range", "\"old\"")], get.clone(), true),
            Serve { range: false }
        );
        assert_eq!(
            eval(&[("if-range", "W/\"abc\"")], get.clone(), true),
            Serve { range: false },
            "weak never"
        );
        assert_eq!(
            eval(&[("if-range", &date(MODIFIED))], get.clone(), true),
            Serve { range: true }
        );
        assert_eq!(
            eval(&[("if-range", &date(MODIFIED + 1))], get.clone(), true),
            Serve { range: false },
            "exact date only"
        );
        assert_eq!(
            eval(&[("if-range", "garbage")], get.clone(), true),
            Serve { range: false }
        );
        assert_eq!(
            eval(&[("if-range", "\"old\"")], get, false),
            Serve { range: false },
            "no Range: nothing to ignore"
        );
    }

    #[test]
    fn dates_are_read_in_all_three_http_formats() {
        // MODIFIED is Tue, 14 Nov 2023 22:13:20 GMT.
        let formats = [
            "Tue, 14 Nov 2023 22:13:20 GMT",
            "Tuesday, 14-Nov-23 22:13:20 GMT",
            "Tue Nov 14 22:13:20 2023",
        ];
        for text in formats {
            assert_eq!(
                http_date(text),
                Some(DateTime::from_secs(MODIFIED)),
                "{text}"
            );
            let get = Method::GET;
            assert_eq!(
                eval(&[("if-modified-since", text)], get.clone(), false),
                NotModified,
                "If-Modified-Since: {text}"
            );
            assert_eq!(
                eval(&[("if-unmodified-since", text)], get.clone(), false),
                Serve { range: false },
                "If-Unmodified-Since: {text}"
            );
            assert_eq!(
                eval(&[("if-range", text)], get, true),
                Serve { range: true },
                "If-Range: {text}"
            );
        }
        // One second earlier, in the two obsolete formats: the object changed since.
        for text in [
            "Tuesday, 14-Nov-23 22:13:19 GMT",
            "Tue Nov 14 22:13:19 2023",
        ] {
            assert_eq!(
                eval(&[("if-unmodified-since", text)], Method::GET, false),
                PreconditionFailed
            );
            assert_eq!(
                eval(&[("if-range", text)], Method::GET, true),
                Serve { range: false }
            );
        }
    }
}
