//! The strict `PreludeDecoder` on arbitrary bytes cut at arbitrary places.
//!
//! Checks that it never panics, that the outcome does not depend on how the bytes were cut,
//! that the body comes out byte-exact, and that a decoded prelude encodes and decodes again
//! to its normalized self.
#![no_main]

use bytes::Bytes;
use lambda_stream_prelude::{Decoded, DecodeError, Dialect, MetadataPrelude, PreludeDecoder, PreludeError};
use libfuzzer_sys::fuzz_target;

/// Input layout: one byte `k` (taken modulo 16), then `k` chunk sizes of one byte each
/// (used in turn, cycled, 0 meaning 1), then the stream. `k = 0` feeds the stream whole, so a
/// seed is a 0 byte followed by a real response stream.
fn split(input: &[u8]) -> (&[u8], &[u8]) {
    let k = input.first().map_or(0, |&k| usize::from(k % 16));
    let cuts_end = (1 + k).min(input.len());
    (input.get(1..cuts_end).unwrap_or(&[]), input.get(cuts_end..).unwrap_or(&[]))
}

fn decode(data: &Bytes, cuts: &[u8]) -> Result<(MetadataPrelude, Vec<u8>), DecodeError> {
    let mut decoder = PreludeDecoder::new().strict();
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
    let whole = decode(&data, &[]);
    let cut = decode(&data, cuts);
    // Cutting the stream differently never changes the outcome (errors included).
    assert_eq!(whole, cut);
    if let Ok((prelude, body)) = whole {
        // The body is exactly what follows the first delimiter.
        let start = data.windows(8).position(|w| w == [0u8; 8]).expect("a delimiter") + 8;
        assert_eq!(body, &data[start..]);
        for dialect in [Dialect::FunctionUrl, Dialect::ApiGatewayRest, Dialect::LambdaRuntime] {
            match prelude.frames(dialect) {
                Ok(frames) => {
                    let mut strict = PreludeDecoder::new().strict();
                    let again = match strict.decode(frames.to_bytes()).expect("own output decodes") {
                        Decoded::Prelude { prelude, body } => {
                            assert!(body.is_empty());
                            prelude
                        }
                        other => panic!("own output is a whole prelude: {other:?}"),
                    };
                    let rest = bytes::Bytes::new();
                    assert!(rest.is_empty());
                    assert_eq!(again, prelude.normalize(dialect));
                }
                Err(PreludeError::TooLarge { .. }) => {}
                Err(e) => panic!("a decoded prelude failed to encode: {e}"),
            }
        }
    }
});
