//! A harness that drives a byte stream by hand and checks what comes out as it goes.
#![allow(dead_code, unreachable_pub)]

use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_core::Stream;
use lambda_stream_testkit::data::{REFERENCE_SIZES, pattern};
use lambda_stream_testkit::heap::{self, HeapStats};
use lambda_stream_testkit::{Probe, ScriptError};

/// The 13.8 MB object; smaller sizes are prefixes of it.
pub fn object() -> &'static Bytes {
    static OBJECT: OnceLock<Bytes> = OnceLock::new();
    OBJECT.get_or_init(|| pattern(REFERENCE_SIZES[2]))
}

/// One frame as the harness saw it.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub len: usize,
    /// The source returned `Pending` during the poll that produced this frame.
    pub after_pending: bool,
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// Bytes delivered, all checked against the expected data as they came.
    pub delivered: usize,
    /// The error, if the stream ended with one.
    pub error: Option<ScriptError>,
    pub heap: HeapStats,
    pub polls_after_end: usize,
    pub max_frame: usize,
    pub frames: usize,
}

/// Polls `stream` to its end with a no-op waker (the scripted source wakes itself), checking
/// each frame against `expected`, handing each to `check(previous, is_last)` once it is
/// known whether it was the last data frame, and measuring the heap of the whole run.
pub fn drive<S>(
    stream: S,
    expected: &[u8],
    probe: &Probe,
    mut check: impl FnMut(Frame, bool),
) -> Outcome
where
    S: Stream<Item = Result<Bytes, ScriptError>>,
{
    let (outcome, heap) = heap::measure(|| {
        let mut stream = pin!(stream);
        let mut cx = Context::from_waker(Waker::noop());
        let mut delivered = 0;
        let mut previous: Option<Frame> = None;
        let mut max_frame = 0;
        let mut frames = 0;
        let error = loop {
            let pendings = probe.pendings();
            match stream.as_mut().poll_next(&mut cx) {
                Poll::Pending => continue,
                Poll::Ready(Some(Ok(frame))) => {
                    assert!(!frame.is_empty(), "empty frame after {delivered} bytes");
                    assert_eq!(
                        &frame[..],
                        &expected[delivered..delivered + frame.len()],
                        "bytes differ in the frame at {delivered}"
                    );
                    delivered += frame.len();
                    max_frame = max_frame.max(frame.len());
                    frames += 1;
                    let this = Frame {
                        len: frame.len(),
                        after_pending: probe.pendings() > pendings,
                    };
                    if let Some(prev) = previous.replace(this) {
                        check(prev, false);
                    }
                }
                Poll::Ready(Some(Err(e))) => break Some(e),
                Poll::Ready(None) => break None,
            }
        };
        if let Some(last) = previous {
            check(last, true);
        }
        // Fused: nothing more, and the source is left alone.
        assert!(matches!(
            stream.as_mut().poll_next(&mut cx),
            Poll::Ready(None)
        ));
        assert!(matches!(
            stream.as_mut().poll_next(&mut cx),
            Poll::Ready(None)
        ));
        (delivered, error, max_frame, frames)
    });
    let (delivered, error, max_frame, frames) = outcome;
    Outcome {
        delivered,
        error,
        heap,
        polls_after_end: probe.polls_after_end(),
        max_frame,
        frames,
    }
}
