//! `split_prelude` over scripted sources: chunkings, `Pending`, errors and early ends.

use bytes::Bytes;
use futures_util::StreamExt;
use lambda_stream_prelude::{Dialect, MetadataPrelude, SplitError, split_prelude};
use lambda_stream_testkit::data::{REFERENCE_SIZES, pattern};
use lambda_stream_testkit::strategy::{chunk_sizes, pendings};
use lambda_stream_testkit::{Script, ScriptError};
use proptest::prelude::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn wire(body: &[u8]) -> (MetadataPrelude, Bytes) {
    let prelude = MetadataPrelude::builder()
        .status(206)
        .header("Content-Range", "bytes 0-9/100")
        .cookie("k=v")
        .build()
        .unwrap();
    let mut wire = prelude
        .frames(Dialect::FunctionUrl)
        .unwrap()
        .to_bytes()
        .to_vec();
    wire.extend_from_slice(body);
    (prelude, Bytes::from(wire))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn body_after_the_prelude_is_byte_exact(sizes in chunk_sizes(1 << 20), pend in pendings()) {
        let body = pattern(REFERENCE_SIZES[0]);
        let (expected, wire) = wire(&body);
        let (source, probe) = Script::new(wire).chunk_sizes(sizes).pendings(pend).build();
        let (prelude, rest) = runtime().block_on(async {
            let (prelude, rest) = split_prelude(source).await.unwrap();
            let rest: Vec<Bytes> = rest.map(|c| c.unwrap()).collect().await;
            (prelude, rest)
        });
        prop_assert_eq!(prelude, expected);
        prop_assert!(rest.iter().all(|c| !c.is_empty()));
        prop_assert_eq!(rest.concat(), body.to_vec());
        prop_assert_eq!(probe.polls_after_end(), 0);
    }

    #[test]
    fn errors_are_reported_where_they_happen(at in 0usize..200, sizes in chunk_sizes(64)) {
        let (_, wire) = wire(&pattern(100));
        let prelude_len = wire.len() - 100;
        let (source, probe) = Script::new(wire).chunk_sizes(sizes).error_at(at).build();
        runtime().block_on(async {
            match split_prelude(source).await {
                Err(SplitError::Source(e)) => assert!(at < prelude_len && e.offset() == at),
                Ok((_, mut rest)) => {
                    assert!(at >= prelude_len);
                    let mut n = 0;
                    let err: ScriptError = loop {
                        match rest.next().await {
                            Some(Ok(c)) => n += c.len(),
                            Some(Err(e)) => break e,
                            None => panic!("clean end after an error"),
                        }
                    };
                    assert_eq!(prelude_len + n, err.offset());
                    assert!(rest.next().await.is_none());
                    assert!(rest.next().await.is_none());
                }
                Err(SplitError::Decode(e)) => panic!("{e}"),
            }
        });
        prop_assert_eq!(probe.polls_after_end(), 0);
    }
}

#[test]
fn a_stream_that_ends_inside_the_prelude_is_truncated() {
    let (_, wire) = wire(b"");
    for cut in [0, 1, wire.len() - 8, wire.len() - 1] {
        let (source, _) = Script::new(wire.clone())
            .chunk_sizes([3])
            .truncate_at(cut)
            .build();
        let e = match runtime().block_on(split_prelude(source)) {
            Err(SplitError::Decode(e)) => e,
            other => panic!("{:?}", other.map(|(p, _)| p)),
        };
        assert!(e.is_eof(), "{e}");
        assert_eq!(e.offset(), cut);
        assert!(e.to_string().contains(&format!("after {cut} bytes")), "{e}");
    }
}

#[test]
fn an_empty_body_gives_an_empty_stream() {
    let (expected, wire) = wire(b"");
    let (source, _) = Script::new(wire).build();
    runtime().block_on(async {
        let (prelude, mut rest) = split_prelude(source).await.unwrap();
        assert_eq!(prelude, expected);
        assert!(rest.next().await.is_none());
    });
}

#[test]
fn errors_say_their_own_thing_once() {
    use lambda_stream_testkit::errors::{assert_says_each_thing_once, chain};
    let rt = runtime();
    // The source fails inside the prelude.
    let (_, bytes) = wire(b"body");
    let (source, _) = Script::new(bytes).error_at(10).build();
    let e = rt.block_on(split_prelude(source)).unwrap_err();
    assert!(matches!(e, SplitError::Source(_)));
    assert_says_each_thing_once(&e);
    println!("SplitError::Source: {}", chain(&e));
    assert!(
        chain(&e).ends_with("scripted source failed after 10 bytes"),
        "{}",
        chain(&e)
    );
    // Metadata a strict decoder refuses: a header value with a control byte.
    let bad = Bytes::from_static(
        b"{\"statusCode\":200,\"headers\":{\"x\":\"a\\u0001b\"},\"cookies\":[]}\0\0\0\0\0\0\0\0",
    );
    let (source, _) = Script::new(bad).build();
    let e = rt
        .block_on(lambda_stream_prelude::SplitPrelude::new(
            source,
            lambda_stream_prelude::PreludeDecoder::new().strict(),
        ))
        .unwrap_err();
    assert!(matches!(e, SplitError::Decode(_)));
    assert_says_each_thing_once(&e);
    println!("SplitError::Decode (strict): {}", chain(&e));
}
