//! Graceful shutdown: when Lambda ends the execution environment, responses in flight
//! finish (or, past the grace period, end with error trailers), then a hook runs, here to
//! flush what a function keeps in memory (metrics, traces, a batch of logs).
//!
//! - `GET /count/{n}` streams `n` lines, 10 ms apart.
//! - `GET /slow` answers after 10 s (a backend that keeps it waiting): at shutdown it is
//!   reported as `Runtime.Shutdown` before its first byte.
//!
//! `on_shutdown` registers an internal extension, without which Lambda sends no `SIGTERM`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use lambda_stream::{MetadataPrelude, StreamError};
use lambda_stream_runtime::Runtime;
use lambda_stream_runtime::lambda_http::{Error, Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // What the hook flushes: here, a count of the lines served.
    let served = Arc::new(AtomicU64::new(0));
    let counter = served.clone();
    let handler = service_fn(move |request: Request| {
        let counter = counter.clone();
        async move {
            if request.uri().path() == "/slow" {
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
            let n: u64 = request
                .uri()
                .path()
                .strip_prefix("/count/")
                .and_then(|n| n.parse().ok())
                .unwrap_or(3);
            let lines = stream::iter(0..n).then(move |i| {
                let counter = counter.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    counter.fetch_add(1, Ordering::Relaxed);
                    Ok::<_, StreamError>(Bytes::from(format!("line {i}\n")))
                }
            });
            let prelude = MetadataPrelude::builder()
                .header("Content-Type", "text/plain")
                .build()?;
            Ok::<_, Error>(lambda_stream::response(prelude, lines))
        }
    });
    Runtime::from_env()?
        .on_shutdown(move || async move {
            // A real hook would send these to its backend, within Lambda's deadline.
            let lines = served.load(Ordering::Relaxed);
            eprintln!("shutdown hook: flushed a count of {lines} lines served");
        })
        .run(handler)
        .await?;
    eprintln!("the runtime has shut down");
    Ok(())
}
