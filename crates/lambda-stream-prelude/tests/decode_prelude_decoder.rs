//! `PreludeDecoder` against every dialect, every way of cutting the stream, and junk.

mod common;

use std::sync::OnceLock;

use std::error::Error as _;

use bytes::Bytes;
use lambda_stream_prelude::{
    DecodeErrorKind, Decoded, Dialect, MAX_PRELUDE_LEN, MetadataPrelude, PreludeDecoder,
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
    prelude.ok_or_else(|| "no prelude".to_owned())
}

fn wire_and_rest(p: &MetadataPrelude, dialect: Dialect, body: &Bytes) -> (Bytes, Bytes) {
    let head = body.len().min(64 * 1024);
    let mut wire = p.frames(dialect).unwrap().to_bytes().to_vec();
    wire.extend_from_slice(&body[..head]);
    (Bytes::from(wire), body.slice(head..))
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
        prop_assert_eq!(&decoded, &p.normalize(dialect));
        // Decoding loses nothing the dialect carries: encoding again gives the same bytes.
        prop_assert_eq!(decoded.encode(dialect).unwrap(), p.encode(dialect).unwrap());
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..20_000),
        sizes in chunk_sizes(4096),
    ) {
        let wire = Bytes::from(bytes);
        let mut decoder = PreludeDecoder::new();
        let mut outcome = Ok(());
        for chunk in chunks(&wire, &Bytes::new(), &sizes) {
            match decoder.decode(chunk) {
                Ok(_) => {}
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        let outcome = outcome.and_then(|()| decoder.finish());
        let first_nul = wire.iter().position(|&b| b == 0);
        if first_nul.is_none_or(|at| at > MAX_PRELUDE_LEN - 8) && wire.len() > MAX_PRELUDE_LEN - 8 {
            let e = outcome.unwrap_err();
            prop_assert_eq!(e.kind(), &DecodeErrorKind::TooLarge { limit: MAX_PRELUDE_LEN });
            prop_assert_eq!(e.offset(), MAX_PRELUDE_LEN - 8);
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
        assert!(!prelude.is_checked(), "{case}");
        // Read as sent, not sent again: the encoder stays strict.
        let refusal = prelude.check().unwrap_err();
        assert_eq!(
            prelude.encode(Dialect::FunctionUrl).unwrap_err(),
            refusal,
            "{case}"
        );
        assert!(prelude.to_header_map().is_err(), "{case}");
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
