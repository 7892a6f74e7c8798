//! `ResponseStream`: frame order, errors and the budget, for any chunking.

use std::sync::OnceLock;

use bytes::Bytes;
use futures_util::StreamExt;
use lambda_stream::{
    DELIMITER, MetadataPrelude, ResponseBody, ResponseConfig, ResponseStream, StreamError,
};
use lambda_stream_testkit::data::{REFERENCE_SIZES, pattern};
use lambda_stream_testkit::strategy::{chunk_sizes, pendings};
use lambda_stream_testkit::{Script, ScriptedSource};
use proptest::prelude::*;

fn object() -> &'static Bytes {
    static OBJECT: OnceLock<Bytes> = OnceLock::new();
    OBJECT.get_or_init(|| pattern(REFERENCE_SIZES[2]))
}

fn prelude() -> MetadataPrelude {
    MetadataPrelude::builder()
        .status(200)
        .header("Content-Type", "application/octet-stream")
        .cookie("k=v")
        .build()
        .unwrap()
}

/// Everything a stream yields, in order.
fn run(stream: ResponseStream<ScriptedSource>) -> Vec<Result<Bytes, StreamError>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(stream.collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn prelude_delimiter_body_then_end_or_one_error(
        size in prop::sample::select(REFERENCE_SIZES.to_vec()),
        sizes in chunk_sizes(1 << 20),
        pend in pendings(),
        error in prop::option::of((0u8..4, any::<prop::sample::Index>())),
    ) {
        let sizes: Vec<usize> = sizes.into_iter().map(|s| s.max(53)).collect();
        let data = object().slice(..size);
        // The failure falls within this object: before the first byte, on the last, after
        // the last, or anywhere.
        let error = error.map(|(edge, anywhere)| match edge {
            0 => 0,
            1 => size - 1,
            2 => size,
            _ => anywhere.index(size + 1),
        });
        let mut script = Script::new(data.clone()).chunk_sizes(sizes).pendings(pend);
        if let Some(at) = error {
            script = script.error_at(at);
        }
        let (source, probe) = script.build();
        let prelude = prelude();
        let items = run(ResponseStream::new(prelude.clone(), source).unwrap());
        let json = prelude.encode(lambda_stream::Dialect::FunctionUrl).unwrap();
        prop_assert_eq!(items[0].as_ref().unwrap(), &json);
        prop_assert_eq!(&items[1].as_ref().unwrap()[..], &DELIMITER[..]);
        let mut body = Vec::new();
        let mut errors = 0;
        for item in &items[2..] {
            match item {
                Ok(frame) => {
                    prop_assert_eq!(errors, 0, "a byte after the error");
                    prop_assert!(!frame.is_empty());
                    body.extend_from_slice(frame);
                }
                Err(e) => {
                    errors += 1;
                    prop_assert_eq!(e.error_type(), "Body.Failed");
                }
            }
        }
        let end = error.map_or(size, |at| at.min(size));
        prop_assert!(body == data[..end]);
        prop_assert_eq!(errors, usize::from(error.is_some()));
        prop_assert_eq!(probe.polls_after_end(), 0);
    }
}

/// A body of `body_len` bytes in 1000-byte chunks with the budget set so that the whole
/// response is `limit_delta` bytes off the limit.
fn budget_case(body_len: usize, limit_delta: i64) -> (Vec<Result<Bytes, StreamError>>, u64) {
    let prelude = prelude();
    let head = (prelude
        .encode(lambda_stream::Dialect::FunctionUrl)
        .unwrap()
        .len()
        + DELIMITER.len()) as i64;
    let limit = (head + body_len as i64 + limit_delta) as u64;
    let (source, _) = Script::new(object().slice(..body_len))
        .chunk_sizes([1000])
        .build();
    let config = ResponseConfig::default().with_max_bytes(limit);
    (
        run(ResponseStream::with_config(&prelude, source, &config).unwrap()),
        limit,
    )
}

#[test]
fn the_budget_holds_at_the_exact_boundary() {
    let json = prelude()
        .encode(lambda_stream::Dialect::FunctionUrl)
        .unwrap();
    for body_len in [0usize, 1, 999, 1000, 1001, 5000, 100_000] {
        let mut whole = json.to_vec();
        whole.extend_from_slice(&DELIMITER);
        whole.extend_from_slice(&object()[..body_len]);
        // Budget one short of the response, exactly it, one over.
        for delta in [-1i64, 0, 1] {
            if body_len == 0 && delta < 0 {
                continue;
            }
            let (items, limit) = budget_case(body_len, delta);
            let mut sent = Vec::new();
            let mut errors = Vec::new();
            for item in &items {
                match item {
                    Ok(frame) if errors.is_empty() => sent.extend_from_slice(frame),
                    Ok(_) => panic!("{body_len}/{delta}: a frame after the error"),
                    Err(e) => errors.push(e),
                }
            }
            if delta < 0 {
                // Every byte that fits, in order, then exactly this error.
                assert!(
                    sent[..] == whole[..limit as usize],
                    "{body_len}/{delta}: {} of {limit} bytes, or not these bytes",
                    sent.len()
                );
                assert_eq!(errors.len(), 1, "{body_len}/{delta}");
                assert_eq!(errors[0].error_type(), "Response.TooLarge");
                assert_eq!(
                    errors[0].message(),
                    format!(
                        "response too large: expected at most {limit} bytes (prelude included), \
                         the body had more; sent the first {limit}"
                    )
                );
                let typed = errors[0].source_ref::<lambda_stream::ResponseTooLarge>();
                assert_eq!(typed.map(|t| t.limit()), Some(limit));
            } else {
                // The whole response, in order, and no error.
                assert!(errors.is_empty(), "{body_len}/{delta}: {errors:?}");
                assert!(
                    sent == whole,
                    "{body_len}/{delta}: {} of {} bytes, or not these bytes",
                    sent.len(),
                    whole.len()
                );
            }
        }
    }
}

#[test]
fn a_prelude_over_the_budget_sends_nothing_of_the_body() {
    let (source, probe) = Script::new(object().slice(..100)).build();
    let items = run(ResponseStream::with_config(
        &prelude(),
        source,
        &ResponseConfig::default().with_max_bytes(10),
    )
    .unwrap());
    // Not a cut prelude: nothing but the error.
    assert_eq!(items.len(), 1);
    assert!(
        items[0]
            .as_ref()
            .is_err_and(|e| e.error_type() == "Response.TooLarge")
    );
    assert_eq!(probe.polls(), 0, "the body was never read");
}

#[test]
fn an_empty_body_still_sends_the_prelude_and_raw_sends_none() {
    let (source, _) = Script::new(Bytes::new()).build();
    let items = run(ResponseStream::new(prelude(), source).unwrap());
    assert_eq!(items.len(), 2);
    let (source, _) = Script::new(object().slice(..10)).build();
    let items = run(ResponseStream::raw(source, &ResponseConfig::default()));
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].as_ref().unwrap(), &object().slice(..10));
}

#[test]
fn stats_count_bytes_and_the_first_body_byte() {
    let (source, _) = Script::new(object().slice(..50_000))
        .chunk_sizes([7000])
        .build();
    let stream = ResponseStream::new(prelude(), source).unwrap();
    let stats = stream.stats().clone();
    assert_eq!(stats.time_to_first_byte(), None);
    let items = run(stream);
    let total: u64 = items.iter().map(|i| i.as_ref().unwrap().len() as u64).sum();
    assert_eq!(stats.bytes_sent(), total);
    assert_eq!(stats.body_bytes_sent(), 50_000);
    assert!(stats.time_to_first_byte().is_some());
    assert!(stats.is_finished());
}

#[tokio::test]
async fn response_body_is_the_body_alone_and_ends_with_its_error() {
    use http_body_util::BodyExt;
    let (failing, probe) = Script::new(object().slice(..5000))
        .chunk_sizes([1000])
        .error_at(3000)
        .build();
    let mut body = ResponseBody::new(failing);
    let mut data = Vec::new();
    let error = loop {
        match body.frame().await {
            Some(Ok(frame)) => data.extend_from_slice(&frame.into_data().unwrap()),
            Some(Err(e)) => break e,
            None => panic!("a clean end after an error"),
        }
    };
    // No prelude in it: the body's bytes, exactly, up to the failure.
    assert_eq!(data, object().slice(..3000));
    // The scripted source's error names no cause: never its Rust type name.
    assert_eq!(error.error_type(), "Body.Failed");
    assert!(
        error
            .message()
            .contains("scripted source failed after 3000 bytes"),
        "{error}"
    );
    assert!(body.frame().await.is_none());
    assert!(http_body::Body::is_end_stream(&body));
    assert_eq!(
        probe.polls_after_end(),
        0,
        "the source was not polled after its error"
    );
}
