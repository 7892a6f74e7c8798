//! Lambda's limits on a function's response (and its request): part of the AWS contract, spelled once for
//! every crate of the workspace (the facade's budget, the lab's model of the wire, the
//! local Lambda of the tests).
//!
//! Source: the AWS Lambda Developer Guide, "Lambda quotas" (payload sizes) and "Response
//! streaming for Lambda functions" (the streamed limit, its bandwidth, the prelude).

/// The most a streamed response may carry: 200 MiB (209,715,200 bytes), prelude included.
pub const MAX_STREAMED_RESPONSE_BYTES: u64 = 200 * 1024 * 1024;

/// The first bytes of a streamed response go out at full speed: 6 MB.
pub const FULL_SPEED_BYTES: u64 = 6_000_000;

/// Through an API Gateway REST API in streaming mode, the first 10 MB go out at full speed
/// (then [`THROTTLED_BYTES_PER_SECOND`]). Source: the API Gateway Developer Guide, "Stream
/// the integration response for your proxy integrations".
pub const REST_FULL_SPEED_BYTES: u64 = 10_000_000;

/// After [`FULL_SPEED_BYTES`], a streamed response goes out at most this fast: 2 MB/s.
pub const THROTTLED_BYTES_PER_SECOND: u64 = 2_000_000;

/// The most a buffered response may carry: 6 MB (6,291,456 bytes of the JSON the runtime
/// posts, base64 included).
pub const MAX_BUFFERED_RESPONSE_BYTES: u64 = 6 * 1024 * 1024;

/// The most a synchronous invocation's request may carry: 6 MB (6,291,456 bytes), as for a
/// buffered response.
pub const MAX_REQUEST_BYTES: u64 = 6 * 1024 * 1024;

/// The prelude's delimiter must end within a streamed response's first 16 KiB.
pub const MAX_PRELUDE_LEN: usize = 16 * 1024;
