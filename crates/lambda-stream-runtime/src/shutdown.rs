//! Graceful shutdown ([`Runtime::on_shutdown`](crate::Runtime::on_shutdown)).
//!
//! Lambda sends `SIGTERM` at the end of an execution environment only to a function that
//! registered an extension, and then allows 500 ms (internal extensions only) before
//! `SIGKILL` (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-shutdown>).
//! So the runtime registers an internal extension subscribed to no events (the Extensions
//! API, <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html>), whose
//! `next` request then waits for the environment's whole life; and on `SIGTERM` (or
//! `SIGINT`, for a developer's Ctrl-C) it stops taking invocations, lets those in flight
//! finish within the grace period, ends those still running with error trailers, and runs
//! the user's hook.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use http::HeaderValue;
use tokio_util::sync::CancellationToken;

use crate::api::{self, EXTENSION_ID};
use crate::client::Client;
use crate::endpoint::Endpoint;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What runs once the invocations in flight are done or cut: the user's hook.
pub(crate) type Hook = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send>;

/// The default grace period for invocations in flight: of Lambda's 500 ms, it leaves
/// 200 ms for the cut responses' trailers and the hook.
pub(crate) const DEFAULT_GRACE: Duration = Duration::from_millis(300);

/// How long the responses cut at the end of the grace period have to send their trailers.
pub(crate) const CUT_LIMIT: Duration = Duration::from_millis(50);

/// The error type of an invocation ended by the shutdown.
pub(crate) const SHUTDOWN_ERROR: &str = "Runtime.Shutdown";

/// The name the runtime's internal extension registers under.
const EXTENSION_NAME: &str = "lambda-stream-runtime-shutdown";

/// The two steps of a shutdown, as every invocation slot sees them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tokens {
    /// No more invocations are taken: a slot waiting for one stops.
    pub(crate) stopping: CancellationToken,
    /// The grace period is over: a handler still running is dropped and reported, a body
    /// still streaming ends with the error trailers.
    pub(crate) cut: CancellationToken,
}

/// Registers the internal extension; its identifier.
pub(crate) async fn register(
    client: &mut Client,
    endpoint: &Endpoint,
) -> Result<HeaderValue, BoxError> {
    let request = api::extension_register(endpoint, EXTENSION_NAME)?;
    let (parts, body) = client.send(endpoint, request).await?;
    if !parts.status.is_success() {
        return Err(format!(
            "the Extensions API refused to register an extension: {} {}",
            parts.status,
            String::from_utf8_lossy(&body)
        )
        .into());
    }
    parts
        .headers
        .get(EXTENSION_ID)
        .cloned()
        .ok_or_else(|| format!("the Extensions API registered no `{EXTENSION_ID}`").into())
}

/// The extension's side of the environment's life: its `next` request, which Lambda
/// answers for an extension subscribed to no events only when the environment ends (a
/// `SHUTDOWN` event, were it subscribed). Returns when it is answered; never when it fails
/// (the signal still ends the runtime).
pub(crate) async fn extension_next(mut client: Client, endpoint: &Endpoint, id: &HeaderValue) {
    let answered = async {
        let request = api::extension_next(endpoint, id)?;
        client.send(endpoint, request).await
    }
    .await;
    match answered {
        Ok((parts, _)) if parts.status.is_success() => {}
        Ok((parts, body)) => {
            tracing::warn!(target: "lambda_stream_runtime", status = parts.status.as_u16(), answer = %String::from_utf8_lossy(&body), "the Extensions API refused the extension's next request");
            std::future::pending::<()>().await;
        }
        Err(e) => {
            tracing::warn!(target: "lambda_stream_runtime", error = %e, "the extension's next request failed");
            std::future::pending::<()>().await;
        }
    }
}

/// `SIGTERM` or `SIGINT` (Ctrl-C elsewhere than on Unix); never, when they cannot be
/// listened for (said once in the log).
pub(crate) async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(target: "lambda_stream_runtime", error = %e, "cannot listen for SIGTERM: no graceful shutdown");
                std::future::pending::<()>().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(target: "lambda_stream_runtime", error = %e, "cannot listen for Ctrl-C: no graceful shutdown");
            std::future::pending::<()>().await;
        }
    }
}
