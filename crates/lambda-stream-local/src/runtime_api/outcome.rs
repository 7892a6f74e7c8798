//! What arrives of an invocation's answer: its kind, its updates as they come, and the
//! whole outcome.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use tokio::sync::mpsc;

/// How many body frames an [`Invocation`] buffers before the emulator stops reading the
/// function's request (backpressure, as a slow caller would apply).
pub const UPDATE_BUFFER: usize = 16;

/// What the emulator does with the response request of one invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Behaviour {
    /// Read it as fast as it comes and answer `202 Accepted`.
    #[default]
    Accept,
    /// Read nothing of its body for this long, then as [`Accept`](Self::Accept).
    StallReading(Duration),
    /// Answer with this status at once, without reading the body, and close the connection.
    Answer(StatusCode),
    /// Read this many body bytes, then reset the connection (TCP RST).
    ResetAfter(u64),
}

/// The kind of request a function answered an invocation with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `POST .../response`.
    Response,
    /// `POST .../error`.
    Error,
}

/// What arrives of an invocation's answer, in order: [`Started`](Self::Started), then data
/// and trailers, then [`End`](Self::End).
#[derive(Debug, Clone)]
pub enum Update {
    /// The function started its answer.
    Started {
        /// Response or error.
        kind: Kind,
        /// The request's headers (as `http` stores them: names lowercase).
        headers: HeaderMap,
    },
    /// A piece of the body, de-chunked, as hyper read it.
    Data(Bytes),
    /// The request's trailers.
    Trailers(HeaderMap),
    /// How many body bytes arrived, sent before [`End`](Self::End) instead of the data
    /// when the emulator was started with [`Options::deliver_data`](super::Options::deliver_data) off.
    Counted(u64),
    /// The request is over: `complete` if its body ended properly (the last chunk, for a
    /// chunked one), false if the connection broke, was reset, or the emulator refused it.
    End {
        /// Whether the body ended properly.
        complete: bool,
    },
}

/// Everything that arrived of one invocation's answer.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Response or error.
    pub kind: Kind,
    /// The request's headers (names lowercase).
    pub headers: HeaderMap,
    /// The body, de-chunked.
    pub body: Bytes,
    /// The trailers, if any.
    pub trailers: HeaderMap,
    /// Whether the body ended properly.
    pub complete: bool,
    /// The request exactly as it came off the socket, from its request line to the end of
    /// its trailers (empty when recording is off, and cut short if the connection broke).
    pub raw: Bytes,
}

impl Outcome {
    /// The error the answer reported, as `(type, JSON text)`: from the
    /// `Lambda-Runtime-Function-Error-*` trailers of a response, or the header and body of
    /// an error report. `None` for a response without error trailers.
    pub fn error(&self) -> Option<(String, String)> {
        let text = |map: &HeaderMap, name: &str| {
            map.get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        match self.kind {
            Kind::Error => Some((
                text(&self.headers, "lambda-runtime-function-error-type").unwrap_or_default(),
                String::from_utf8_lossy(&self.body).into_owned(),
            )),
            Kind::Response => {
                let error_type = text(&self.trailers, "lambda-runtime-function-error-type")?;
                let body = text(&self.trailers, "lambda-runtime-function-error-body")
                    .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                Some((error_type, body))
            }
        }
    }

    /// The first value of header `name` of the request, as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One queued invocation: its request id, and what its answer brings.
#[derive(Debug)]
pub struct Invocation {
    pub(super) request_id: String,
    pub(super) updates: mpsc::Receiver<Update>,
    pub(super) raw: Arc<Mutex<Option<Bytes>>>,
}

impl Invocation {
    /// The request id the function is given.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The next piece of the answer, as it arrives; `None` after [`Update::End`].
    pub async fn next(&mut self) -> Option<Update> {
        self.updates.recv().await
    }

    /// The whole answer, once it is over; `None` if the emulator stopped before the
    /// answer started or ended.
    pub async fn outcome(mut self) -> Option<Outcome> {
        let mut outcome = None;
        while let Some(update) = self.updates.recv().await {
            match update {
                Update::Started { kind, headers } => {
                    outcome = Some((kind, headers, BytesMut::new(), HeaderMap::new()));
                }
                Update::Data(data) => {
                    if let Some((_, _, body, _)) = &mut outcome {
                        body.extend_from_slice(&data);
                    }
                }
                Update::Counted(_) => {}
                Update::Trailers(t) => {
                    if let Some((_, _, _, trailers)) = &mut outcome {
                        *trailers = t;
                    }
                }
                Update::End { complete } => {
                    let (kind, headers, body, trailers) = outcome?;
                    let raw = self
                        .raw
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .take()
                        .unwrap_or_default();
                    return Some(Outcome {
                        kind,
                        headers,
                        body: body.freeze(),
                        trailers,
                        complete,
                        raw,
                    });
                }
            }
        }
        None
    }
}
