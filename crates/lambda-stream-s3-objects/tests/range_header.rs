//! The `Range` parser against a reference computation, and against junk.

use lambda_stream_s3_objects::{ByteRange, RangeHeader};
use proptest::prelude::*;

/// The bytes of an object of `size` bytes that `spec` selects, the slow and obvious way.
fn reference(spec: ByteRange, size: u64) -> Option<(u64, u64)> {
    let selected = |i: u64| match spec {
        ByteRange::FromTo { first, last } => first <= i && i <= last,
        ByteRange::From { first } => i >= first,
        ByteRange::Suffix { len } => size - i <= len,
    };
    let first = (0..size).find(|&i| selected(i))?;
    let last = (0..size).rev().find(|&i| selected(i))?;
    Some((first, last))
}

fn spec() -> impl Strategy<Value = ByteRange> {
    prop_oneof![
        (0u64..3000, 0u64..3000).prop_map(|(a, b)| ByteRange::FromTo {
            first: a.min(b),
            last: a.max(b)
        }),
        (0u64..3000).prop_map(|first| ByteRange::From { first }),
        (0u64..3000).prop_map(|len| ByteRange::Suffix { len }),
    ]
}

/// How a client might spell the header: any case for the unit, optional spaces around it.
fn spell(spec: ByteRange, upper: bool, pad: bool) -> String {
    let value = spec.header_value();
    let value = if upper {
        value.replacen("bytes", "BYTES", 1)
    } else {
        value
    };
    if pad { format!(" \t{value} ") } else { value }
}

proptest! {
    #[test]
    fn valid_ranges_agree_with_the_reference(spec in spec(), size in 0u64..2500, upper: bool, pad: bool) {
        let header = spell(spec, upper, pad);
        let parsed = RangeHeader::parse(header.as_bytes());
        prop_assert_eq!(parsed, RangeHeader::Single(spec));
        match (spec.resolve(size), reference(spec, size)) {
            (Ok(r), Some((first, last))) => {
                prop_assert_eq!((r.first, r.last, r.size), (first, last, size));
                prop_assert_eq!(r.len(), last - first + 1);
                prop_assert_eq!(r.content_range(), format!("bytes {first}-{last}/{size}"));
            }
            (Err(e), None) => prop_assert_eq!(e.content_range(), format!("bytes */{size}")),
            (ours, theirs) => prop_assert!(false, "{:?} vs reference {:?}", ours, theirs),
        }
    }

    #[test]
    fn several_ranges_are_ignored(specs in prop::collection::vec(spec(), 2..5)) {
        let set: Vec<String> = specs.iter().map(|s| s.header_value()["bytes=".len()..].to_owned()).collect();
        let header = format!("bytes={}", set.join(", "));
        prop_assert_eq!(RangeHeader::parse(header.as_bytes()), RangeHeader::Multiple);
    }

    #[test]
    /// Arbitrary bytes rarely even start with `bytes=`; the `range_header` fuzz target
    /// covers those, this covers the junk a parser meets after the unit.
    fn junk_after_bytes_never_panics(tail in "[0-9, \\-\\t]{0,24}", size in prop_oneof![0..64u64, any::<u64>()]) {
        let header = format!("bytes={tail}");
        if let Some(spec) = RangeHeader::parse(header.as_bytes()).single() {
            // Whatever was accepted prints back to itself.
            prop_assert_eq!(RangeHeader::parse(spec.header_value().as_bytes()).single(), Some(spec));
            // Whatever was accepted resolves within the object, or is unsatisfiable.
            match spec.resolve(size) {
                Ok(r) => prop_assert!(r.first <= r.last && r.last < size, "{:?} of {}", r, size),
                Err(e) => prop_assert_eq!(e.content_range(), format!("bytes */{size}")),
            }
        }
    }
}
