//! `PreludeDecoder` against every dialect, every way of cutting the stream, and junk.

mod common;

use std::sync::OnceLock;

use std::error::Error as _;

use bytes::Bytes;
use lambda_stream_prelude::{
    DELIMITER, DecodeErrorKind, Decoded, Dialect, MAX_PRELUDE_LEN, MetadataPrelude, PreludeDecoder,
    ReceivedPrelude,
};
use lambda_stream_testkit::data::{REFERENCE_SIZES, pattern};
use lambda_stream_testkit::strategy::chunk_sizes;
use proptest::prelude::*;

fn object() -> &'static Bytes {
    static OBJECT: OnceLock<Bytes> = OnceLock::new();
    OBJECT.get_or_init(|| pattern(REFERENCE_SIZES[2]))
}

/// Cuts `wire` (prelude, delimiter and the start of the body) by `sizes`, then the rest of
/// the body without copying it. Big bodies get chunks of at least 4 KiB so a case stays fast.
fn chunks(wire: &Bytes, rest: &Bytes, sizes: &[usize]) -> Vec<Bytes> {
    let mut out = Vec::new();
    let mut cut = |data: &Bytes, floor: usize| {
        let mut at = 0;
        let mut i = out.len();
        while at < data.len() {
            let n = sizes[i % sizes.len()].max(floor).min(data.len() - at);
            out.push(data.slice(at..at + n));
            at += n;
            i += 1;
        }
    };
    cut(wire, 1);
    cut(rest, if rest.len() > 1 << 20 { 4096 } else { 1 });
    out
}

/// Feeds the chunks; returns the prelude and checks the body against `body` as it goes.
fn decode(chunks: Vec<Bytes>, body: &Bytes) -> Result<MetadataPrelude, String> {
    let mut decoder = PreludeDecoder::new();
    let mut prelude = None;
    let mut at = 0;
    let mut check = |bytes: &Bytes| -> Result<(), String> {
        if body.get(at..at + bytes.len()) != Some(&bytes[..]) {
            return Err(format!("body differs at byte {at}"));
        }
        at += bytes.len();
        Ok(())
    };
    for chunk in chunks {
        match decoder.decode(chunk).map_err(|e| e.to_string())? {
            Decoded::NeedMore if prelude.is_none() => {}
            Decoded::Prelude { prelude: p, body } if prelude.is_none() => {
                check(&body)?;
                prelude = Some(p);
            }
            Decoded::Body(bytes) if prelude.is_some() => check(&bytes)?,
            other => return Err(format!("unexpected {other:?}")),
        }
    }
    decoder.finish().map_err(|e| e.to_string())?;
    if at != body.len() {
        return Err(format!("body has {at} of {} bytes", body.len()));
    }
    let received = prelude.ok_or_else(|| "no prelude".to_owned())?;
    MetadataPrelude::try_from(received).map_err(|e| e.to_string())
}

fn wire_and_rest(p: &MetadataPrelude, dialect: Dialect, body: &Bytes) -> (Bytes, Bytes) {
    let head = body.len().min(64 * 1024);
    let mut wire = p.frames(dialect).unwrap().to_bytes().to_vec();
    wire.extend_from_slice(&body[..head]);
    (Bytes::from(wire), body.slice(head..))
}

/// Bytes shaped like a response stream gone wrong; see `junk_is_framed_exactly_and_never_panics`.
fn junk() -> impl Strategy<Value = Bytes> {
    const TOKENS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "\"",
        "\"statusCode\"",
        "\"headers\"",
        "\"cookies\"",
        "\"multiValueHeaders\"",
        "200",
        "-1",
        "\"x\"",
        "null",
        " ",
        "\u{fffd}",
    ];
    let head = prop_oneof![
        (
            common::prelude(),
            prop::sample::select(common::DIALECTS.to_vec())
        )
            .prop_map(|(p, d)| p.encode(d).unwrap().to_vec()),
        prop::collection::vec(prop::sample::select(TOKENS), 0..64)
            .prop_map(|t| t.concat().into_bytes()),
        // Past the limit, with or without a NUL in reach.
        (MAX_PRELUDE_LEN - 16..MAX_PRELUDE_LEN + 16).prop_map(|n| vec![b'x'; n]),
    ];
    let nuls = prop_oneof![Just(DELIMITER.len()), 0..=DELIMITER.len() + 1];
    let stray = prop::option::of(1u8..=255);
    let tail = prop::collection::vec(any::<u8>(), 0..64);
    (head, nuls, stray, tail).prop_map(|(mut wire, nuls, stray, tail)| {
        wire.extend(std::iter::repeat_n(0, nuls));
        wire.extend(stray);
        wire.extend(tail);
        Bytes::from(wire)
    })
}

proptest! {
    #[test]
    fn encode_then_decode_is_the_identity_up_to_the_dialect(
        p in common::prelude(),
        dialect in prop::sample::select(common::DIALECTS.to_vec()),
        size in prop::sample::select(vec![0, REFERENCE_SIZES[0], REFERENCE_SIZES[1], REFERENCE_SIZES[2]]),
        sizes in chunk_sizes(1 << 20),
    ) {
        let body = object().slice(..size);
        let (wire, rest) = wire_and_rest(&p, dialect, &body);
        let decoded = decode(chunks(&wire, &rest, &sizes), &body).map_err(TestCaseError::fail)?;
        prop_assert_eq!(ReceivedPrelude::from(decoded.clone()), p.normalize(dialect));
        // Decoding loses nothing the dialect carries: encoding again gives the same bytes.
        prop_assert_eq!(decoded.encode(dialect).unwrap(), p.encode(dialect).unwrap());
    }

    /// Junk that reaches every branch: a JSON-like head (a real prelude or token soup), a
    /// run of NULs that may stop short of eight, a stray byte, a tail. The framing outcome is
    /// predicted exactly from the bytes; JSON verdicts are checked against serde_json.
    #[test]
    fn junk_is_framed_exactly_and_never_panics(
        wire in junk(),
        sizes in chunk_sizes(4096),
    ) {
        let mut decoder = PreludeDecoder::new();
        let mut outcome = Ok(None);
        let mut body = Vec::new();
        for chunk in chunks(&wire, &Bytes::new(), &sizes) {
            match decoder.decode(chunk) {
                Ok(Decoded::NeedMore) => {}
                Ok(Decoded::Prelude { prelude, body: b }) => {
                    body.extend_from_slice(&b);
                    outcome = Ok(Some(prelude));
                }
                Ok(Decoded::Body(b)) => body.extend_from_slice(&b),
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        let outcome = outcome.and_then(|p| decoder.finish().map(|()| p));
        let limit = MAX_PRELUDE_LEN - DELIMITER.len();
        match wire.iter().position(|&b| b == 0).filter(|&at| at <= limit) {
            // No NUL where a delimiter may start: too large once past the limit, else short.
            None => {
                let e = outcome.unwrap_err();
                if wire.len() > limit {
                    prop_assert_eq!(e.kind(), &DecodeErrorKind::TooLarge { limit: MAX_PRELUDE_LEN });
                    prop_assert_eq!(e.offset(), limit);
                } else {
                    prop_assert_eq!(e.kind(), &DecodeErrorKind::Truncated);
                    prop_assert!(e.is_eof());
                }
            }
            Some(at) => match wire[at..].iter().take(DELIMITER.len()).position(|&b| b != 0) {
                // A NUL starts the delimiter: the first non-NUL of the eight is named.
                Some(k) => {
                    let e = outcome.unwrap_err();
                    prop_assert_eq!(e.kind(), &DecodeErrorKind::Delimiter { found: wire[at + k] });
                    prop_assert_eq!(e.offset(), at + k);
                }
                None if wire.len() < at + DELIMITER.len() => {
                    let e = outcome.unwrap_err();
                    prop_assert_eq!(e.kind(), &DecodeErrorKind::Truncated);
                }
                // A whole delimiter: the verdict is the JSON's, and the body is every byte after.
                None => {
                    let json = serde_json::from_slice::<serde_json::Value>(&wire[..at]);
                    match outcome {
                        Ok(prelude) => {
                            prop_assert!(prelude.is_some());
                            prop_assert!(json.is_ok_and(|v| v.is_object()), "accepted {:?}", &wire[..at]);
                            prop_assert_eq!(&body[..], &wire[at + DELIMITER.len()..]);
                        }
                        Err(e) => {
                            let json_error = matches!(e.kind(), DecodeErrorKind::Json { .. } | DecodeErrorKind::Invalid(_));
                            prop_assert!(json_error, "{:?}", e);
                        }
                    }
                }
            },
        }
    }

    #[test]
    fn sixteen_kib_without_a_delimiter_is_an_error(
        json_like in "[ -~]{16377,16400}",
        sizes in chunk_sizes(4096),
    ) {
        let wire = Bytes::from(json_like);
        let mut decoder = PreludeDecoder::new();
        let mut failed = None;
        for chunk in chunks(&wire, &Bytes::new(), &sizes) {
            if let Err(e) = decoder.decode(chunk) {
                failed = Some(e);
                break;
            }
        }
        let e = failed.expect("refused before the end of the input");
        prop_assert_eq!(e.kind(), &DecodeErrorKind::TooLarge { limit: MAX_PRELUDE_LEN });
    }
}

/// The Node.js example cut into three chunks at every pair of places.
#[test]
fn every_three_way_split_of_the_node_example() {
    let mut wire = br#"{"statusCode":200,"headers":{"Content-Type":"text/plain","Cache-control":"no-store"},"cookies":["testcookie=value"]}"#.to_vec();
    wire.extend_from_slice(&[0; 8]);
    wire.extend_from_slice(b"hello");
    let wire = Bytes::from(wire);
    let body = Bytes::from_static(b"hello");
    let expected = MetadataPrelude::builder()
        .header("Content-Type", "text/plain")
        .header("Cache-control", "no-store")
        .cookie("testcookie=value")
        .build()
        .unwrap();
    for i in 0..=wire.len() {
        for j in i..=wire.len() {
            let parts = vec![wire.slice(..i), wire.slice(i..j), wire.slice(j..)];
            assert_eq!(decode(parts, &body).unwrap(), expected, "split at {i}, {j}");
        }
    }
}

#[test]
fn lambda_runtime_arrays_and_rest_multi_values_are_read() {
    let wire = Bytes::from_static(
        b"{\"statusCode\":200,\"headers\":{\"vary\":[\"a\",\"b\"]},\"multiValueHeaders\":{\"X\":[\"1\",\"2\"]},\"cookies\":[]}\0\0\0\0\0\0\0\0",
    );
    let (p, body) = PreludeDecoder::decode_all(wire).unwrap();
    assert!(body.is_empty());
    assert_eq!(p.get_all("vary").collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(p.get_all("x").collect::<Vec<_>>(), ["1", "2"]);
}

/// What the Node.js runtime sends without complaint, and a strict decoder refuses: a DEL
/// byte, an escaped control byte, CR LF inside a value, a header name that is not a token,
/// a status past 599.
#[test]
fn the_default_decoder_reads_what_real_functions_send() {
    let cases: [(&str, &[u8]); 5] = [
        (
            "DEL in a value",
            b"{\"statusCode\":200,\"headers\":{\"x-del\":\"a\x7fb\"},\"cookies\":[]}",
        ),
        (
            "\\u0001 in a value",
            br#"{"statusCode":200,"headers":{"x-ctl":"a\u0001b"},"cookies":[]}"#,
        ),
        (
            "CR LF in a value",
            br#"{"statusCode":200,"headers":{"x-crlf":"a\r\nInjected: 1"},"cookies":[]}"#,
        ),
        (
            "a name that is not a token",
            br#"{"statusCode":200,"headers":{"bad name":"v"},"cookies":[]}"#,
        ),
        (
            "status 600",
            br#"{"statusCode":600,"headers":{},"cookies":["c=\u0002"]}"#,
        ),
    ];
    for (case, json) in cases {
        let mut wire = json.to_vec();
        wire.extend_from_slice(&[0; 8]);
        wire.extend_from_slice(b"the body");
        let (prelude, body) = PreludeDecoder::decode_all(Bytes::from(wire.clone()))
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(body, "the body", "{case}");
        // Read as sent, not sent again: a `ReceivedPrelude` has no encoder, and the
        // `MetadataPrelude` that has one is refused with the first problem.
        let refusal = prelude.check().unwrap_err();
        assert_eq!(
            MetadataPrelude::try_from(prelude).unwrap_err(),
            refusal,
            "{case}"
        );
        let mut strict = PreludeDecoder::new().strict();
        let e = strict.decode(Bytes::from(wire)).unwrap_err();
        assert!(
            matches!(e.kind(), DecodeErrorKind::Invalid(_)),
            "{case}: {e}"
        );
    }
    let (prelude, _) = PreludeDecoder::decode_all(Bytes::from_static(
        b"{\"statusCode\":600,\"headers\":{\"x-crlf\":\"a\\r\\nb\"}}\0\0\0\0\0\0\0\0",
    ))
    .unwrap();
    assert_eq!(prelude.status(), 600);
    assert_eq!(prelude.get("x-crlf"), Some("a\r\nb"));
    // A status `http` cannot hold is refused even leniently, with its value.
    let e = PreludeDecoder::decode_all(Bytes::from_static(b"{\"statusCode\":42}\0\0\0\0\0\0\0\0"))
        .unwrap_err();
    assert!(e.to_string().contains("prelude at byte"), "{e}");
    assert!(e.source().unwrap().to_string().contains("42"), "{e}");
}
