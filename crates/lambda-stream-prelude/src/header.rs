//! Header hygiene: what a name and a value may contain, and the hop-by-hop policy.

use crate::error::{NameProblem, ValueProblem};

/// The name AWS gives a `Content-Length` it moves out of the way.
///
/// A streamed response has no length of its own: the runtime sends it with chunked
/// encoding. The AWS front end therefore re-sends a `Content-Length` set by the function as
/// `X-Amzn-Remapped-Content-Length`; [`HopByHopPolicy::Remap`] does the same up front, so
/// the prelude says what the client will see.
///
/// ```
/// use lambda_stream_prelude::{MetadataPrelude, REMAPPED_CONTENT_LENGTH};
///
/// let prelude = MetadataPrelude::builder().header("Content-Length", "4400000").build()?;
/// assert_eq!(prelude.get(REMAPPED_CONTENT_LENGTH), Some("4400000"));
/// assert_eq!(prelude.get("content-length"), None);
/// # Ok::<(), lambda_stream_prelude::PreludeError>(())
/// ```
pub const REMAPPED_CONTENT_LENGTH: &str = "x-amzn-remapped-content-length";

/// Headers that describe one connection rather than the response, and that the Lambda
/// runtime owns on a streamed response (RFC 9110, section 7.6.1, plus the legacy
/// `keep-alive` and `proxy-connection`).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// What to do with `Content-Length`, `Transfer-Encoding` and the other hop-by-hop headers.
///
/// A streamed response is sent with chunked encoding by the runtime, so these headers cannot
/// be honoured as written. The policy is applied when the prelude is built, before a byte is
/// produced.
///
/// | policy | `content-length` | other hop-by-hop headers |
/// | --- | --- | --- |
/// | [`Remap`](Self::Remap) (default) | renamed [`x-amzn-remapped-content-length`](REMAPPED_CONTENT_LENGTH) | removed |
/// | [`Reject`](Self::Reject) | error | error |
/// | [`Remove`](Self::Remove) | removed | removed |
/// | [`Keep`](Self::Keep) | kept | kept |
///
/// The default matches what the AWS front end does anyway, so the prelude describes the
/// response the client actually receives, and the object size survives for the client.
///
/// ```
/// use lambda_stream_prelude::{HopByHopPolicy, MetadataPrelude};
///
/// let with = |policy| {
///     MetadataPrelude::builder()
///         .header("Content-Length", "5")
///         .header("Connection", "close")
///         .hop_by_hop(policy)
///         .build()
/// };
/// let remapped = with(HopByHopPolicy::Remap)?;
/// assert_eq!(remapped.headers().collect::<Vec<_>>(), [("x-amzn-remapped-content-length", "5")]);
/// assert_eq!(with(HopByHopPolicy::Remove)?.headers().count(), 0);
/// assert_eq!(with(HopByHopPolicy::Keep)?.headers().count(), 2);
/// assert!(with(HopByHopPolicy::Reject).is_err());
/// # Ok::<(), lambda_stream_prelude::PreludeError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HopByHopPolicy {
    /// Rename `content-length` to `x-amzn-remapped-content-length` (as AWS does) and drop
    /// the other hop-by-hop headers.
    #[default]
    Remap,
    /// Fail with [`PreludeError::HopByHop`](crate::PreludeError::HopByHop) naming the header.
    Reject,
    /// Drop every hop-by-hop header and `content-length`.
    Remove,
    /// Keep them as given. This is what [`PreludeDecoder`](crate::PreludeDecoder) uses by
    /// default, so that a decoded prelude reports what was sent.
    Keep,
}

/// What the policy makes of one header name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// Keep the header as it is.
    Keep,
    /// Send it under another name.
    Rename(&'static str),
    /// Leave it out.
    Drop,
    /// Refuse it.
    Reject,
}

impl HopByHopPolicy {
    /// What this policy does with a header called `name`.
    pub(crate) fn disposition(self, name: &str) -> Disposition {
        let content_length = name.eq_ignore_ascii_case("content-length");
        let hop = content_length || HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h));
        if !hop {
            return Disposition::Keep;
        }
        match self {
            HopByHopPolicy::Keep => Disposition::Keep,
            HopByHopPolicy::Reject => Disposition::Reject,
            HopByHopPolicy::Remove => Disposition::Drop,
            HopByHopPolicy::Remap if content_length => Disposition::Rename(REMAPPED_CONTENT_LENGTH),
            HopByHopPolicy::Remap => Disposition::Drop,
        }
    }
}

/// Whether `name` is `Set-Cookie`, which travels in `cookies` instead of `headers`.
pub(crate) fn is_set_cookie(name: &str) -> bool {
    name.eq_ignore_ascii_case("set-cookie")
}

/// `tchar` from RFC 9110, section 5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Checks that `name` is an HTTP token (RFC 9110, section 5.6.2).
pub(crate) fn check_name(name: &str) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    match name.bytes().position(|b| !is_tchar(b)) {
        Some(at) => Err(NameProblem::NotToken {
            byte: name.as_bytes()[at],
            at,
        }),
        None => Ok(()),
    }
}

/// Checks a field value, and gives it as text: no control byte other than horizontal tab
/// (this refuses CR, LF and NUL, which would split or end the header, and DEL). A value that
/// is UTF-8 is that text; any other is read as ISO-8859-1, a character per byte: the
/// `obs-text` (bytes 0x80 to 0xFF) that RFC 9110, section 5.5, still lets a field carry, as
/// Node.js sends it (a Latin-1 `caf\xE9` is the text `café`).
pub(crate) fn check_value(value: &[u8]) -> Result<std::borrow::Cow<'_, str>, ValueProblem> {
    if let Some(at) = value
        .iter()
        .position(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
    {
        return Err(ValueProblem::Forbidden {
            byte: value[at],
            at,
        });
    }
    Ok(match std::str::from_utf8(value) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => std::borrow::Cow::Owned(value.iter().map(|&b| char::from(b)).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(check_name("Content-Type"), Ok(()));
        assert_eq!(check_name("x-a!#$%&'*+.^_`|~9"), Ok(()));
        assert_eq!(check_name(""), Err(NameProblem::Empty));
        assert_eq!(
            check_name("X Y"),
            Err(NameProblem::NotToken { byte: b' ', at: 1 })
        );
        assert_eq!(
            check_name("a:b"),
            Err(NameProblem::NotToken { byte: b':', at: 1 })
        );
        assert_eq!(
            check_name("é"),
            Err(NameProblem::NotToken { byte: 0xc3, at: 0 })
        );
    }

    #[test]
    fn values() {
        assert_eq!(
            check_value(b"text/plain; q=1\tx").as_deref(),
            Ok("text/plain; q=1\tx")
        );
        assert_eq!(
            check_value("caf\u{e9}".as_bytes()).as_deref(),
            Ok("caf\u{e9}")
        );
        // obs-text: not UTF-8, read as ISO-8859-1.
        assert_eq!(check_value(b"caf\xe9").as_deref(), Ok("caf\u{e9}"));
        assert_eq!(check_value(b"ok\xff").as_deref(), Ok("ok\u{ff}"));
        assert_eq!(
            check_value(b"a\r\nb"),
            Err(ValueProblem::Forbidden { byte: b'\r', at: 1 })
        );
        assert_eq!(
            check_value(b"ab\n"),
            Err(ValueProblem::Forbidden { byte: b'\n', at: 2 })
        );
        assert_eq!(
            check_value(b"\0"),
            Err(ValueProblem::Forbidden { byte: 0, at: 0 })
        );
        assert_eq!(
            check_value(b"a\x7f"),
            Err(ValueProblem::Forbidden { byte: 0x7f, at: 1 })
        );
    }

    #[test]
    fn our_rules_are_within_the_http_crate_rules() {
        // `MetadataPrelude::to_header_map` relies on this: every byte we accept in a name or
        // a value is accepted by `http` as well.
        for b in 0..=255u8 {
            let name = [b];
            if let Ok(name) = std::str::from_utf8(&name) {
                if check_name(name).is_ok() {
                    assert!(
                        http::HeaderName::from_bytes(name.as_bytes()).is_ok(),
                        "{b:#x}"
                    );
                }
            }
            if b < 0x80 && check_value(&[b]).is_ok() {
                assert!(http::HeaderValue::from_bytes(&[b]).is_ok(), "{b:#x}");
            }
        }
        assert!(http::HeaderValue::from_str("caf\u{e9} \u{1F600}").is_ok());
    }

    #[test]
    fn policies() {
        use Disposition::*;
        let p = HopByHopPolicy::default();
        assert_eq!(
            p.disposition("Content-Length"),
            Rename(REMAPPED_CONTENT_LENGTH)
        );
        assert_eq!(p.disposition("Transfer-Encoding"), Drop);
        assert_eq!(p.disposition("content-type"), Keep);
        assert_eq!(HopByHopPolicy::Reject.disposition("Connection"), Reject);
        assert_eq!(HopByHopPolicy::Reject.disposition("content-length"), Reject);
        assert_eq!(HopByHopPolicy::Remove.disposition("CONTENT-LENGTH"), Drop);
        assert_eq!(HopByHopPolicy::Keep.disposition("upgrade"), Keep);
        assert_eq!(HopByHopPolicy::Reject.disposition("etag"), Keep);
    }
}
