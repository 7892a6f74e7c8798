//! HTTP `Range` requests (RFC 9110, section 14): parsing and resolving one byte range.

use std::fmt;

/// One byte range, as a `Range: bytes=...` header states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteRange {
    /// `bytes=first-last` (both inclusive).
    FromTo {
        /// First byte.
        first: u64,
        /// Last byte, inclusive; may lie past the end of the object.
        last: u64,
    },
    /// `bytes=first-`: from `first` to the end.
    From {
        /// First byte.
        first: u64,
    },
    /// `bytes=-len`: the last `len` bytes.
    Suffix {
        /// How many bytes at the end.
        len: u64,
    },
}

/// What a `Range` header asks for, and the answer this crate gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RangeHeader {
    /// One byte range: answered `206 Partial Content`, or `416 Range Not Satisfiable` with
    /// `Content-Range: bytes */size` when it lies past the end.
    Single(ByteRange),
    /// Several ranges. Ignored, as RFC 9110 allows: the whole object is sent with `200 OK`
    /// (no `multipart/byteranges`, which S3 does not serve either).
    Multiple,
    /// A unit other than `bytes`. Ignored, as RFC 9110 requires: `200 OK`.
    OtherUnit,
    /// Not valid syntax (including `last < first`). Ignored, as RFC 9110 allows: `200 OK`.
    Invalid,
}

impl RangeHeader {
    /// Parses a `Range` header value. Never fails: what cannot be served as one range is
    /// one of the ignored cases.
    ///
    /// ```
    /// use lambda_stream_s3_objects::{ByteRange, RangeHeader};
    ///
    /// assert_eq!(RangeHeader::parse(b"bytes=0-499"), RangeHeader::Single(ByteRange::FromTo { first: 0, last: 499 }));
    /// assert_eq!(RangeHeader::parse(b"bytes=-500"), RangeHeader::Single(ByteRange::Suffix { len: 500 }));
    /// assert_eq!(RangeHeader::parse(b"bytes=0-1, 5-9"), RangeHeader::Multiple);
    /// assert_eq!(RangeHeader::parse(b"items=1-2"), RangeHeader::OtherUnit);
    /// assert_eq!(RangeHeader::parse(b"bytes=9-1"), RangeHeader::Invalid);
    /// ```
    pub fn parse(value: &[u8]) -> RangeHeader {
        let value = trim_ows(value);
        let Some(eq) = value.iter().position(|&b| b == b'=') else {
            return RangeHeader::Invalid;
        };
        let (unit, set) = (&value[..eq], &value[eq + 1..]);
        if unit.is_empty() || !unit.iter().all(|&b| is_tchar(b)) {
            return RangeHeader::Invalid;
        }
        if !unit.eq_ignore_ascii_case(b"bytes") {
            return RangeHeader::OtherUnit;
        }
        let mut ranges = set
            .split(|&b| b == b',')
            .map(trim_ows)
            .filter(|r| !r.is_empty());
        let Some(first) = ranges.next() else {
            return RangeHeader::Invalid;
        };
        let first = parse_spec(first);
        let mut count = 1;
        for spec in ranges {
            if parse_spec(spec).is_none() {
                return RangeHeader::Invalid;
            }
            count += 1;
        }
        match (first, count) {
            (None, _) => RangeHeader::Invalid,
            (Some(range), 1) => RangeHeader::Single(range),
            (Some(_), _) => RangeHeader::Multiple,
        }
    }

    /// The range to serve, if this header asks for exactly one.
    ///
    /// ```
    /// use lambda_stream_s3_objects::{ByteRange, RangeHeader};
    ///
    /// assert_eq!(RangeHeader::parse(b"bytes=10-").single(), Some(ByteRange::From { first: 10 }));
    /// assert_eq!(RangeHeader::parse(b"bytes=0-1,3-4").single(), None);
    /// ```
    pub fn single(&self) -> Option<ByteRange> {
        match self {
            RangeHeader::Single(r) => Some(*r),
            _ => None,
        }
    }
}

/// A range past the end of the object: answer `416` with
/// [`content_range`](Self::content_range).
///
/// ```
/// use lambda_stream_s3_objects::{ByteRange, Unsatisfiable};
///
/// let e: Unsatisfiable = ByteRange::From { first: 100 }.resolve(10).unwrap_err();
/// assert_eq!(e.size, 10);
/// assert_eq!(e.content_range(), "bytes */10");
/// assert_eq!(e.to_string(), "range not satisfiable: expected a range within 0..10, found one past its end");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Unsatisfiable {
    /// The object's size.
    pub size: u64,
}

impl Unsatisfiable {
    /// `bytes */size`, the `Content-Range` of a 416 answer.
    pub fn content_range(&self) -> String {
        ContentRange::Unsatisfied { size: self.size }.to_string()
    }
}

impl fmt::Display for Unsatisfiable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "range not satisfiable: expected a range within 0..{}, found one past its end",
            self.size
        )
    }
}

impl std::error::Error for Unsatisfiable {}

/// A range resolved against an object's size: bytes `first..=last`, never empty.
///
/// ```
/// use lambda_stream_s3_objects::{RangeHeader, ResolvedRange};
///
/// let range: ResolvedRange = RangeHeader::parse(b"bytes=0-99").single().unwrap().resolve(50)?;
/// assert_eq!((range.first, range.last, range.size), (0, 49, 50));
/// assert_eq!(range.len(), 50);
/// assert!(!range.is_empty());
/// assert_eq!(range.content_range(), "bytes 0-49/50");
/// # Ok::<(), lambda_stream_s3_objects::Unsatisfiable>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResolvedRange {
    /// First byte.
    pub first: u64,
    /// Last byte, inclusive.
    pub last: u64,
    /// The object's size.
    pub size: u64,
}

impl ResolvedRange {
    /// How many bytes the range holds.
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Always false: a resolved range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// `bytes first-last/size`, the `Content-Range` of a 206 answer.
    pub fn content_range(&self) -> String {
        ContentRange::from(*self).to_string()
    }
}

/// A `Content-Range` header (RFC 9110, section 14.4), as a `206` or `416` answer carries it:
/// parsed and written in one place.
///
/// ```
/// use lambda_stream_s3_objects::ContentRange;
///
/// let range = ContentRange::parse("bytes 0-499/1234").unwrap();
/// assert_eq!(range, ContentRange::Satisfied { first: 0, last: 499, size: Some(1234) });
/// assert_eq!(range.to_string(), "bytes 0-499/1234");
/// assert_eq!(ContentRange::parse("bytes */1234"), Some(ContentRange::Unsatisfied { size: 1234 }));
/// assert_eq!(ContentRange::parse("bytes 5-1/9"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentRange {
    /// `bytes first-last/size` (`size` is `None` for `*`, an unknown length).
    Satisfied {
        /// First byte.
        first: u64,
        /// Last byte, inclusive.
        last: u64,
        /// The whole object's size, if known.
        size: Option<u64>,
    },
    /// `bytes */size`, the answer to a range past the end.
    Unsatisfied {
        /// The whole object's size.
        size: u64,
    },
}

impl ContentRange {
    /// Parses a `Content-Range` value; `None` for anything that is not a byte range with
    /// `first <= last < size`.
    pub fn parse(value: &str) -> Option<ContentRange> {
        let rest = value.trim().strip_prefix("bytes ")?;
        let (span, size) = rest.split_once('/')?;
        let size = match size {
            "*" => None,
            digits => Some(number(digits.as_bytes())?),
        };
        if span == "*" {
            return Some(ContentRange::Unsatisfied { size: size? });
        }
        let (first, last) = span.split_once('-')?;
        let (first, last) = (number(first.as_bytes())?, number(last.as_bytes())?);
        if last < first || size.is_some_and(|size| last >= size) {
            return None;
        }
        Some(ContentRange::Satisfied { first, last, size })
    }

    /// The whole object's size, when the header says it.
    pub fn size(&self) -> Option<u64> {
        match *self {
            ContentRange::Satisfied { size, .. } => size,
            ContentRange::Unsatisfied { size } => Some(size),
        }
    }
}

impl From<ResolvedRange> for ContentRange {
    fn from(r: ResolvedRange) -> Self {
        ContentRange::Satisfied {
            first: r.first,
            last: r.last,
            size: Some(r.size),
        }
    }
}

impl fmt::Display for ContentRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ContentRange::Satisfied {
                first,
                last,
                size: Some(size),
            } => write!(f, "bytes {first}-{last}/{size}"),
            ContentRange::Satisfied {
                first,
                last,
                size: None,
            } => write!(f, "bytes {first}-{last}/*"),
            ContentRange::Unsatisfied { size } => write!(f, "bytes */{size}"),
        }
    }
}

impl ByteRange {
    /// The bytes this range selects in an object of `size` bytes (RFC 9110, section 14.1.2).
    ///
    /// # Errors
    ///
    /// [`Unsatisfiable`] when it selects none: a first byte at or past the end, a suffix of
    /// 0 bytes, or an empty object.
    ///
    /// ```
    /// use lambda_stream_s3_objects::ByteRange;
    ///
    /// let tail = ByteRange::Suffix { len: 10 }.resolve(4).unwrap();
    /// assert_eq!((tail.first, tail.last, tail.len()), (0, 3, 4));
    /// assert_eq!(tail.content_range(), "bytes 0-3/4");
    /// let past = ByteRange::From { first: 4 }.resolve(4).unwrap_err();
    /// assert_eq!(past.content_range(), "bytes */4");
    /// ```
    pub fn resolve(&self, size: u64) -> Result<ResolvedRange, Unsatisfiable> {
        let unsatisfiable = Unsatisfiable { size };
        let (first, last) = match *self {
            ByteRange::FromTo { first, last } => (first, last.min(size.saturating_sub(1))),
            ByteRange::From { first } => (first, size.saturating_sub(1)),
            ByteRange::Suffix { len: 0 } => return Err(unsatisfiable),
            ByteRange::Suffix { len } => (size.saturating_sub(len), size.saturating_sub(1)),
        };
        if size == 0 || first >= size {
            return Err(unsatisfiable);
        }
        Ok(ResolvedRange { first, last, size })
    }

    /// The header value that asks for this range: `bytes=first-last`, `bytes=first-`,
    /// `bytes=-len`.
    ///
    /// ```
    /// use lambda_stream_s3_objects::{ByteRange, RangeHeader};
    ///
    /// let range = ByteRange::Suffix { len: 500 };
    /// assert_eq!(range.header_value(), "bytes=-500");
    /// assert_eq!(RangeHeader::parse(range.header_value().as_bytes()), RangeHeader::Single(range));
    /// ```
    pub fn header_value(&self) -> String {
        match *self {
            ByteRange::FromTo { first, last } => format!("bytes={first}-{last}"),
            ByteRange::From { first } => format!("bytes={first}-"),
            ByteRange::Suffix { len } => format!("bytes=-{len}"),
        }
    }
}

/// `first-last`, `first-` or `-len`; numbers too big for a u64 saturate, which keeps their
/// meaning (a first byte past any object, a last byte at the end, a suffix of the whole).
fn parse_spec(spec: &[u8]) -> Option<ByteRange> {
    let dash = spec.iter().position(|&b| b == b'-')?;
    let (first, last) = (&spec[..dash], &spec[dash + 1..]);
    match (number(first), number(last)) {
        (Some(first), Some(last)) if last >= first => Some(ByteRange::FromTo { first, last }),
        (Some(first), None) if last.is_empty() => Some(ByteRange::From { first }),
        (None, Some(len)) if first.is_empty() => Some(ByteRange::Suffix { len }),
        _ => None,
    }
}

fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        use ByteRange::*;
        assert_eq!(
            RangeHeader::parse(b" bytes=5-"),
            RangeHeader::Single(From { first: 5 })
        );
        assert_eq!(
            RangeHeader::parse(b"BYTES=0-0"),
            RangeHeader::Single(FromTo { first: 0, last: 0 })
        );
        assert_eq!(
            RangeHeader::parse(b"bytes=0-0,"),
            RangeHeader::Single(FromTo { first: 0, last: 0 })
        );
        assert_eq!(
            RangeHeader::parse(b"bytes=-0"),
            RangeHeader::Single(Suffix { len: 0 })
        );
        assert_eq!(
            RangeHeader::parse(b"bytes=99999999999999999999999-"),
            RangeHeader::Single(From { first: u64::MAX })
        );
        assert_eq!(RangeHeader::parse(b"bytes=0-1,2-x"), RangeHeader::Invalid);
        for bad in [
            &b""[..],
            b"bytes",
            b"bytes=",
            b"bytes=-",
            b"bytes=a-b",
            b"bytes= 1-2x",
            b"bytes=1 -2",
            b"=1-2",
            b"by tes=1-2",
            b"bytes=--1",
        ] {
            assert_eq!(
                RangeHeader::parse(bad),
                RangeHeader::Invalid,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn resolve_edges() {
        use ByteRange::*;
        assert_eq!(
            FromTo { first: 0, last: 0 }
                .resolve(10)
                .unwrap()
                .content_range(),
            "bytes 0-0/10"
        );
        assert_eq!(
            FromTo {
                first: 9,
                last: 100
            }
            .resolve(10)
            .unwrap()
            .content_range(),
            "bytes 9-9/10"
        );
        assert_eq!(
            From { first: 10 }.resolve(10),
            Err(Unsatisfiable { size: 10 })
        );
        assert_eq!(
            Suffix { len: 1 }.resolve(10).unwrap().content_range(),
            "bytes 9-9/10"
        );
        assert_eq!(
            Suffix { len: 0 }.resolve(10),
            Err(Unsatisfiable { size: 10 })
        );
        assert_eq!(Suffix { len: 5 }.resolve(0), Err(Unsatisfiable { size: 0 }));
        assert_eq!(From { first: 0 }.resolve(0), Err(Unsatisfiable { size: 0 }));
    }
}
