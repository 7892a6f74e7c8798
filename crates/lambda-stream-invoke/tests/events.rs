//! `InvokeResponse` and `InvokeBody` over scripted event streams: every split of the
//! prelude, empty and prelude-less bodies, and every way a stream can fail. Never a clean
//! end unless the function succeeded.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvokeWithResponseStreamResponseEvent as Event;
use aws_sdk_lambda::types::{InvokeResponseStreamUpdate, InvokeWithResponseStreamCompleteEvent};
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use lambda_stream_invoke::prelude::{CONTENT_TYPE, Dialect, MetadataPrelude, ReceivedPrelude};
use lambda_stream_invoke::{InvokeError, InvokeErrorKind, InvokeResponse};
use lambda_stream_testkit::data::pattern;
use lambda_stream_testkit::strategy::chunk_sizes;
use proptest::prelude::*;
use tokio::io::AsyncReadExt;

type Item = Result<Event, std::io::Error>;

fn chunk(bytes: Bytes) -> Item {
    Ok(Event::PayloadChunk(
        InvokeResponseStreamUpdate::builder()
            .payload(Blob::from_maybe_shared(bytes))
            .build(),
    ))
}

fn complete() -> Item {
    Ok(Event::InvokeComplete(
        InvokeWithResponseStreamCompleteEvent::builder().build(),
    ))
}

fn failed(code: &str) -> Item {
    Ok(Event::InvokeComplete(
        InvokeWithResponseStreamCompleteEvent::builder()
            .error_code(code)
            .error_details("it broke")
            .log_result("bG9nIHRhaWw=")
            .build(),
    ))
}

fn prelude() -> MetadataPrelude {
    MetadataPrelude::builder()
        .status(206)
        .header("Content-Type", "video/mp4")
        .cookie("k=v")
        .build()
        .unwrap()
}

/// `wire` cut by `sizes` into payload chunks, then `end`.
fn events(wire: &Bytes, sizes: &[usize], end: Vec<Item>) -> Vec<Item> {
    let mut out: Vec<Item> = lambda_stream_testkit::data::slices(wire, sizes)
        .into_iter()
        .map(chunk)
        .collect();
    out.extend(end);
    out
}

fn wire(body: &[u8]) -> Bytes {
    let mut wire = prelude()
        .frames(Dialect::FunctionUrl)
        .unwrap()
        .to_bytes()
        .to_vec();
    wire.extend_from_slice(body);
    Bytes::from(wire)
}

/// The prelude, the body bytes, and the error the body ended with, if any.
async fn run(
    events: Vec<Item>,
    content_type: Option<&str>,
) -> Result<(Option<ReceivedPrelude>, Vec<u8>, Option<InvokeError>), InvokeError> {
    let response = InvokeResponse::from_events(stream::iter(events), content_type).await?;
    let (prelude, mut body) = response.into_parts();
    let mut bytes = Vec::new();
    while let Some(item) = body.next().await {
        match item {
            Ok(b) => bytes.extend_from_slice(&b),
            Err(e) => {
                assert!(body.next().await.is_none(), "fused after the error");
                return Ok((prelude, bytes, Some(e)));
            }
        }
    }
    Ok((prelude, bytes, None))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_prelude_splits_off_at_any_cut(sizes in chunk_sizes(200)) {
        let body = pattern(5000);
        let wire = wire(&body);
        let (p, bytes, error) = rt()
            .block_on(run(events(&wire, &sizes, vec![complete()]), Some(CONTENT_TYPE)))
            .unwrap();
        prop_assert_eq!(p, Some(prelude().into()));
        prop_assert!(bytes == body[..]);
        prop_assert!(error.is_none());
    }
}

#[test]
fn every_single_byte_split_of_the_prelude() {
    let body = pattern(100);
    let wire = wire(&body);
    let prelude_len = wire.len() - body.len();
    for at in 1..prelude_len + 1 {
        let (p, bytes, error) = rt()
            .block_on(run(
                events(&wire, &[at, wire.len()], vec![complete()]),
                Some(CONTENT_TYPE),
            ))
            .unwrap();
        assert_eq!(p, Some(prelude().into()), "cut at {at}");
        assert!(bytes == body[..] && error.is_none(), "cut at {at}");
    }
}

#[test]
fn an_empty_body_and_a_prelude_less_response() {
    let (p, bytes, error) = rt()
        .block_on(run(
            events(&wire(b""), &[1000], vec![complete()]),
            Some(CONTENT_TYPE),
        ))
        .unwrap();
    assert_eq!(
        (p, bytes.len(), error.is_none()),
        (Some(prelude().into()), 0, true)
    );
    // Not an HTTP integration response: every byte is body, the NULs included.
    let raw = wire(b"tail");
    let (p, bytes, error) = rt()
        .block_on(run(
            events(&raw, &[7], vec![complete()]),
            Some("application/octet-stream"),
        ))
        .unwrap();
    assert!(p.is_none() && error.is_none());
    assert_eq!(bytes, raw);
}

#[test]
fn a_function_error_after_0_1_or_n_bytes_is_never_a_clean_end() {
    for n in [0usize, 1, 4000] {
        let body = pattern(n);
        let (_, bytes, error) = rt()
            .block_on(run(
                events(&wire(&body), &[300], vec![failed("Body.Truncated")]),
                Some(CONTENT_TYPE),
            ))
            .unwrap();
        let error = error.unwrap_or_else(|| panic!("{n}: a clean end"));
        assert_eq!(bytes.len(), n);
        assert_eq!(error.delivered(), n as u64);
        let InvokeErrorKind::Function {
            error_code,
            details,
            log_tail,
        } = error.kind()
        else {
            panic!("{n}: {error}");
        };
        assert_eq!(error_code, "Body.Truncated");
        assert_eq!(details.as_deref(), Some("it broke"));
        assert_eq!(log_tail.as_deref(), Some("log tail"));
    }
    // Before the prelude ended (a handler error): the response itself is the error.
    let e = rt()
        .block_on(run(vec![failed("App.NotFound")], Some(CONTENT_TYPE)))
        .unwrap_err();
    assert_eq!(e.error_code(), Some("App.NotFound"));
}

#[test]
fn a_stream_that_ends_without_invoke_complete_or_fails_is_an_error() {
    let body = pattern(2000);
    let (_, bytes, error) = rt()
        .block_on(run(
            events(&wire(&body), &[500], vec![]),
            Some(CONTENT_TYPE),
        ))
        .unwrap();
    assert_eq!(bytes.len(), 2000);
    assert!(matches!(error.unwrap().kind(), InvokeErrorKind::Incomplete));
    let broken = vec![Err(std::io::Error::other("connection reset"))];
    let (_, bytes, error) = rt()
        .block_on(run(
            events(&wire(&body), &[500], broken),
            Some(CONTENT_TYPE),
        ))
        .unwrap();
    let error = error.unwrap();
    assert_eq!(bytes.len(), 2000);
    assert!(
        matches!(error.kind(), InvokeErrorKind::Stream(_)),
        "{error}"
    );
    lambda_stream_testkit::errors::assert_says_each_thing_once(&error);
    assert!(lambda_stream_testkit::errors::chain(&error).ends_with("connection reset"));
    // Cut inside the prelude.
    let e = rt()
        .block_on(run(
            events(&wire(&body), &[10], vec![])
                .into_iter()
                .take(2)
                .collect(),
            Some(CONTENT_TYPE),
        ))
        .unwrap_err();
    assert!(matches!(e.kind(), InvokeErrorKind::Incomplete), "{e}");
}

#[test]
fn the_async_read_fails_too() {
    let body = pattern(3000);
    let rt = rt();
    let response = rt
        .block_on(InvokeResponse::from_events(
            stream::iter(events(&wire(&body), &[700], vec![failed("Body.Failed")])),
            Some(CONTENT_TYPE),
        ))
        .unwrap();
    let mut reader = response.into_body().into_async_read();
    let mut read = Vec::new();
    let e = rt.block_on(reader.read_to_end(&mut read)).unwrap_err();
    assert_eq!(read, body);
    let inner = e
        .get_ref()
        .and_then(|e| e.downcast_ref::<InvokeError>())
        .unwrap();
    assert_eq!(inner.error_code(), Some("Body.Failed"));
}
