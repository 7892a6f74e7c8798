//! `Framer`: the buffering state of a [`Rechunk`](crate::Rechunk), apart from its source:
//! which frame to emit next from the chunks it was given.

#[cfg(feature = "time")]
use std::pin::Pin;
use std::task::Context;

use bytes::{Bytes, BytesMut};

#[cfg(feature = "time")]
use crate::config::FlushPolicy;
use crate::config::RechunkConfig;

#[cfg(feature = "time")]
type Timer = Option<Pin<Box<tokio::time::Sleep>>>;
#[cfg(not(feature = "time"))]
type Timer = ();

/// The buffering state of a [`Rechunk`], apart from its source.
pub(crate) struct Framer {
    pub(crate) config: RechunkConfig,
    /// Copied bytes of the frame being built; shorter than `min` between polls.
    pub(crate) buf: BytesMut,
    /// A chunk shorter than `min` that arrived with nothing buffered, kept as it is: it is
    /// copied only if another chunk comes to be coalesced with it, and sent untouched if a
    /// flush comes first. Never non-empty together with `buf`.
    pub(crate) held: Bytes,
    /// The part of the latest upstream chunk not yet handled.
    pub(crate) carry: Bytes,
    pub(crate) copied: u64,
    /// The flush deadline, armed when the first byte is copied into an empty `buf`. Boxed
    /// once, then reset, so arming never allocates again.
    #[cfg_attr(not(feature = "time"), allow(dead_code))]
    pub(crate) timer: Timer,
}

impl Framer {
    pub(crate) fn new(config: RechunkConfig) -> Self {
        Framer {
            config,
            buf: BytesMut::new(),
            held: Bytes::new(),
            carry: Bytes::new(),
            copied: 0,
            timer: Timer::default(),
        }
    }

    /// The next frame that can be made from `carry`, or `None` once all of it was handled
    /// (held, or copied into `buf`, to be completed by later chunks).
    ///
    /// Afterwards `carry` is empty or nothing is pending; fewer than `min` bytes are.
    pub(crate) fn frame_from_carry(&mut self) -> Option<Bytes> {
        let (min, max) = (self.config.min(), self.config.max());
        while !self.carry.is_empty() {
            let len = self.carry.len();
            if !self.has_pending() {
                if len < min {
                    // Keep it as it is; a flush may send it without a copy.
                    self.held = std::mem::take(&mut self.carry);
                    self.arm();
                    return None;
                }
                if len <= max {
                    return Some(std::mem::take(&mut self.carry));
                }
                let cut = if len - max >= min {
                    max
                } else if len - min >= min && len - min <= max {
                    // Two in-band pieces instead of `max` and a tail shorter than `min`.
                    len - min
                } else {
                    max
                };
                return Some(self.carry.split_to(cut));
            }
            if !self.held.is_empty() {
                // Coalescing is needed after all: the held chunk goes first.
                let held = std::mem::take(&mut self.held);
                self.append(&held);
            }
            let need = min - self.buf.len();
            let take = if len <= need || len - need >= min {
                len.min(need)
            } else {
                // Taking only `need` would leave a tail shorter than `min` to copy next;
                // take it now if the frame has room.
                len.min(max - self.buf.len())
            };
            let was_empty = self.buf.is_empty();
            let carry = std::mem::take(&mut self.carry);
            self.append(&carry[..take]);
            self.carry = carry.slice(take..);
            if was_empty {
                self.arm();
            }
            if self.buf.len() >= min {
                return Some(self.take_buf());
            }
        }
        None
    }

    /// Whether bytes wait to be sent (held or copied).
    #[inline]
    pub(crate) fn has_pending(&self) -> bool {
        !self.buf.is_empty() || !self.held.is_empty()
    }

    /// Copies `bytes` to the end of `buf`.
    pub(crate) fn append(&mut self, bytes: &[u8]) {
        if self.buf.capacity() - self.buf.len() < bytes.len() {
            // A frame built by copying never reaches `2 * min` (it is sent once it holds
            // `min` bytes, and a copy adds less than `min` past that) nor `max`: room for
            // that, so the partial frame is never moved.
            let (min, max) = (self.config.min(), self.config.max());
            let room = (2 * min).min(max).max(self.buf.len() + bytes.len());
            self.copied += crate::buffer::make_room(&mut self.buf, room) as u64;
        }
        self.buf.extend_from_slice(bytes);
        self.copied += bytes.len() as u64;
    }

    #[inline]
    pub(crate) fn in_band(&self, len: usize) -> bool {
        self.config.min() <= len && len <= self.config.max()
    }

    /// What is pending, as one frame: the held chunk as it is, or the copied bytes.
    pub(crate) fn take_buf(&mut self) -> Bytes {
        if !self.held.is_empty() {
            return std::mem::take(&mut self.held);
        }
        self.buf.split().freeze()
    }

    #[cfg(feature = "time")]
    pub(crate) fn arm(&mut self) {
        if let FlushPolicy::Deadline(delay) = self.config.flush_policy() {
            let deadline = tokio::time::Instant::now() + delay;
            match &mut self.timer {
                Some(sleep) => sleep.as_mut().reset(deadline),
                None => self.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
        }
    }

    #[cfg(not(feature = "time"))]
    pub(crate) fn arm(&mut self) {}

    /// Whether a deadline policy says the buffered bytes must go now. Registers the task
    /// for the deadline otherwise.
    #[cfg(feature = "time")]
    pub(crate) fn deadline_passed(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.has_pending() {
            return false;
        }
        match &mut self.timer {
            Some(sleep) if matches!(self.config.flush_policy(), FlushPolicy::Deadline(_)) => {
                sleep.as_mut().poll(cx).is_ready()
            }
            _ => false,
        }
    }

    #[cfg(not(feature = "time"))]
    pub(crate) fn deadline_passed(&mut self, _cx: &mut Context<'_>) -> bool {
        false
    }
}

#[cfg(feature = "time")]
use std::future::Future as _;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FlushPolicy;

    fn frames(min: usize, max: usize, chunks: &[usize]) -> (Vec<usize>, u64) {
        let mut core = Framer::new(
            RechunkConfig::new(min, max)
                .unwrap()
                .flush(FlushPolicy::Never),
        );
        let mut out = Vec::new();
        for &n in chunks {
            core.carry = Bytes::from(vec![0u8; n]);
            while let Some(f) = core.frame_from_carry() {
                out.push(f.len());
            }
            assert!(core.buf.len() + core.held.len() < min);
        }
        if core.has_pending() {
            out.push(core.take_buf().len());
        }
        (out, core.copied)
    }

    #[test]
    fn in_band_chunks_pass_and_big_ones_are_cut_without_copies() {
        assert_eq!(frames(4, 8, &[5, 8, 4]), (vec![5, 8, 4], 0));
        assert_eq!(frames(4, 8, &[16]), (vec![8, 8], 0));
        // 19 = 8 + 8 + 3 would leave 3 < min; 8 + 7 + 4 keeps every piece in band.
        assert_eq!(frames(4, 8, &[19]), (vec![8, 7, 4], 0));
        assert_eq!(frames(4, 8, &[9]), (vec![5, 4], 0));
    }

    #[test]
    fn narrow_band_holds_the_short_tail_without_a_copy() {
        // max < 2 * min: 7 cannot be cut into two pieces of 4..=5; the tail of 2 is held,
        // and sent as it is at the end.
        assert_eq!(frames(4, 5, &[7]), (vec![5, 2], 0));
    }

    #[test]
    fn small_chunks_are_coalesced_up_to_min() {
        // The first chunk is held and copied when the second comes; the last is held and
        // sent as it is.
        assert_eq!(frames(4, 8, &[1, 1, 1, 1, 1]), (vec![4, 1], 4));
        // 3 buffered + 6: taking 1 would leave 5 (fine, >= min).
        assert_eq!(frames(4, 8, &[3, 6]), (vec![4, 5], 4));
        // 3 buffered + 4: taking 1 would leave 3 < min, so take all 4 (frame of 7).
        assert_eq!(frames(4, 8, &[3, 4]), (vec![7], 7));
        // 3 buffered + 8: take 1, the other 7 pass untouched.
        assert_eq!(frames(4, 8, &[3, 8]), (vec![4, 7], 4));
        // 3 buffered + 4 with max 5: fill the frame to max, hold the 2 left.
        assert_eq!(frames(4, 5, &[3, 4]), (vec![5, 2], 5));
    }
}
