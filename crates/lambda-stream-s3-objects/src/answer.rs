//! Every `GetObject` answer, the first and each resume, checked against what was asked:
//! the range it says it carries, the object's size, and its length.

use aws_sdk_s3::operation::get_object::GetObjectOutput;

use crate::range::{ByteRange, ContentRange};

/// The part of the object an answer carries, as checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// Object offset of the first byte.
    pub(crate) first: u64,
    /// Bytes in the body.
    pub(crate) len: u64,
    /// The whole object's size.
    pub(crate) size: u64,
}

impl Span {
    /// Object offset of the last byte, inclusive; `None` for an empty body.
    pub(crate) fn last(&self) -> Option<u64> {
        self.len.checked_sub(1).map(|n| self.first + n)
    }
}

/// The span `output` carries, if it is the answer to a `GetObject` of `range` (the whole
/// object when `None`); otherwise what is wrong with it.
///
/// - For a range: a `206` (a `Content-Range: bytes first-last/size` with a known size),
///   whose `first` and `last` are the range resolved against that size, and whose
///   `Content-Length`, if any, is `last - first + 1`. A `200` (no `Content-Range`) to a
///   range is refused: its bytes start at another offset than the client will read them at.
/// - For the whole object: a `200` (no `Content-Range`) with a `Content-Length`. An
///   answer without one could end short and look complete, so it is refused.
pub(crate) fn check(range: Option<ByteRange>, output: &GetObjectOutput) -> Result<Span, String> {
    let length = match output.content_length() {
        None => None,
        Some(n) => Some(u64::try_from(n).map_err(|_| format!("answered a Content-Length of {n}"))?),
    };
    let content_range = output.content_range();
    let Some(range) = range else {
        if let Some(text) = content_range {
            return Err(format!(
                "asked for the whole object, answered a part of it (Content-Range {text})"
            ));
        }
        let Some(len) = length else {
            return Err(
                "asked for the whole object, answered without a Content-Length: its end could \
                 not be told from a cut"
                    .to_owned(),
            );
        };
        return Ok(Span {
            first: 0,
            len,
            size: len,
        });
    };
    let asked = range.header_value();
    let Some(text) = content_range else {
        return Err(format!(
            "asked for {asked}, answered without a Content-Range (the whole object, from offset 0)"
        ));
    };
    let Some(ContentRange::Satisfied {
        first,
        last,
        size: Some(size),
    }) = ContentRange::parse(text)
    else {
        return Err(format!(
            "asked for {asked}, answered Content-Range {text}: expected bytes first-last/size"
        ));
    };
    let expected = range
        .resolve(size)
        .map_err(|_| format!("asked for {asked}, past the end of an object of {size} bytes, answered Content-Range {text}"))?;
    if (first, last) != (expected.first, expected.last) {
        return Err(format!(
            "asked for {asked}, answered Content-Range {text}: expected {}",
            expected.content_range()
        ));
    }
    let len = last - first + 1;
    if let Some(length) = length
        && length != len
    {
        return Err(format!(
            "asked for {asked}, answered Content-Range {text} with a Content-Length of {length}: expected {len}"
        ));
    }
    Ok(Span { first, len, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(content_range: Option<&str>, length: Option<i64>) -> GetObjectOutput {
        GetObjectOutput::builder()
            .set_content_range(content_range.map(str::to_owned))
            .set_content_length(length)
            .build()
    }

    const RANGE: Option<ByteRange> = Some(ByteRange::FromTo {
        first: 1000,
        last: 1999,
    });

    #[test]
    fn a_range_answer_must_be_the_range_asked_for() {
        let ok = check(RANGE, &answer(Some("bytes 1000-1999/5000"), Some(1000))).unwrap();
        assert_eq!(
            ok,
            Span {
                first: 1000,
                len: 1000,
                size: 5000
            }
        );
        assert_eq!(ok.last(), Some(1999));
        // Without a Content-Length, the Content-Range gives the length.
        assert_eq!(
            check(RANGE, &answer(Some("bytes 1000-1999/5000"), None))
                .unwrap()
                .len,
            1000
        );
        // Past the end, the range is cut at the end.
        assert_eq!(
            check(RANGE, &answer(Some("bytes 1000-1499/1500"), Some(500)))
                .unwrap()
                .len,
            500
        );
        for (content_range, length, why) in [
            (
                Some("bytes 500-1999/5000"),
                Some(1500),
                "expected bytes 1000-1999/5000",
            ),
            (
                Some("bytes 1000-1998/5000"),
                Some(999),
                "expected bytes 1000-1999/5000",
            ),
            (None, Some(5000), "without a Content-Range"),
            (
                Some("bytes 1000-1999/*"),
                Some(1000),
                "expected bytes first-last/size",
            ),
            (Some("bytes */5000"), None, "expected bytes first-last/size"),
            (
                Some("bytes 1000-1999/5000"),
                Some(999),
                "Content-Length of 999: expected 1000",
            ),
            (
                Some("bytes 1000-1999/900"),
                Some(1000),
                "expected bytes first-last/size",
            ),
        ] {
            let e = check(RANGE, &answer(content_range, length)).unwrap_err();
            assert!(e.contains(why), "{content_range:?}: {e}");
        }
        let suffix = Some(ByteRange::Suffix { len: 10 });
        assert_eq!(
            check(suffix, &answer(Some("bytes 90-99/100"), Some(10)))
                .unwrap()
                .first,
            90
        );
        assert!(check(suffix, &answer(Some("bytes 80-89/100"), Some(10))).is_err());
        let nothing = Some(ByteRange::Suffix { len: 0 });
        let e = check(nothing, &answer(Some("bytes 90-99/100"), Some(10))).unwrap_err();
        assert!(e.contains("past the end of an object of 100 bytes"), "{e}");
    }

    #[test]
    fn a_whole_object_answer_must_say_its_length_and_carry_no_range() {
        assert_eq!(check(None, &answer(None, Some(0))).unwrap().last(), None);
        assert_eq!(check(None, &answer(None, Some(7))).unwrap().size, 7);
        assert!(
            check(None, &answer(None, None))
                .unwrap_err()
                .contains("without a Content-Length")
        );
        assert!(
            check(None, &answer(Some("bytes 0-6/7"), Some(7)))
                .unwrap_err()
                .contains("a part of it")
        );
        assert!(
            check(None, &answer(None, Some(-1)))
                .unwrap_err()
                .contains("Content-Length of -1")
        );
    }
}
