//! The HTTP `Range` parser on arbitrary bytes.
//!
//! Checks that parsing never panics, that an accepted range prints back to itself, and that
//! it resolves inside the object (sized by the input's first 8 bytes) or is unsatisfiable
//! exactly when the reference computation selects no byte.
#![no_main]

use lambda_stream_s3::{ByteRange, RangeHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let (size, header) = match input.split_first_chunk::<8>() {
        Some((size, rest)) => (u64::from_le_bytes(*size), rest),
        None => (0, input),
    };
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
        }
        Err(e) => {
            assert!(!selects_something);
            assert_eq!(e.size, size);
        }
    }
});
