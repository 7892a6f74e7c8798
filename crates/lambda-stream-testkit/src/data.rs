//! Deterministic object contents and the reference sizes.

use bytes::Bytes;

/// The object sizes of the published experiment: 0.2 MB, 4.4 MB and 13.8 MB (decimal).
pub const REFERENCE_SIZES: [usize; 3] = [200_000, 4_400_000, 13_800_000];

/// The largest response Lambda streams: 200 MB (decimal), used by benches.
pub const MAX_STREAMED: usize = 200_000_000;

/// `len` bytes of a deterministic pseudo-random pattern (xorshift64*), so that a byte moved,
/// repeated or dropped anywhere changes the content.
pub fn pattern(len: usize) -> Bytes {
    let mut out = Vec::with_capacity(len);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let word = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
        let take = word.len().min(len - out.len());
        out.extend_from_slice(&word[..take]);
    }
    Bytes::from(out)
}

/// `data` cut into slices of `sizes` bytes, cycled (the last may be shorter): views of
/// `data`, no copies. Zero sizes are taken as 1; no sizes at all, as one slice of all of it.
pub fn slices(data: &Bytes, sizes: &[usize]) -> Vec<Bytes> {
    if sizes.is_empty() {
        return slices(data, &[data.len()]);
    }
    let mut out = Vec::new();
    let mut at = 0;
    for &size in sizes.iter().cycle() {
        if at >= data.len() {
            break;
        }
        let n = size.max(1).min(data.len() - at);
        out.push(data.slice(at..at + n));
        at += n;
    }
    out
}

/// Human form of a size in decimal megabytes, as the reference sizes are quoted: `4.4 MB`.
pub fn megabytes(len: usize) -> String {
    format!("{:.1} MB", len as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_the_data_without_copies() {
        let data = pattern(1000);
        let cut = slices(&data, &[300, 0, 450]);
        let lens: Vec<usize> = cut.iter().map(Bytes::len).collect();
        assert_eq!(lens, [300, 1, 450, 249]);
        assert_eq!(cut.concat(), data[..]);
        assert_eq!(cut[1].as_ptr(), data[300..].as_ptr());
        assert!(slices(&Bytes::new(), &[5]).is_empty());
        assert_eq!(slices(&data, &[]), std::slice::from_ref(&data));
    }

    #[test]
    fn pattern_is_deterministic_and_not_periodic_on_small_strides() {
        let a = pattern(100_000);
        assert_eq!(a, pattern(100_000));
        assert_eq!(&a[..1000], &pattern(1000)[..]);
        for stride in [1, 2, 251, 256, 4096] {
            assert_ne!(&a[..1000], &a[stride..stride + 1000], "stride {stride}");
        }
        assert_eq!(megabytes(4_400_000), "4.4 MB");
    }
}
