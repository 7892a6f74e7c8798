//! Shared by the criterion benchmarks in `benches/` and the `ratios` report.

pub mod function;

use std::sync::OnceLock;

use bytes::Bytes;
use lambda_stream_testkit::data::{MAX_STREAMED, REFERENCE_SIZES, pattern};

/// The sizes every benchmark runs at: the three reference sizes and 200 MB.
pub const BENCH_SIZES: [usize; 4] = [
    REFERENCE_SIZES[0],
    REFERENCE_SIZES[1],
    REFERENCE_SIZES[2],
    MAX_STREAMED,
];

/// A 200 MB object (made once); smaller sizes are prefixes of it.
pub fn object() -> &'static Bytes {
    static OBJECT: OnceLock<Bytes> = OnceLock::new();
    OBJECT.get_or_init(|| pattern(MAX_STREAMED))
}

/// `4.4MB`, as benchmark ids spell sizes.
pub fn size_label(size: usize) -> String {
    lambda_stream_testkit::data::megabytes(size).replace(' ', "")
}
