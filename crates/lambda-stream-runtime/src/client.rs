//! The Runtime API client: one keep-alive HTTP/1.1 connection per invocation slot, on
//! hyper, driven inside the slot's own future (no spawned task, so the handler's body needs
//! to be neither `Send` nor pinned by anyone else).

use std::error::Error as StdError;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;

use bytes::Bytes;
use futures_util::FutureExt;
use http::{HeaderValue, Request, header};
use http_body::Body;
use http_body_util::BodyExt;
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::endpoint::Endpoint;
use crate::wire::ApiBody;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The default of the buffer hyper may fill with body frames before the socket takes them:
/// the part of the memory bound that is the HTTP client's own. Large enough that one
/// `writev` carries several frames: with 64 KiB instead, streaming 200 MB on loopback took
/// about 40% more CPU time in system calls (the `runtime` benchmark).
pub(crate) const DEFAULT_WRITE_BUFFER: usize = 512 * 1024;

/// hyper's smallest buffer.
pub(crate) const MIN_WRITE_BUFFER: usize = 8 * 1024;

const USER_AGENT: &str = concat!("lambda-stream-runtime/", env!("CARGO_PKG_VERSION"));

struct Conn {
    sender: SendRequest<ApiBody>,
    driver: Pin<Box<Connection<TokioIo<TcpStream>, ApiBody>>>,
}

/// A Runtime API connection for the runtime's requests (their bodies boxed at the edge, so
/// that the client does not depend on the handler's body type), opened on first use
/// and again after it breaks.
pub(crate) struct Client {
    conn: Option<Conn>,
    host: HeaderValue,
    write_buffer: usize,
}

/// The answer to a request: its head and whole body.
pub(crate) type Answer = (http::response::Parts, Bytes);

impl Client {
    pub(crate) fn new(endpoint: &Endpoint, write_buffer: usize) -> Result<Self, BoxError> {
        Ok(Client {
            conn: None,
            host: HeaderValue::from_str(endpoint.authority())?,
            write_buffer: write_buffer.max(MIN_WRITE_BUFFER),
        })
    }

    /// After the request's own headers: `Transfer-Encoding: chunked` when the body's length
    /// is unknown, then `Host`, `User-Agent` (not on a streamed request: the Node.js runtime
    /// sends none there) and `Connection: keep-alive`. The Node.js runtime (4.x) sets
    /// `Transfer-Encoding` with its own headers, and Node's HTTP client adds `Host`, then
    /// `Connection`, after them: the same order.
    fn finish(&self, request: &mut Request<ApiBody>) {
        let streamed = request.body().size_hint().exact().is_none();
        let headers = request.headers_mut();
        if streamed {
            headers.insert(
                header::TRANSFER_ENCODING,
                HeaderValue::from_static("chunked"),
            );
        }
        headers.insert(header::HOST, self.host.clone());
        if !streamed {
            headers.insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
        }
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
    }

    /// Sends `request` and reads the whole answer, reconnecting once if the connection was
    /// found closed before any byte of the request went out.
    pub(crate) async fn send(
        &mut self,
        endpoint: &Endpoint,
        mut request: Request<ApiBody>,
    ) -> Result<Answer, BoxError> {
        self.finish(&mut request);
        let mut retried = false;
        loop {
            let conn = self.connected(endpoint).await?;
            match exchange(conn, request).await {
                Exchange::Done(answer, reusable) => {
                    if !reusable {
                        self.conn = None;
                    }
                    return Ok(answer);
                }
                Exchange::NotSent(back, e) if !retried => {
                    tracing::debug!(target: "lambda_stream_runtime", error = %e, "the Runtime API connection was closed; reconnecting");
                    self.conn = None;
                    request = back;
                    retried = true;
                }
                Exchange::NotSent(_, e) | Exchange::Failed(e) => {
                    self.conn = None;
                    return Err(e);
                }
            }
        }
    }

    /// The open connection, after checking that the server did not close it while it was
    /// idle, or a new one.
    async fn connected(&mut self, endpoint: &Endpoint) -> Result<&mut Conn, BoxError> {
        if let Some(conn) = &mut self.conn {
            // An idle connection has nothing to do: if its driver finishes now, the server
            // closed it.
            if conn.sender.is_closed() || conn.driver.as_mut().now_or_never().is_some() {
                self.conn = None;
            }
        }
        if self.conn.is_none() {
            let stream = TcpStream::connect(endpoint.authority()).await?;
            stream.set_nodelay(true)?;
            let (sender, driver) = http1::Builder::new()
                .title_case_headers(true)
                .max_buf_size(self.write_buffer)
                .handshake(TokioIo::new(stream))
                .await?;
            self.conn = Some(Conn {
                sender,
                driver: Box::pin(driver),
            });
        }
        match &mut self.conn {
            Some(conn) => Ok(conn),
            // Set just above.
            None => Err("no Runtime API connection".into()),
        }
    }
}

enum Exchange {
    /// The answer, and whether the connection can carry the next request.
    Done(Answer, bool),
    /// The connection was closed before the request went out: here it is back.
    NotSent(Request<ApiBody>, BoxError),
    Failed(BoxError),
}

/// Sends one request on `conn` and reads the whole answer, driving the connection
/// meanwhile.
async fn exchange(conn: &mut Conn, request: Request<ApiBody>) -> Exchange {
    let Conn { sender, driver } = conn;
    let mut driver_ended = None;
    let mut answer = pin!(async {
        if let Err(e) = sender.ready().await {
            return Exchange::NotSent(request, e.into());
        }
        match sender.try_send_request(request).await {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                match body.collect().await {
                    Ok(body) => Exchange::Done((parts, body.to_bytes()), true),
                    Err(e) => Exchange::Failed(e.into()),
                }
            }
            Err(mut e) => match e.take_message() {
                Some(back) => Exchange::NotSent(back, e.into_error().into()),
                None => Exchange::Failed(e.into_error().into()),
            },
        }
    });
    let outcome = poll_fn(|cx| {
        if driver_ended.is_none()
            && let Poll::Ready(result) = driver.as_mut().poll(cx)
        {
            driver_ended = Some(result);
        }
        answer.as_mut().poll(cx)
    })
    .await;
    match (outcome, driver_ended) {
        // The server closed the connection after answering.
        (Exchange::Done(answer, _), Some(_)) => Exchange::Done(answer, false),
        (Exchange::Failed(e), Some(Err(cause))) => {
            tracing::debug!(target: "lambda_stream_runtime", error = %e, "request failed");
            Exchange::Failed(cause.into())
        }
        (outcome, _) => outcome,
    }
}
