//! Peak heap and allocation counts, through the `allocation-counter` crate.
//!
//! With feature `heap`, linking this crate installs that crate's counting global
//! allocator (and only then: a binary that links the test kit without it, such as a fuzz
//! target, keeps the system allocator). Counts are kept per
//! thread: [`measure`] sees the allocations made by the calling thread while the closure
//! runs, which is exact for code driven on a current-thread runtime and unaffected by tests
//! running in parallel on other threads.

pub use allocation_counter::AllocationInfo;

/// What [`measure`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapStats {
    /// Most bytes held at once by allocations made inside the closure.
    pub peak_bytes: u64,
    /// Number of allocations made inside the closure.
    pub allocations: u64,
    /// Total bytes requested by those allocations.
    pub allocated_bytes: u64,
    /// Bytes still held when the closure returned (allocated inside, not freed).
    pub retained_bytes: i64,
}

/// Runs `f` and reports the heap use of the calling thread while it ran.
///
/// ```
/// let (v, stats) = lambda_stream_testkit::heap::measure(|| vec![0u8; 4096]);
/// assert_eq!(v.len(), 4096);
/// assert!(stats.peak_bytes >= 4096);
/// assert_eq!(stats.allocations, 1);
/// ```
///
/// A panic inside `f` propagates after the counter's bookkeeping is restored, so that
/// proptest can shrink a failing case that measures the heap.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, HeapStats) {
    let mut out = None;
    let info = allocation_counter::measure(|| {
        out = Some(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    let out = out.map(|r| r.unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
    let stats = HeapStats {
        peak_bytes: info.bytes_max,
        allocations: info.count_total,
        allocated_bytes: info.bytes_total,
        retained_bytes: info.bytes_current,
    };
    match out {
        Some(r) => (r, stats),
        // `allocation_counter::measure` calls the closure exactly once before returning.
        None => unreachable!("measure ran the closure"),
    }
}

/// Runs `f` without counting its allocations (setup inside a measured region).
pub fn unmeasured<R>(f: impl FnOnce() -> R) -> R {
    let mut out = None;
    allocation_counter::opt_out(|| out = Some(f()));
    match out {
        Some(r) => r,
        None => unreachable!("opt_out ran the closure"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_counts_what_is_held_at_once() {
        let ((), stats) = measure(|| {
            for _ in 0..10 {
                drop(std::hint::black_box(vec![1u8; 10_000]));
            }
        });
        assert_eq!(stats.allocations, 10);
        assert_eq!(stats.allocated_bytes, 100_000);
        assert!((10_000..20_000).contains(&stats.peak_bytes), "{stats:?}");
        assert_eq!(stats.retained_bytes, 0);
        let ((), stats) = measure(|| drop(unmeasured(|| vec![0u8; 1 << 20])));
        assert!(stats.peak_bytes < 1 << 20, "{stats:?}");
    }
}
