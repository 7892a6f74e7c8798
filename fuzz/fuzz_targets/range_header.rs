//! The HTTP `Range` and `Content-Range` parsers on arbitrary bytes.
//!
//! Checks that parsing never panics, that an accepted range prints back to itself, that it
//! resolves inside the object (sized by the input's first 8 bytes) or is unsatisfiable
//! exactly when the reference computation selects no byte, and that the `Content-Range` of
//! the answer parses back to the same range. An accepted `Content-Range` prints back to
//! itself and lies inside its size.
#![no_main]

use lambda_stream_s3_objects::{ByteRange, ContentRange, RangeHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let (size, header) = match input.split_first_chunk::<8>() {
        Some((size, rest)) => (u64::from_le_bytes(*size), rest),
        None => (0, input),
    };
    if let Ok(text) = std::str::from_utf8(header)
        && let Some(content_range) = ContentRange::parse(text)
    {
        assert_eq!(ContentRange::parse(&content_range.to_string()), Some(content_range));
        if let ContentRange::Satisfied { first, last, size } = content_range {
            assert!(first <= last && size.is_none_or(|size| last < size));
        }
    }
    let parsed = RangeHeader::parse(header);
    let Some(spec) = parsed.single() else {
        return;
    };
    assert_eq!(RangeHeader::parse(spec.header_value().as_bytes()), parsed);
    let selects_something = size > 0
        && match spec {
            ByteRange::FromTo { first, .. } | ByteRange::From { first } => first < size,
            ByteRange::Suffix { len } => len > 0,
        };
    match spec.resolve(size) {
        Ok(r) => {
            assert!(selects_something);
            assert!(r.first <= r.last && r.last < size && r.size == size);
            if let ByteRange::Suffix { len } = spec {
                assert_eq!(r.len(), len.min(size));
            }
            assert_eq!(
                ContentRange::parse(&r.content_range()),
                Some(ContentRange::from(r))
            );
        }
        Err(e) => {
            assert!(!selects_something);
            assert_eq!(e.size, size);
            assert_eq!(
                ContentRange::parse(&e.content_range()),
                Some(ContentRange::Unsatisfied { size })
            );
        }
    }
});
