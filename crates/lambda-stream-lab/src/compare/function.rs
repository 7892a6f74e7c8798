//! The lab as a Lambda function: the same object, from the same paced source, served one
//! of three ways, as a real process on a Runtime API. Started by the lab itself with
//! `LAB_FUNCTION=<way>`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_types::byte_stream::ByteStream;
use bytes::Bytes;
use futures_core::Stream;
use futures_util::{StreamExt, TryStreamExt};
use http_body::Frame;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Either, Full, StreamBody};
use lambda_http::{Request, RequestExt, service_fn};
use lambda_stream::{MetadataPrelude, StreamError};
use lambda_stream_s3::{BodyStream, byte_stream_from_stream};
use lambda_stream_testkit::data::pattern;
use lambda_stream_testkit::paced::PacedSource;
use lambda_stream_testkit::tokens::TokenStream;

use super::Way;

/// The environment variable that makes the lab a function, naming the way.
pub(crate) const FUNCTION_VAR: &str = "LAB_FUNCTION";

/// What the lab tells its functions, through the environment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FunctionSettings {
    pub(crate) latency: Duration,
    pub(crate) rate: f64,
    pub(crate) budget: u64,
}

impl FunctionSettings {
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "LAB_SOURCE_LATENCY_MS",
                (self.latency.as_secs_f64() * 1e3).to_string(),
            ),
            ("LAB_SOURCE_BYTES_PER_S", self.rate.to_string()),
            ("LAB_BUDGET_BYTES", self.budget.to_string()),
        ]
    }

    fn from_env() -> FunctionSettings {
        let var = |name: &str, default: f64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        FunctionSettings {
            latency: Duration::from_secs_f64(var("LAB_SOURCE_LATENCY_MS", 30.0) / 1e3),
            rate: var("LAB_SOURCE_BYTES_PER_S", 20e6),
            budget: var("LAB_BUDGET_BYTES", 200.0 * 1024.0 * 1024.0) as u64,
        }
    }
}

/// `size` and `fail_at` from the query string (`?size=N&fail_at=M`).
fn object(request: &Request) -> (usize, Option<usize>) {
    let query = request.query_string_parameters();
    let number = |name: &str| query.first(name).and_then(|v| v.parse::<usize>().ok());
    (number("size").unwrap_or(0), number("fail_at"))
}

/// The token stream a `/tokens?count=N&bytes=B&interval_us=U` request asks for, if it is
/// one.
fn tokens(request: &Request) -> Option<TokenStream> {
    if request.uri().path() != "/tokens" {
        return None;
    }
    let query = request.query_string_parameters();
    let number = |name: &str, default: u64| {
        query
            .first(name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(default)
    };
    Some(TokenStream::new(
        number("count", 100),
        number("bytes", 40) as usize,
        Duration::from_micros(number("interval_us", 10_000)),
    ))
}

/// Fails with an I/O error once `at` bytes have gone through, as an S3 connection that
/// breaks does.
struct FailAt<S> {
    inner: S,
    at: Option<usize>,
    passed: usize,
}

impl<S> Stream for FailAt<S>
where
    S: Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
{
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(at) = this.at
            && this.passed >= at
        {
            this.at = None;
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                format!("the source connection broke after {at} bytes"),
            ))));
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(mut chunk))) => {
                if let Some(at) = this.at {
                    chunk.truncate(at - this.passed);
                }
                this.passed += chunk.len();
                Poll::Ready(Some(Ok(chunk)))
            }
            other => other,
        }
    }
}

/// The object as an S3-like `ByteStream`: paced, and failing at `fail_at` if given.
fn source(
    settings: FunctionSettings,
    cache: &Mutex<HashMap<usize, Bytes>>,
    size: usize,
    fail_at: Option<usize>,
) -> ByteStream {
    let data = cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(size)
        .or_insert_with(|| pattern(size))
        .clone();
    let paced = PacedSource::new(data, settings.latency, settings.rate);
    let stream = FailAt {
        inner: paced,
        at: fail_at,
        passed: 0,
    };
    byte_stream_from_stream(stream, Some(size as u64))
}

type Cache = Arc<Mutex<HashMap<usize, Bytes>>>;

/// Runs the function of `way` until its Runtime API stops.
pub(crate) fn run(way: &str) -> Result<(), String> {
    let way: Way = way.parse().map_err(|()| {
        format!("{FUNCTION_VAR}={way:?}: expected buffered, lambda_http or lambda-stream")
    })?;
    let settings = FunctionSettings::from_env();
    let cache: Cache = Arc::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = match way {
        Way::Buffered => rt.block_on(lambda_http::run(service_fn(move |request| {
            buffered(settings, cache.clone(), request)
        }))),
        Way::LambdaHttp => rt.block_on(lambda_http::run_with_streaming_response(service_fn(
            move |request| lambda_http_streamed(settings, cache.clone(), request),
        ))),
        Way::LambdaStream => {
            let runtime = lambda_stream_runtime::Runtime::builder()
                .max_bytes(settings.budget)
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(runtime.run(service_fn(move |request| {
                lambda_stream(settings, cache.clone(), request)
            })))
            .map_err(|e| Box::new(e) as lambda_http::Error)
        }
    };
    result.map_err(|e| e.to_string())
}

/// Collect the object, answer with all of it (`lambda_http` base64s it into the JSON a
/// buffered response is).
async fn buffered(
    settings: FunctionSettings,
    cache: Cache,
    request: Request,
) -> Result<http::Response<lambda_http::Body>, lambda_http::Error> {
    let bytes = match tokens(&request) {
        Some(events) => events.collect::<Vec<Bytes>>().await.concat().into(),
        None => {
            let (size, fail_at) = object(&request);
            source(settings, &cache, size, fail_at)
                .collect()
                .await?
                .into_bytes()
        }
    };
    Ok(http::Response::builder()
        .header("content-type", "application/octet-stream")
        .body(lambda_http::Body::Binary(bytes.to_vec()))?)
}

type ReaderStream =
    tokio_util::io::ReaderStream<Pin<Box<dyn tokio::io::AsyncBufRead + Send + Sync>>>;

type TokenFrames = StreamBody<
    futures_util::stream::Map<TokenStream, fn(Bytes) -> Result<Frame<Bytes>, std::io::Error>>,
>;

/// What a developer writes today: `ByteStream` → `into_async_read` → `ReaderStream`, under
/// `lambda_http::run_with_streaming_response` (and a token stream as its body, as is).
async fn lambda_http_streamed(
    settings: FunctionSettings,
    cache: Cache,
    request: Request,
) -> Result<
    http::Response<
        Either<
            StreamBody<futures_util::stream::MapOk<ReaderStream, fn(Bytes) -> Frame<Bytes>>>,
            TokenFrames,
        >,
    >,
    lambda_http::Error,
> {
    let body = match tokens(&request) {
        Some(events) => Either::Right(StreamBody::new(
            events
                .map((|e| Ok(Frame::data(e))) as fn(Bytes) -> Result<Frame<Bytes>, std::io::Error>),
        )),
        None => {
            let (size, fail_at) = object(&request);
            let reader: Pin<Box<dyn tokio::io::AsyncBufRead + Send + Sync>> =
                Box::pin(source(settings, &cache, size, fail_at).into_async_read());
            let frames = tokio_util::io::ReaderStream::new(reader)
                .map_ok(Frame::data as fn(Bytes) -> Frame<Bytes>);
            Either::Left(StreamBody::new(frames))
        }
    };
    Ok(http::Response::builder()
        .header("content-type", "application/octet-stream")
        .body(body)?)
}

/// `lambda_stream::response` on `lambda_stream_runtime`, refusing what cannot fit the
/// budget before its first byte, as the `s3_object` example does.
async fn lambda_stream(
    settings: FunctionSettings,
    cache: Cache,
    request: Request,
) -> Result<http::Response<UnsyncBoxBody<Bytes, StreamError>>, Infallible> {
    if let Some(events) = tokens(&request) {
        let prelude = MetadataPrelude::builder()
            .header("content-type", "text/plain")
            .build()
            .unwrap_or_default();
        let body = events.map(Ok::<_, Infallible>);
        return Ok(lambda_stream::response(prelude, body).map(BodyExt::boxed_unsync));
    }
    let (size, fail_at) = object(&request);
    let limit = settings.budget - lambda_stream::prelude::MAX_PRELUDE_LEN as u64;
    if size as u64 > limit {
        let text = format!("the object has {size} bytes, over the {limit} a response may carry\n");
        let body = Full::new(Bytes::from(text))
            .map_err(|never: Infallible| match never {})
            .boxed_unsync();
        let mut response = http::Response::new(body);
        *response.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
        return Ok(response);
    }
    let prelude = MetadataPrelude::builder()
        .header("content-type", "application/octet-stream")
        .build()
        .unwrap_or_default();
    let body =
        BodyStream::with_expected_len(source(settings, &cache, size, fail_at), Some(size as i64));
    Ok(lambda_stream::response(prelude, body).map(BodyExt::boxed_unsync))
}
