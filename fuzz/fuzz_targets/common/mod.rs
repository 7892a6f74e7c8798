//! What the two prelude decoder targets share: the input layout and a decode loop that
//! feeds the decoder cut by cut.

use bytes::Bytes;
use lambda_stream_prelude::{Decoded, DecodeError, PreludeDecoder, ReceivedPrelude};

/// Input layout: one byte `k` (taken modulo 16), then `k` chunk sizes of one byte each
/// (used in turn, cycled, 0 meaning 1), then the stream. `k = 0` feeds the stream whole, so a
/// seed is a 0 byte followed by a real response stream.
pub fn split(input: &[u8]) -> (&[u8], &[u8]) {
    let k = input.first().map_or(0, |&k| usize::from(k % 16));
    let cuts_end = (1 + k).min(input.len());
    (input.get(1..cuts_end).unwrap_or(&[]), input.get(cuts_end..).unwrap_or(&[]))
}

/// Feeds `data` to `decoder` in pieces of the sizes in `cuts` (whole when empty): the
/// prelude and every body byte, or the first error.
pub fn decode(
    mut decoder: PreludeDecoder,
    data: &Bytes,
    cuts: &[u8],
) -> Result<(ReceivedPrelude, Vec<u8>), DecodeError> {
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
