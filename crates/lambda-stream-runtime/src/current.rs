//! The invocation a task is serving, kept with the invocation's future rather than in the
//! process: several invocations run at once under Lambda Managed Instances, and each must
//! see its own trace id and tenant id.

use std::sync::Arc;

use lambda_runtime::Context;

tokio::task_local! {
    pub(crate) static CURRENT: Arc<Context>;
}

/// The `Context` of the invocation being served where this is called: while the service's
/// future, or the response body, of an invocation is polled by the runtime; `None`
/// elsewhere (in a task the handler spawned, say: hand it the request's `Context`).
///
/// It is the same `Context` the request carries (`lambda_http::RequestExt::lambda_context`),
/// for code that has no request at hand: a body's stream, a logging layer, an SDK
/// interceptor that passes the X-Ray trace id on. Under concurrency each invocation sees
/// its own; nothing is put into the process's environment (this runtime never sets
/// `_X_AMZN_TRACE_ID`).
///
/// ```
/// // Outside an invocation there is none.
/// assert!(lambda_stream_runtime::current_context().is_none());
/// ```
pub fn current_context() -> Option<Arc<Context>> {
    CURRENT.try_with(Arc::clone).ok()
}
