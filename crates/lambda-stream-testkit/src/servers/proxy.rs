//! A TCP proxy that breaks the first HTTP response of chosen connections.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// What happens to the first response on a connection, counted in body bytes (after the
/// blank line that ends the headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Passed through untouched.
    None,
    /// Closed after this many body bytes (0: right after the headers), as a dropped
    /// connection or a truncating middlebox would.
    CutAfter(u64),
    /// The body byte at this offset is inverted; everything else passes.
    CorruptAt(u64),
}

/// What the proxy does to requests on their way to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Requests {
    /// Passed through untouched.
    #[default]
    Untouched,
    /// `If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since` and
    /// `If-Range` removed from every request head, as an S3-compatible server that ignores
    /// conditions effectively does. Requests must be body-less (`GET`, `HEAD`) or say their
    /// `Content-Length`.
    StripConditionals,
}

/// A proxy on a free 127.0.0.1 port in front of `upstream`. Connection `i` (in accept
/// order) gets `faults[i]`; later ones pass untouched. Dropping it stops the listener and
/// every connection.
///
/// Start it inside a tokio runtime (it spawns its tasks there).
#[derive(Debug)]
pub struct FaultyProxy {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultyProxy {
    /// Starts the proxy.
    ///
    /// # Errors
    ///
    /// If no port can be bound.
    pub async fn start(upstream: SocketAddr, faults: Vec<Fault>) -> io::Result<FaultyProxy> {
        FaultyProxy::start_with(upstream, faults, Requests::Untouched).await
    }

    /// Starts the proxy, doing `requests` to every request.
    ///
    /// # Errors
    ///
    /// If no port can be bound.
    pub async fn start_with(
        upstream: SocketAddr,
        faults: Vec<Fault>,
        requests: Requests,
    ) -> io::Result<FaultyProxy> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let addr = listener.local_addr()?;
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let task = tokio::spawn(async move {
            // Owned here, so aborting this task aborts every connection task too.
            let mut tasks = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let index = counter.fetch_add(1, Ordering::SeqCst);
                let fault = faults.get(index).copied().unwrap_or(Fault::None);
                tasks.spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        let _ = relay(client, server, fault, requests).await;
                    }
                });
            }
        });
        Ok(FaultyProxy {
            addr,
            connections,
            task,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies requests from `from` to `to`, removing conditional headers from each head.
async fn strip_conditionals(
    from: &mut tokio::net::tcp::OwnedReadHalf,
    to: &mut tokio::net::tcp::OwnedWriteHalf,
) -> io::Result<()> {
    const STRIPPED: [&str; 5] = [
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
        "if-range",
    ];
    let mut pending = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        // A whole head, then its body (by Content-Length), then the next request.
        let end = loop {
            if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let n = from.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            pending.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&pending[..end]).into_owned();
        let mut length = 0usize;
        let mut kept = String::with_capacity(head.len());
        for line in head.split_inclusive("\r\n") {
            let name = line
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if name == "content-length" {
                length = line
                    .split_once(':')
                    .and_then(|(_, v)| v.trim().parse().ok())
                    .unwrap_or(0);
            }
            if !STRIPPED.contains(&name.as_str()) {
                kept.push_str(line);
            }
        }
        to.write_all(kept.as_bytes()).await?;
        pending.drain(..end);
        while pending.len() < length {
            let n = from.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            pending.extend_from_slice(&buf[..n]);
        }
        to.write_all(&pending[..length]).await?;
        pending.drain(..length);
    }
}

async fn relay(
    client: TcpStream,
    server: TcpStream,
    fault: Fault,
    rewrite: Requests,
) -> io::Result<()> {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let requests = async {
        let _ = match rewrite {
            Requests::Untouched => tokio::io::copy(&mut client_read, &mut server_write)
                .await
                .map(drop),
            Requests::StripConditionals => {
                strip_conditionals(&mut client_read, &mut server_write).await
            }
        };
        let _ = server_write.shutdown().await;
    };
    let responses = async {
        let mut buf = vec![0u8; 64 * 1024];
        let mut head = Vec::new();
        let mut body: Option<u64> = None;
        loop {
            let n = server_read.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            let chunk = &mut buf[..n];
            let mut from = 0;
            if body.is_none() {
                head.extend_from_slice(chunk);
                if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                    let in_chunk = end + 4 - (head.len() - n);
                    from = in_chunk;
                    body = Some(0);
                }
            }
            if let Some(seen) = body.as_mut() {
                let body_part = (n - from) as u64;
                match fault {
                    Fault::CutAfter(limit) if *seen + body_part >= limit => {
                        let keep = from + (limit - *seen) as usize;
                        client_write.write_all(&chunk[..keep]).await?;
                        client_write.flush().await?;
                        return Ok(());
                    }
                    Fault::CorruptAt(at) if *seen <= at && at < *seen + body_part => {
                        chunk[from + (at - *seen) as usize] ^= 0xff;
                    }
                    _ => {}
                }
                *seen += body_part;
            }
            client_write.write_all(chunk).await?;
        }
        Ok::<(), io::Error>(())
    };
    // The response side decides when the connection ends; a client that stops sending
    // (half-close) still gets its whole response.
    tokio::pin!(requests, responses);
    let mut requests_done = false;
    loop {
        tokio::select! {
            r = &mut responses => return r,
            () = &mut requests, if !requests_done => requests_done = true,
        }
    }
}
