//! Criterion benchmarks of the lambda-stream crates; see `benches/`.
