//! The default, lenient `PreludeDecoder` on arbitrary bytes cut at arbitrary places.
//!
//! Checks that it never panics, that the outcome does not depend on how the bytes were cut,
//! that the body comes out byte-exact, that it accepts whatever the strict decoder accepts
//! (the same prelude), and that a prelude it reads is sendable exactly when it passes the
//! strict checks.
#![no_main]

use bytes::Bytes;
use lambda_stream_prelude::{Decoded, DecodeError, Dialect, MetadataPrelude, PreludeDecoder, PreludeError};
use libfuzzer_sys::fuzz_target;

/// As in `prelude_decode`: one byte `k` (modulo 16), `k` chunk sizes, then the stream.
fn split(input: &[u8]) -> (&[u8], &[u8]) {
    let k = input.first().map_or(0, |&k| usize::from(k % 16));
    let cuts_end = (1 + k).min(input.len());
    (input.get(1..cuts_end).unwrap_or(&[]), input.get(cuts_end..).unwrap_or(&[]))
}

fn decode(
    mut decoder: PreludeDecoder,
    data: &Bytes,
    cuts: &[u8],
) -> Result<(MetadataPrelude, Vec<u8>), DecodeError> {
    let mut prelude = None;
    let mut body = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < data.len() {
        let n = match cuts.len() {
            0 => data.len() - at,
            len => usize::from(cuts[i % len]).max(1).min(data.len() - at),
        };
        i += 1;
        match decoder.decode(data.slice(at..at + n))? {
            Decoded::NeedMore => assert!(prelude.is_none()),
            Decoded::Prelude { prelude: p, body: b } => {
                assert!(prelude.replace(p).is_none());
                body.extend_from_slice(&b);
            }
            Decoded::Body(b) => {
                assert!(prelude.is_some());
                body.extend_from_slice(&b);
            }
        }
        at += n;
    }
    decoder.finish()?;
    Ok((prelude.expect("finish succeeded, so the prelude was decoded"), body))
}

fuzz_target!(|input: &[u8]| {
    let (cuts, data) = split(input);
    let data = Bytes::copy_from_slice(data);
    let whole = decode(PreludeDecoder::new(), &data, &[]);
    let cut = decode(PreludeDecoder::new(), &data, cuts);
    assert_eq!(whole, cut);
    let strict = decode(PreludeDecoder::new().strict(), &data, &[]);
    if let Ok(strict) = &strict {
        // Lenient accepts what strict accepts, and reads the same.
        assert_eq!(whole.as_ref().ok(), Some(strict));
    }
    if let Ok((prelude, body)) = whole {
        let start = data.windows(8).position(|w| w == [0u8; 8]).expect("a delimiter") + 8;
        assert_eq!(body, &data[start..]);
        assert_eq!(prelude.is_checked(), prelude.check().is_ok());
        match prelude.encode(Dialect::FunctionUrl) {
            Ok(_) => assert!(prelude.is_checked()),
            Err(PreludeError::TooLarge { .. }) => assert!(prelude.is_checked()),
            Err(e) => {
                assert!(!prelude.is_checked(), "a checked prelude failed to encode: {e}");
                assert!(strict.is_err(), "strict accepted what cannot be sent");
            }
        }
    }
});
