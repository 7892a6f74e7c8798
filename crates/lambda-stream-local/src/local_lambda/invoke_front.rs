//! The `InvokeWithResponseStream` front: the real event-stream encoding, for the real
//! `aws-sdk-lambda` client and the AWS CLI.

use std::convert::Infallible;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use http::{Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::outcome::{INCOMPLETE_RESPONSE, caller_trace_id, report, trailer_error};
use crate::runtime_api::{Behaviour, Ids, Kind, RuntimeApi, Update};

pub(super) async fn serve(listener: TcpListener, api: Arc<RuntimeApi>, log: Arc<PathBuf>) {
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let (api, log) = (api.clone(), log.clone());
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let (api, log) = (api.clone(), log.clone());
                async move { Ok::<_, Infallible>(invoke(&api, &log, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A response body fed by a task.
struct Fed {
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
}

impl http_body::Body for Fed {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|item| item.map(|r| r.map(Frame::data)))
    }
}

type Answer = Response<http_body_util::Either<Fed, http_body_util::Full<Bytes>>>;

fn plain(status: StatusCode, text: &str) -> Answer {
    let mut r = Response::new(http_body_util::Either::Right(http_body_util::Full::new(
        Bytes::from(text.to_owned()),
    )));
    *r.status_mut() = status;
    r
}

/// The event-stream message of one event.
pub(super) fn message(
    event_type: &'static str,
    content_type: &'static str,
    payload: Bytes,
) -> Bytes {
    let message = Message::new(payload)
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("event".into()),
        ))
        .add_header(Header::new(
            ":event-type",
            HeaderValue::String(event_type.into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String(content_type.into()),
        ));
    let mut out = BytesMut::new();
    // Writing to a `BytesMut` fails only for a message over the format's limits (16 MiB):
    // none is, the payloads being the body's pieces.
    let _ = aws_smithy_eventstream::frame::write_message_to(&message, &mut out);
    out.freeze()
}

fn invoke_complete(error: Option<(String, String)>, log_tail: Option<String>) -> Bytes {
    let mut json = serde_json::Map::new();
    if let Some((code, details)) = error {
        json.insert("ErrorCode".into(), code.into());
        json.insert("ErrorDetails".into(), details.into());
    }
    if let Some(tail) = log_tail {
        json.insert("LogResult".into(), tail.into());
    }
    let payload = serde_json::Value::Object(json).to_string();
    message("InvokeComplete", "application/json", Bytes::from(payload))
}

/// `POST /2021-11-15/functions/{name}/response-streaming-invocations`.
async fn invoke(api: &RuntimeApi, log: &Path, request: Request<Incoming>) -> Answer {
    if !request
        .uri()
        .path()
        .ends_with("/response-streaming-invocations")
    {
        return plain(
            StatusCode::NOT_FOUND,
            "the local Lambda serves InvokeWithResponseStream",
        );
    }
    let tail = request
        .headers()
        .get("x-amz-log-type")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"Tail"));
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let ids = Ids {
        trace_id: caller_trace_id(
            request
                .headers()
                .iter()
                .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?))),
        ),
        tenant_id: header("x-amz-tenant-id"),
    };
    let event = match request.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return plain(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let mut invocation = api.invoke_as(event, Behaviour::Accept, ids);
    let Some(Update::Started { kind, headers }) = invocation.next().await else {
        return plain(StatusCode::BAD_GATEWAY, "the function did not answer");
    };
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let log = log.to_path_buf();
    let log_tail = move || {
        tail.then(|| {
            let text = std::fs::read(&log).unwrap_or_default();
            let start = text.len().saturating_sub(4096);
            base64::engine::general_purpose::STANDARD.encode(&text[start..])
        })
    };
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        let mut body = BytesMut::new();
        let mut error = None;
        let complete = loop {
            match invocation.next().await {
                Some(Update::Data(data)) if kind == Kind::Response => {
                    if tx
                        .send(Ok(message(
                            "PayloadChunk",
                            "application/octet-stream",
                            data,
                        )))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Some(Update::Data(data)) => body.extend_from_slice(&data),
                Some(Update::Trailers(t)) => error = trailer_error(&t),
                Some(Update::End { complete }) => break complete,
                Some(_) => {}
                None => break false,
            }
        };
        let error = match kind {
            Kind::Error => Some(report(
                headers
                    .get("lambda-runtime-function-error-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("Unhandled"),
                &String::from_utf8_lossy(&body),
            )),
            Kind::Response => error.or_else(|| {
                (!complete).then(|| {
                    (
                        INCOMPLETE_RESPONSE.to_owned(),
                        "the function's response broke off".to_owned(),
                    )
                })
            }),
        };
        let _ = tx.send(Ok(invoke_complete(error, log_tail()))).await;
    });
    let mut response = Response::new(http_body_util::Either::Left(Fed { rx }));
    let h = response.headers_mut();
    let content_type = match kind {
        Kind::Response => content_type,
        Kind::Error => "application/json".to_owned(),
    };
    if let Ok(v) = http::HeaderValue::from_str(&content_type) {
        h.insert(http::header::CONTENT_TYPE, v);
    }
    h.insert(
        "x-amz-executed-version",
        http::HeaderValue::from_static("$LATEST"),
    );
    response
}
