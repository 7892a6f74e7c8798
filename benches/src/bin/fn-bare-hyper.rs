//! The limit of the runtime comparison: a bare hyper client that takes each invocation
//! and posts the prelude, the delimiter and the workload's chunks as they are, with no
//! processing at all (no framing, no budget, no error handling).

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::stream;
use http::{Method, Request};
use http_body::Frame;
use http_body_util::{BodyExt, Empty, StreamBody, combinators::BoxBody};
use hyper_util::rt::TokioIo;
use lambda_stream_benches::function::{PRELUDE, Workload};

type Body = BoxBody<Bytes, Infallible>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let workload = Workload::from_env();
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    let stream = tokio::net::TcpStream::connect(&api).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    loop {
        let next = Request::builder()
            .method(Method::GET)
            .uri("/2018-06-01/runtime/invocation/next")
            .header("host", &api)
            .body(Empty::new().boxed())?;
        sender.ready().await?;
        let answer = sender.send_request(next).await?;
        if answer.status() != 200 {
            break;
        }
        let id = answer.headers()["lambda-runtime-aws-request-id"]
            .to_str()?
            .to_owned();
        answer.into_body().collect().await?;
        let head = [
            Bytes::from_static(PRELUDE.as_bytes()),
            Bytes::from_static(&[0; 8]),
        ];
        let frames = head
            .into_iter()
            .chain(workload.chunks())
            .map(|b| Ok::<_, Infallible>(Frame::data(b)));
        let response = Request::builder()
            .method(Method::POST)
            .uri(format!("/2018-06-01/runtime/invocation/{id}/response"))
            .header("host", &api)
            .header("lambda-runtime-function-response-mode", "streaming")
            .header(
                "content-type",
                "application/vnd.awslambda.http-integration-response",
            )
            .header("transfer-encoding", "chunked")
            .body(StreamBody::new(stream::iter(frames)).boxed())?;
        sender.ready().await?;
        let answer = sender.send_request(response).await?;
        answer.into_body().collect().await?;
    }
    Ok(())
}
