//! Arbitrary bytes as an invocation's event, through the conversion the runtime uses.
//!
//! Checks that it never panics (the fuzzer's panic hook aborts even on a panic that the
//! conversion's own containment would catch, so `lambda_http` is never left to panic on an
//! event the checks let through), and that every event gets an answer: a request whose URI
//! `http` reads back, a `400` with a reason, or no HTTP request with a reason.
#![no_main]

use lambda_stream_runtime::{EventErrorKind, request_from_event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|event: &[u8]| {
    match request_from_event(event) {
        Ok(request) => {
            let uri = request.uri().to_string();
            assert_eq!(uri.parse::<http::Uri>().ok().as_ref(), Some(request.uri()));
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            match e.kind() {
                EventErrorKind::BadRequest => assert_eq!(e.status(), Some(http::StatusCode::BAD_REQUEST)),
                _ => assert_eq!(e.status(), None),
            }
        }
    }
});
