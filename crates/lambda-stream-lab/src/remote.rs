//! `--url`: deployed function URLs, measured as the published experiment did (`ttfb -n 10`):
//! n requests each, time to first byte and total as min / median / max, the body's length
//! and SHA-256, the status. Feature `remote` (an HTTPS client).

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Min, median and max of a measurement, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// The smallest.
    pub min: f64,
    /// The median.
    pub median: f64,
    /// The largest.
    pub max: f64,
}

impl Spread {
    fn of(mut values: Vec<f64>) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        Some(Spread {
            min: values[0],
            median: values[values.len() / 2],
            max: values[values.len() - 1],
        })
    }
}

/// What `n` requests to one URL gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UrlStats {
    /// The URL.
    pub url: String,
    /// Requests made.
    pub requests: usize,
    /// The statuses, in order (0 where a request got no answer).
    pub statuses: Vec<u16>,
    /// Time to the first body byte of the requests that got a body, in ms.
    pub ttfb_ms: Option<Spread>,
    /// Time to the end of the requests that ended, in ms.
    pub total_ms: Option<Spread>,
    /// The body's length, of the last request that ended.
    pub body_bytes: Option<u64>,
    /// The body's SHA-256, hex, of the last request that ended; `bodies_differ` says whether
    /// the requests agreed on it.
    pub sha256: Option<String>,
    /// Whether two complete bodies had different hashes.
    pub bodies_differ: bool,
    /// What went wrong, one line per failed request.
    pub errors: Vec<String>,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

fn client() -> Result<HttpsClient, String> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| format!("no TLS root certificates on this machine: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(hyper_util::rt::TokioExecutor::new()).build(https))
}

/// One request: status, TTFB, total, bytes, hash.
async fn once(
    client: &HttpsClient,
    uri: &http::Uri,
) -> Result<(u16, Option<Duration>, Duration, u64, String), String> {
    let started = Instant::now();
    let request = http::Request::get(uri.clone())
        .header(
            "user-agent",
            concat!("lambda-stream-lab/", env!("CARGO_PKG_VERSION")),
        )
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let response = client
        .request(request)
        .await
        .map_err(|e| aws_smithy_types::error::display::DisplayErrorContext(e).to_string())?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut hash = Sha256::new();
    let mut bytes = 0u64;
    let mut ttfb = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("the body broke off after {bytes} bytes: {e}"))?;
        if let Ok(data) = frame.into_data() {
            if ttfb.is_none() && !data.is_empty() {
                ttfb = Some(started.elapsed());
            }
            bytes += data.len() as u64;
            hash.update(&data);
        }
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((status, ttfb, started.elapsed(), bytes, hex))
}

/// Makes `requests` requests to `url`, one after the other, each within `timeout`.
///
/// # Errors
///
/// A URL that is not `http://` or `https://`, or a machine without TLS roots.
pub async fn measure(url: &str, requests: usize, timeout: Duration) -> Result<UrlStats, String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("--url {url:?}: expected an http:// or https:// URL ({e})"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(format!(
            "--url {url:?}: expected an http:// or https:// URL"
        ));
    }
    let client = client()?;
    let mut stats = UrlStats {
        url: url.to_owned(),
        requests,
        statuses: Vec::new(),
        ttfb_ms: None,
        total_ms: None,
        body_bytes: None,
        sha256: None,
        bodies_differ: false,
        errors: Vec::new(),
    };
    let (mut ttfbs, mut totals) = (Vec::new(), Vec::new());
    for i in 0..requests {
        match tokio::time::timeout(timeout, once(&client, &uri)).await {
            Err(_) => {
                stats.statuses.push(0);
                stats.errors.push(format!(
                    "request {}: no answer within {} s",
                    i + 1,
                    timeout.as_secs_f64()
                ));
            }
            Ok(Err(e)) => {
                stats.statuses.push(0);
                stats.errors.push(format!("request {}: {e}", i + 1));
            }
            Ok(Ok((status, ttfb, total, bytes, hash))) => {
                stats.statuses.push(status);
                if let Some(t) = ttfb {
                    ttfbs.push(t.as_secs_f64() * 1e3);
                }
                totals.push(total.as_secs_f64() * 1e3);
                if stats.sha256.as_ref().is_some_and(|h| *h != hash) {
                    stats.bodies_differ = true;
                }
                stats.body_bytes = Some(bytes);
                stats.sha256 = Some(hash);
            }
        }
    }
    stats.ttfb_ms = Spread::of(ttfbs);
    stats.total_ms = Spread::of(totals);
    Ok(stats)
}

/// The measurements as a table.
pub fn print(all: &[UrlStats]) {
    for s in all {
        println!("{}", s.url);
        let statuses: Vec<String> = s.statuses.iter().map(u16::to_string).collect();
        println!("  statuses      {}", statuses.join(" "));
        let spread = |x: Option<Spread>| {
            x.map_or("-".to_owned(), |x| {
                format!("{:.1} / {:.1} / {:.1}", x.min, x.median, x.max)
            })
        };
        println!("  TTFB ms       {} (min / median / max)", spread(s.ttfb_ms));
        println!(
            "  total ms      {} (min / median / max)",
            spread(s.total_ms)
        );
        match (&s.body_bytes, &s.sha256) {
            (Some(bytes), Some(hash)) => println!(
                "  body          {bytes} bytes, SHA-256 {hash}{}",
                if s.bodies_differ {
                    " (the bodies differed between requests)"
                } else {
                    ""
                }
            ),
            _ => println!("  body          none completed"),
        }
        for e in &s.errors {
            println!("  error         {e}");
        }
        println!();
    }
}
