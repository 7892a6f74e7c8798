//! A plain HTTP/1.1 client that records exactly what a client receives.

use std::io;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What came back from [`get`].
#[derive(Debug, Clone)]
pub struct Received {
    /// The status code.
    pub status: u16,
    /// Header lines as `(lowercase name, value)`, in order.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    /// Trailer lines after the last chunk, if any.
    pub trailers: Vec<(String, String)>,
    /// Whether the response ended properly: the last chunk and its blank line arrived, or
    /// exactly the announced `content-length`. False when the connection closed mid-body,
    /// and for a response delimited only by the close of the connection, which cannot be
    /// told apart from a cut one.
    pub complete: bool,
    /// The server sent nothing for [`IDLE_LIMIT`] and did not end the response: the client
    /// gave up waiting. Not a clean end either.
    pub stalled: bool,
    /// From sending the request to the first body byte (to the headers, for an empty body).
    pub ttfb: Duration,
    /// From sending the request to the end.
    pub total: Duration,
}

impl Received {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name` (lowercase).
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How long [`get`] waits for the next bytes of a response before it reports it stalled.
pub const IDLE_LIMIT: Duration = Duration::from_secs(10);

/// `GET url` (`http://host:port/path`) with `headers`, over a fresh connection, read to the
/// end, until the server closes it, or until it sends nothing for [`IDLE_LIMIT`].
///
/// # Errors
///
/// A malformed URL or status line, or a connection that fails before the headers.
pub async fn get(url: &str, headers: &[(&str, &str)]) -> io::Result<Received> {
    request("GET", url, headers).await
}

/// `method url` with `headers`, as [`get`] does it. A `HEAD` response ends with its head.
///
/// # Errors
///
/// As [`get`].
pub async fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> io::Result<Received> {
    request_paced(method, url, headers, None).await
}

/// `method url` with `headers` and `body` (sent with its `Content-Length`), as [`get`]
/// does it.
///
/// # Errors
///
/// As [`get`].
pub async fn request_with_body(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Received> {
    send(method, url, headers, Some(body), None).await
}

/// As [`request`], reading at most `rate` bytes per second (a slow client: the socket's
/// buffers fill, and the server feels it).
///
/// # Errors
///
/// As [`get`].
pub async fn request_paced(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    rate: Option<f64>,
) -> io::Result<Received> {
    send(method, url, headers, None, rate).await
}

async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    rate: Option<f64>,
) -> io::Result<Received> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| io::Error::other("expected an http:// URL"))?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).await?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    let start = Instant::now();
    stream.write_all(request.as_bytes()).await?;
    if let Some(body) = body {
        stream.write_all(body).await?;
    }

    let mut raw = Vec::new();
    // A slow client reads small pieces, so its pace shows within a second.
    let mut buf = vec![0u8; if rate.is_some() { 4 * 1024 } else { 64 * 1024 }];
    let mut head_end = None;
    let mut first_body_at = None;
    let mut stalled = false;
    loop {
        let read = tokio::time::timeout(IDLE_LIMIT, stream.read(&mut buf)).await;
        let Ok(read) = read else {
            stalled = true;
            break;
        };
        let n = match read {
            Ok(n) => n,
            // A reset is one way a response can end abnormally: keep what arrived.
            Err(e) if head_end.is_some() && e.kind() == io::ErrorKind::ConnectionReset => 0,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(rate) = rate {
            let due = Duration::from_secs_f64(raw.len() as f64 / rate);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
        if head_end.is_none() {
            head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
        }
        if let Some(end) = head_end {
            if first_body_at.is_none() && raw.len() > end {
                first_body_at = Some(start.elapsed());
            }
        }
    }
    let total = start.elapsed();
    let end = head_end
        .ok_or_else(|| io::Error::other("the connection closed before the headers ended"))?;
    let head = String::from_utf8_lossy(&raw[..end - 4]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other(format!("bad status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let (body, trailers, complete) = frame_body(status, method, &headers, &raw[end..]);
    let ttfb = first_body_at.unwrap_or(total);
    Ok(Received {
        status,
        headers,
        body,
        trailers,
        complete,
        stalled,
        ttfb,
        total,
    })
}

/// The body and trailers of a response whose head said `status` and `headers`, from the
/// bytes after the head, and whether the body is known to be whole (RFC 9112, section
/// 6.3): a bodyless answer with nothing after its head, a chunked body through its last
/// chunk and trailers, or exactly `content-length` bytes; never a body delimited only by
/// the close of the connection.
fn frame_body(
    status: u16,
    method: &str,
    headers: &[(String, String)],
    rest: &[u8],
) -> (Vec<u8>, Vec<(String, String)>, bool) {
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    // 1xx, 204 and 304 responses end with their head (RFC 9112, section 6.3).
    let bodyless = matches!(status, 100..=199 | 204 | 304) || method == "HEAD";
    if bodyless {
        (rest.to_vec(), Vec::new(), rest.is_empty())
    } else if chunked {
        dechunk(rest)
    } else {
        let length = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok());
        // Without a length, the end of the body is the close of the connection, whether
        // the server meant it or not: never called complete.
        (
            rest.to_vec(),
            Vec::new(),
            length.is_some_and(|l| l == rest.len()),
        )
    }
}

/// The body and trailers of a chunked message, and whether its last chunk arrived.
fn dechunk(mut data: &[u8]) -> (Vec<u8>, Vec<(String, String)>, bool) {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") else {
            return (body, Vec::new(), false);
        };
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
        else {
            return (body, Vec::new(), false);
        };
        data = &data[line_end + 2..];
        if size == 0 {
            // Trailers, then a blank line.
            let mut trailers = Vec::new();
            loop {
                let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
                    return (body, trailers, false);
                };
                if end == 0 {
                    return (body, trailers, true);
                }
                let line = String::from_utf8_lossy(&data[..end]).into_owned();
                if let Some((n, v)) = line.split_once(':') {
                    trailers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
                data = &data[end + 2..];
            }
        }
        if data.len() < size + 2 {
            body.extend_from_slice(&data[..size.min(data.len())]);
            return (body, Vec::new(), false);
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks_and_tells_a_cut_from_an_end() {
        let (body, trailers, complete) = dechunk(b"3\r\nabc\r\n2\r\nde\r\n0\r\nX-A: 1\r\n\r\n");
        assert_eq!((body.as_slice(), complete), (&b"abcde"[..], true));
        assert_eq!(trailers, [("x-a".to_owned(), "1".to_owned())]);
        let (body, _, complete) = dechunk(b"3\r\nabc\r\n5\r\nde");
        assert_eq!((body.as_slice(), complete), (&b"abcde"[..], false));
        assert!(!dechunk(b"3\r\nabc\r\n").2);
    }

    #[test]
    fn every_framing_tells_whole_from_cut() {
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect()
        };
        let complete = |status, method, headers: &[(&str, &str)], rest: &[u8]| {
            frame_body(status, method, &h(headers), rest).2
        };
        let length = [("content-length", "5")];
        assert!(complete(200, "GET", &length, b"hello"));
        assert!(
            !complete(200, "GET", &length, b"hell"),
            "short of its length"
        );
        assert!(
            !complete(200, "GET", &length, b"hello!"),
            "longer than its length"
        );
        // Close-delimited: as long as it is, never known to be whole.
        assert!(!complete(200, "GET", &[], b"hello"));
        let chunked = [("transfer-encoding", "chunked")];
        assert!(complete(200, "GET", &chunked, b"5\r\nhello\r\n0\r\n\r\n"));
        assert!(
            !complete(200, "GET", &chunked, b"5\r\nhello\r\n"),
            "no last chunk"
        );
        // Bodyless answers end with their head, whatever they announce.
        for (status, method) in [(204, "GET"), (304, "GET"), (200, "HEAD"), (101, "GET")] {
            assert!(complete(status, method, &length, b""), "{status} {method}");
            assert!(
                !complete(status, method, &length, b"x"),
                "{status} {method} with bytes"
            );
        }
    }
}
