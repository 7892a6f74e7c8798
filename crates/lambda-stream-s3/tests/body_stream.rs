//! `BodyStream` and `BodyReader` on bodies that lie about their length or fail.

use std::pin::Pin;
use std::task::{Context, Poll};

use aws_smithy_types::byte_stream::ByteStream;
use bytes::Bytes;
use futures_util::StreamExt;
use http_body::{Body, Frame, SizeHint};
use lambda_stream_s3::{BodyErrorKind, BodyReader, BodyStream};
use tokio::io::AsyncReadExt;

/// A body that announces `announced` bytes, yields `chunks`, then fails if `fail` is set.
struct Scripted {
    chunks: Vec<Bytes>,
    announced: u64,
    fail: bool,
}

impl Body for Scripted {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if !self.chunks.is_empty() {
            return Poll::Ready(Some(Ok(Frame::data(self.chunks.remove(0)))));
        }
        if std::mem::take(&mut self.fail) {
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "peer reset",
            ))));
        }
        Poll::Ready(None)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.announced)
    }
}

fn body(announced: u64, fail: bool) -> ByteStream {
    let chunks = vec![Bytes::from_static(b"hello"), Bytes::from_static(b" world")];
    ByteStream::from_body_1_x(Scripted {
        chunks,
        announced,
        fail,
    })
}

#[tokio::test]
async fn a_short_body_is_an_error_not_an_end() {
    let mut stream = BodyStream::new(body(20, false));
    assert_eq!(stream.expected_len(), Some(20));
    assert_eq!(stream.next().await.unwrap().unwrap(), "hello");
    assert_eq!(stream.next().await.unwrap().unwrap(), " world");
    let e = stream.next().await.unwrap().unwrap_err();
    assert!(
        matches!(e.kind(), BodyErrorKind::Truncated { expected: 20 }),
        "{e}"
    );
    assert_eq!(e.delivered(), 11);
    assert_eq!(
        e.to_string(),
        "S3 object body truncated: expected 20 bytes, the body ended after 11"
    );
    assert!(e.is_transient());
    assert!(stream.next().await.is_none(), "fused");
    let io: std::io::Error = e.into();
    assert_eq!(io.kind(), std::io::ErrorKind::UnexpectedEof);

    let mut text = Vec::new();
    let e = BodyReader::new(body(20, false))
        .read_to_end(&mut text)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
    assert_eq!(text, b"hello world");
}

#[tokio::test]
async fn errors_keep_the_chain_and_the_offset() {
    let items: Vec<_> = BodyStream::new(body(11, true)).collect().await;
    assert_eq!(items.len(), 3);
    let e = items[2].as_ref().unwrap_err();
    assert_eq!(e.delivered(), 11);
    // This layer says what failed and where; the cause comes from `source()`, once.
    assert_eq!(e.to_string(), "S3 object body failed after 11 bytes");
    let chain = lambda_stream_testkit::errors::chain(e);
    assert!(chain.ends_with(": peer reset"), "{chain}");
    assert_eq!(chain.matches("peer reset").count(), 1, "{chain}");

    let mut reader = BodyReader::new(body(11, true));
    let mut text = Vec::new();
    let e = reader.read_to_end(&mut text).await.unwrap_err();
    assert_eq!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset,
        "the SDK's I/O error kind is kept"
    );
    let body_error = e.get_ref().expect("a BodyError inside");
    assert_eq!(
        body_error.to_string(),
        "S3 object body failed after 11 bytes"
    );
    assert!(lambda_stream_testkit::errors::chain(body_error).ends_with(": peer reset"));
    assert_eq!(reader.consumed(), 11);
}

#[tokio::test]
async fn an_exact_body_ends_cleanly() {
    let items: Vec<_> = BodyStream::new(body(11, false)).collect().await;
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(Result::is_ok));
}
