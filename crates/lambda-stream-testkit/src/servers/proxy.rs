//! A TCP proxy that breaks the first HTTP response of chosen connections, or rewrites the
//! requests on their way, as a hostile S3-compatible server (or a middlebox in front of it)
//! would.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

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
    /// `Content-Length` removed, the body sent chunked, and ended properly (with the last
    /// chunk) after this many body bytes: an answer whose early end looks clean unless
    /// its length is known from elsewhere. The connection is then closed.
    ChunkedEndAfter(u64),
    /// `Content-Length` removed, the whole body sent chunked, then this many more bytes
    /// (`X`) before the last chunk: an answer that runs past the length it stated elsewhere.
    /// The connection is then closed.
    ChunkedWithExtra(u64),
    /// Closed at once, before any request reaches the server: a request without an answer.
    Refuse,
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
    /// `Content-Length` (so for every rewriting variant).
    StripConditionals,
    /// `.` and `..` segments of every request path resolved (RFC 3986, section 5.2.4), as
    /// a server or proxy that normalises paths does: `/bucket/../other/key` reads `key`
    /// from bucket `other`.
    ResolveDotSegments,
    /// `Range` removed, so that the server answers `200` with the whole object.
    DropRange,
    /// `Range: bytes=first-last` sent as `bytes=(first - n)-last`, so that the server
    /// answers a `206` for another range than the one asked.
    ShiftRange(u64),
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
    targets: Targets,
    task: tokio::task::JoinHandle<()>,
}

/// The request targets forwarded so far, as the server received them.
type Targets = Arc<Mutex<Vec<String>>>;

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
        let targets = Targets::default();
        let log = targets.clone();
        let task = tokio::spawn(async move {
            // Owned here, so aborting this task aborts every connection task too.
            let mut tasks = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let index = counter.fetch_add(1, Ordering::SeqCst);
                let fault = faults.get(index).copied().unwrap_or(Fault::None);
                let log = log.clone();
                tasks.spawn(async move {
                    if fault == Fault::Refuse {
                        drop(client);
                        return;
                    }
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        let _ = relay(client, server, fault, requests, log).await;
                    }
                });
            }
        });
        Ok(FaultyProxy {
            addr,
            connections,
            targets,
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

    /// The request targets (`/bucket/key?query`) forwarded so far, after rewriting, in
    /// order. Recorded by every [`Requests`] variant but
    /// [`Untouched`](Requests::Untouched), which copies bytes without reading them.
    pub fn targets(&self) -> Vec<String> {
        self.targets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies requests from `from` to `to`, rewriting each head as `rewrite` says and logging
/// its target.
async fn rewrite_requests(
    from: &mut tokio::net::tcp::OwnedReadHalf,
    to: &mut tokio::net::tcp::OwnedWriteHalf,
    rewrite: Requests,
    targets: &Targets,
) -> io::Result<()> {
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
        let (head, length) = rewrite_head(&head, rewrite);
        if let Some(target) = head.split(' ').nth(1) {
            targets
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(target.to_owned());
        }
        to.write_all(head.as_bytes()).await?;
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

/// One request head, rewritten; and the length of its body.
fn rewrite_head(head: &str, rewrite: Requests) -> (String, usize) {
    const CONDITIONALS: [&str; 5] = [
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
        "if-range",
    ];
    let mut length = 0usize;
    let mut kept = String::with_capacity(head.len());
    for (i, line) in head.split_inclusive("\r\n").enumerate() {
        if i == 0 {
            kept.push_str(&match rewrite {
                Requests::ResolveDotSegments => resolve_request_line(line),
                _ => line.to_owned(),
            });
            continue;
        }
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let name = name.trim().to_ascii_lowercase();
        if name == "content-length" {
            length = value.trim().parse().unwrap_or(0);
        }
        match rewrite {
            Requests::StripConditionals if CONDITIONALS.contains(&name.as_str()) => {}
            Requests::DropRange if name == "range" => {}
            Requests::ShiftRange(by) if name == "range" => {
                kept.push_str(&shift_range(value.trim(), by));
            }
            _ => kept.push_str(line),
        }
    }
    (kept, length)
}

/// `GET /a/../b?q HTTP/1.1\r\n` with its path's dot segments resolved.
fn resolve_request_line(line: &str) -> String {
    let mut parts = line.splitn(3, ' ');
    let (Some(method), Some(target), Some(rest)) = (parts.next(), parts.next(), parts.next())
    else {
        return line.to_owned();
    };
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split('/').skip(1) {
        match segment {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    // A trailing `.` or `..` leaves a directory path.
    if path.ends_with("/.") || path.ends_with("/..") {
        out.push("");
    }
    let mut resolved = format!("/{}", out.join("/"));
    if let Some(query) = query {
        resolved.push('?');
        resolved.push_str(query);
    }
    format!("{method} {resolved} {rest}")
}

/// The `Range` header line asking `by` bytes earlier than `value` did.
fn shift_range(value: &str, by: u64) -> String {
    let shifted = value
        .strip_prefix("bytes=")
        .and_then(|spec| spec.split_once('-'))
        .and_then(|(first, last)| {
            let first: u64 = first.parse().ok()?;
            Some(format!("bytes={}-{last}", first.saturating_sub(by)))
        })
        .unwrap_or_else(|| value.to_owned());
    format!("Range: {shifted}\r\n")
}

/// The `Content-Length` a response head states (0 without one).
fn content_length(head: &[u8]) -> u64 {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

/// The head of a response with `Content-Length` removed and `Transfer-Encoding: chunked`
/// added.
fn chunked_head(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::with_capacity(text.len() + 32);
    for line in text.split_inclusive("\r\n") {
        if line == "\r\n" {
            out.push_str("Transfer-Encoding: chunked\r\n\r\n");
        } else if !line.to_ascii_lowercase().starts_with("content-length:") {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

async fn relay(
    client: TcpStream,
    server: TcpStream,
    fault: Fault,
    rewrite: Requests,
    targets: Targets,
) -> io::Result<()> {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let requests = async {
        let _ = match rewrite {
            Requests::Untouched => tokio::io::copy(&mut client_read, &mut server_write)
                .await
                .map(drop),
            _ => rewrite_requests(&mut client_read, &mut server_write, rewrite, &targets).await,
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
                    let chunked = match fault {
                        Fault::ChunkedEndAfter(limit) => Some((limit, 0)),
                        Fault::ChunkedWithExtra(extra) => {
                            Some((content_length(&head[..end + 4]), extra))
                        }
                        _ => None,
                    };
                    if let Some((limit, extra)) = chunked {
                        client_write
                            .write_all(&chunked_head(&head[..end + 4]))
                            .await?;
                        let mut sent = 0u64;
                        let mut part = &buf[from..n];
                        loop {
                            let take = part.len().min((limit - sent) as usize);
                            if take > 0 {
                                let chunk = &part[..take];
                                client_write
                                    .write_all(format!("{take:x}\r\n").as_bytes())
                                    .await?;
                                client_write.write_all(chunk).await?;
                                client_write.write_all(b"\r\n").await?;
                                sent += take as u64;
                            }
                            if sent >= limit {
                                break;
                            }
                            let n = server_read.read(&mut buf).await?;
                            if n == 0 {
                                break;
                            }
                            part = &buf[..n];
                        }
                        if extra > 0 {
                            let padding = vec![b'X'; extra as usize];
                            client_write
                                .write_all(format!("{extra:x}\r\n").as_bytes())
                                .await?;
                            client_write.write_all(&padding).await?;
                            client_write.write_all(b"\r\n").await?;
                        }
                        client_write.write_all(b"0\r\n\r\n").await?;
                        client_write.flush().await?;
                        return Ok(());
                    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_heads_are_rewritten_as_asked() {
        let head = "GET /b/../secret/s.txt?x-id=GetObject HTTP/1.1\r\nRange: bytes=1000-1999\r\nIf-Match: \"e\"\r\nContent-Length: 3\r\n\r\n";
        let (resolved, length) = rewrite_head(head, Requests::ResolveDotSegments);
        assert_eq!(length, 3);
        assert!(
            resolved.starts_with("GET /secret/s.txt?x-id=GetObject HTTP/1.1\r\n"),
            "{resolved}"
        );
        let (dropped, _) = rewrite_head(head, Requests::DropRange);
        assert!(
            !dropped.contains("Range") && dropped.contains("If-Match"),
            "{dropped}"
        );
        let (shifted, _) = rewrite_head(head, Requests::ShiftRange(500));
        assert!(shifted.contains("Range: bytes=500-1999\r\n"), "{shifted}");
        let (stripped, _) = rewrite_head(head, Requests::StripConditionals);
        assert!(
            !stripped.contains("If-Match") && stripped.contains("Range"),
            "{stripped}"
        );
        for (line, path) in [
            ("GET /a/./b/../c HTTP/1.1\r\n", "/a/c"),
            ("GET /../../x HTTP/1.1\r\n", "/x"),
            ("GET /a/.. HTTP/1.1\r\n", "/"),
            ("GET /a//b HTTP/1.1\r\n", "/a//b"),
        ] {
            assert_eq!(
                resolve_request_line(line),
                format!("GET {path} HTTP/1.1\r\n")
            );
        }
    }

    #[test]
    fn a_response_head_becomes_chunked() {
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nETag: \"e\"\r\n\r\n";
        assert_eq!(
            chunked_head(head),
            b"HTTP/1.1 200 OK\r\nETag: \"e\"\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
    }
}
