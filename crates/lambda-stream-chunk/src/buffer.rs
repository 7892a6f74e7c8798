//! Room in a reused `BytesMut`, without the doubling of `BytesMut::reserve`.

use bytes::BytesMut;

/// Makes `buf` able to hold `frame` bytes in all, its current contents included, and
/// returns how many bytes had to be copied to do so.
///
/// Takes back the buffer's allocation when every frame split off it has been dropped;
/// otherwise moves the contents (fewer than `frame` bytes) to a fresh allocation of exactly
/// `frame` bytes. `BytesMut::reserve` could instead double an allocation that frames still
/// share, which would break the memory bounds the adapters document.
pub(crate) fn make_room(buf: &mut BytesMut, frame: usize) -> usize {
    let additional = frame.saturating_sub(buf.len());
    if buf.capacity() - buf.len() >= additional || buf.try_reclaim(additional) {
        return 0;
    }
    let mut fresh = BytesMut::with_capacity(frame);
    fresh.extend_from_slice(buf);
    let moved = buf.len();
    *buf = fresh;
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reclaims_when_frames_are_gone_and_allocates_exactly_otherwise() {
        let mut buf = BytesMut::new();
        assert_eq!(make_room(&mut buf, 100), 0);
        assert_eq!(buf.capacity(), 100);
        buf.extend_from_slice(&[1; 100]);
        let first = buf.as_ptr();
        let frame = buf.split().freeze();
        // The frame still shares the allocation: a new one of exactly 100 bytes.
        assert_eq!(make_room(&mut buf, 100), 0);
        assert_eq!(buf.capacity(), 100);
        assert_ne!(buf.as_ptr(), first);
        drop(frame);
        // Frames dropped: the allocation is taken back, partial contents moved to its front.
        buf.extend_from_slice(&[2; 30]);
        let second = buf.as_ptr();
        drop(buf.split_to(25).freeze());
        assert_eq!(make_room(&mut buf, 100), 0);
        assert_eq!(buf.as_ptr(), second);
        assert_eq!(&buf[..], &[2; 5]);
        assert_eq!(buf.capacity(), 100);
    }

    #[test]
    fn moves_a_partial_frame_when_the_allocation_is_shared() {
        let mut buf = BytesMut::with_capacity(100);
        buf.extend_from_slice(&[1; 90]);
        let frame = buf.split_to(80).freeze();
        assert_eq!(make_room(&mut buf, 100), 10);
        assert_eq!(buf.capacity(), 100);
        assert_eq!(&buf[..], &[1; 10]);
        drop(frame);
    }
}
