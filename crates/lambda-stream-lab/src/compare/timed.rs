//! A client that times each event of a response as it arrives: `GET`, every byte read
//! noted with the time it came, then the body (chunked or not) taken apart into the test
//! kit's token events, each with its emit time and the time its last byte arrived.

use std::time::{Duration, Instant};

use lambda_stream_testkit::tokens::{emitted_at, now_ns};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What came back, with the events' times.
pub(super) struct Timed {
    pub(super) status: u16,
    /// To the first body byte.
    pub(super) ttfb: Duration,
    /// To the end of the response.
    pub(super) total: Duration,
    pub(super) body_bytes: u64,
    /// The last chunk arrived, or exactly the announced length.
    pub(super) complete: bool,
    /// `(emitted, arrived)` of each event, in nanoseconds since the epoch.
    pub(super) events: Vec<(u128, u128)>,
}

/// `GET url` (`http://host:port/path`), read to the close of the connection.
pub(super) async fn get(url: &str) -> std::io::Result<Timed> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid("not an http:// URL"))?;
    let (addr, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let started = Instant::now();
    stream
        .write_all(
            format!("GET /{path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
    // Every byte, and when it came.
    let mut raw = Vec::new();
    let mut arrived: Vec<u128> = Vec::new();
    let mut instants: Vec<(usize, Instant)> = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        let now = now_ns();
        raw.extend_from_slice(&buf[..n]);
        arrived.resize(raw.len(), now);
        instants.push((raw.len(), Instant::now()));
    }
    let total = started.elapsed();
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("no response head"))?
        + 4;
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status"))?;
    let ttfb = instants
        .iter()
        .find(|(end, _)| *end > head_end)
        .map_or(total, |(_, at)| *at - started);
    // The body's bytes with their arrival times.
    let (body, times, complete) = if head.contains("transfer-encoding: chunked") {
        dechunk(&raw[head_end..], &arrived[head_end..])
    } else {
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        let body = raw[head_end..].to_vec();
        let complete = length == Some(body.len());
        (body, arrived[head_end..].to_vec(), complete)
    };
    let mut events = Vec::new();
    let mut start = 0;
    for (i, &b) in body.iter().enumerate() {
        if b == b'\n' {
            if let Some(emitted) = emitted_at(&body[start..i]) {
                events.push((emitted, times[i]));
            }
            start = i + 1;
        }
    }
    Ok(Timed {
        status,
        ttfb,
        total,
        body_bytes: body.len() as u64,
        complete,
        events,
    })
}

/// A chunked body's data and each data byte's arrival time; whether its last chunk came.
fn dechunk(raw: &[u8], arrived: &[u128]) -> (Vec<u8>, Vec<u128>, bool) {
    let (mut body, mut times) = (Vec::new(), Vec::new());
    let mut at = 0;
    loop {
        let Some(line) = raw[at..].windows(2).position(|w| w == b"\r\n") else {
            return (body, times, false);
        };
        let size = std::str::from_utf8(&raw[at..at + line])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok());
        let Some(size) = size else {
            return (body, times, false);
        };
        at += line + 2;
        if size == 0 {
            return (
                body,
                times,
                raw[at..].starts_with(b"\r\n") || raw[at..].windows(4).any(|w| w == b"\r\n\r\n"),
            );
        }
        let end = (at + size).min(raw.len());
        body.extend_from_slice(&raw[at..end]);
        times.extend_from_slice(&arrived[at..end]);
        if end < at + size {
            return (body, times, false);
        }
        at = end + 2;
        if at > raw.len() {
            return (body, times, false);
        }
    }
}
