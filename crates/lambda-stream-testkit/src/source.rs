//! Scripted byte sources.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Complete,
    ErrorAt(usize),
    TruncateAt(usize),
}

/// How a [`ScriptedSource`] hands out its bytes.
///
/// ```
/// use futures_util::StreamExt;
/// use lambda_stream_testkit::Script;
///
/// # futures_executor::block_on(async {
/// let (source, probe) = Script::new(&b"hello world"[..]).chunk_sizes([3, 1]).error_at(6).build();
/// let items: Vec<_> = source.collect().await;
/// assert_eq!(items.len(), 4); // "hel", "l", "o ", then the error
/// assert_eq!(items[3].as_ref().unwrap_err().offset(), 6);
/// assert_eq!(probe.bytes_yielded(), 6);
/// # });
/// ```
#[derive(Debug, Clone)]
#[must_use = "a script does nothing until `build` is called"]
pub struct Script {
    data: Bytes,
    sizes: Vec<usize>,
    pendings: Vec<u32>,
    end: End,
    allocate: bool,
}

impl Script {
    /// A script that yields all of `data` in one chunk, then ends.
    pub fn new(data: impl Into<Bytes>) -> Self {
        Script {
            data: data.into(),
            sizes: Vec::new(),
            pendings: Vec::new(),
            end: End::Complete,
            allocate: false,
        }
    }

    /// Chunk sizes, used in turn and then cycled. A 0 yields an empty chunk (real sources
    /// do that); a list of only zeros is ignored (the data would never advance).
    pub fn chunk_sizes(mut self, sizes: impl IntoIterator<Item = usize>) -> Self {
        self.sizes = sizes.into_iter().collect();
        if self.sizes.iter().all(|&s| s == 0) {
            self.sizes.clear();
        }
        self
    }

    /// How many `Pending`s to return before each item (chunk, error or end), cycled. Each
    /// `Pending` wakes the task at once, as a source whose next bytes are already on their way.
    pub fn pendings(mut self, counts: impl IntoIterator<Item = u32>) -> Self {
        self.pendings = counts.into_iter().collect();
        self
    }

    /// Yields the first `offset` bytes, then a [`ScriptError`] instead of the rest.
    pub fn error_at(mut self, offset: usize) -> Self {
        self.end = End::ErrorAt(offset.min(self.data.len()));
        self
    }

    /// Yields the first `offset` bytes, then ends as if that were all (a silent truncation).
    pub fn truncate_at(mut self, offset: usize) -> Self {
        self.end = End::TruncateAt(offset.min(self.data.len()));
        self
    }

    /// Hands out each chunk in a fresh allocation (a copy), as a network client does,
    /// instead of a slice of the script's data; heap measurements then see the chunks.
    pub fn allocate_chunks(mut self) -> Self {
        self.allocate = true;
        self
    }

    /// The source, and a probe to watch it from outside.
    pub fn build(self) -> (ScriptedSource, Probe) {
        let probe = Probe::default();
        let (limit, fail) = match self.end {
            End::Complete => (self.data.len(), false),
            End::ErrorAt(n) => (n, true),
            End::TruncateAt(n) => (n, false),
        };
        let pending_left = self.pendings.first().copied().unwrap_or(0);
        let source = ScriptedSource {
            data: self.data,
            sizes: self.sizes,
            pendings: self.pendings,
            pos: 0,
            limit,
            fail,
            step: 0,
            pending_left,
            finished: false,
            allocate: self.allocate,
            probe: probe.clone(),
        };
        (source, probe)
    }
}

/// The error a [`ScriptedSource`] yields at the offset given to [`Script::error_at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptError {
    offset: usize,
}

impl ScriptError {
    /// Bytes yielded before the error.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scripted source failed after {} bytes", self.offset)
    }
}

impl std::error::Error for ScriptError {}

/// As a connection reset, the failure it stands for.
impl From<ScriptError> for std::io::Error {
    fn from(e: ScriptError) -> Self {
        std::io::Error::new(std::io::ErrorKind::ConnectionReset, e)
    }
}

/// A `Stream<Item = Result<Bytes, ScriptError>>` that follows a [`Script`]. Chunks are
/// zero-copy slices of the script's data.
///
/// After its end or its error it yields `None`, and counts the poll in
/// [`Probe::polls_after_end`].
#[derive(Debug)]
pub struct ScriptedSource {
    data: Bytes,
    sizes: Vec<usize>,
    pendings: Vec<u32>,
    pos: usize,
    limit: usize,
    fail: bool,
    step: usize,
    pending_left: u32,
    finished: bool,
    allocate: bool,
    probe: Probe,
}

impl Stream for ScriptedSource {
    type Item = Result<Bytes, ScriptError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        this.probe.state.polls.fetch_add(1, Ordering::Relaxed);
        if this.finished {
            this.probe
                .state
                .polls_after_end
                .fetch_add(1, Ordering::Relaxed);
            return Poll::Ready(None);
        }
        if this.pending_left > 0 {
            this.pending_left -= 1;
            this.probe.state.pendings.fetch_add(1, Ordering::Relaxed);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.step += 1;
        if !this.pendings.is_empty() {
            this.pending_left = this.pendings[this.step % this.pendings.len()];
        }
        if this.pos < this.limit {
            let size = match this.sizes.len() {
                0 => this.limit - this.pos,
                n => this.sizes[(this.step - 1) % n],
            };
            let end = this.pos + size.min(this.limit - this.pos);
            let chunk = if this.allocate {
                Bytes::copy_from_slice(&this.data[this.pos..end])
            } else {
                this.data.slice(this.pos..end)
            };
            this.pos = end;
            this.probe
                .state
                .bytes
                .fetch_add(chunk.len(), Ordering::Relaxed);
            return Poll::Ready(Some(Ok(chunk)));
        }
        this.finished = true;
        if this.fail {
            Poll::Ready(Some(Err(ScriptError { offset: this.pos })))
        } else {
            Poll::Ready(None)
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.finished {
            (0, Some(0))
        } else {
            (0, None)
        }
    }
}

impl Drop for ScriptedSource {
    fn drop(&mut self) {
        self.probe.state.dropped.store(true, Ordering::Relaxed);
    }
}

#[derive(Debug, Default)]
struct ProbeState {
    polls: AtomicUsize,
    polls_after_end: AtomicUsize,
    pendings: AtomicUsize,
    bytes: AtomicUsize,
    dropped: AtomicBool,
}

/// Watches a [`ScriptedSource`] from outside the pipeline that owns it.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    state: Arc<ProbeState>,
}

impl Probe {
    /// How many times the source was polled.
    pub fn polls(&self) -> usize {
        self.state.polls.load(Ordering::Relaxed)
    }

    /// Polls after the source had ended or failed; a correct consumer makes none.
    pub fn polls_after_end(&self) -> usize {
        self.state.polls_after_end.load(Ordering::Relaxed)
    }

    /// How many times the source returned `Pending`.
    pub fn pendings(&self) -> usize {
        self.state.pendings.load(Ordering::Relaxed)
    }

    /// Bytes the source has handed out.
    pub fn bytes_yielded(&self) -> usize {
        self.state.bytes.load(Ordering::Relaxed)
    }

    /// Whether the source has been dropped.
    pub fn dropped(&self) -> bool {
        self.state.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn run(script: Script) -> (Vec<Result<Bytes, ScriptError>>, Probe, usize) {
        let (mut source, probe) = script.build();
        let mut items = Vec::new();
        let mut pendings = 0;
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        loop {
            match Pin::new(&mut source).poll_next(&mut cx) {
                Poll::Pending => pendings += 1,
                Poll::Ready(Some(item)) => items.push(item),
                Poll::Ready(None) => break,
            }
        }
        (items, probe, pendings)
    }

    #[test]
    fn sizes_cycle_and_pendings_interleave() {
        let (items, probe, pendings) = run(Script::new(vec![7u8; 10])
            .chunk_sizes([4, 1])
            .pendings([1, 0]));
        let sizes: Vec<_> = items.iter().map(|c| c.as_ref().unwrap().len()).collect();
        assert_eq!(sizes, [4, 1, 4, 1]);
        // Pendings before items 1, 3 and the end: [1, 0] cycled over 5 steps.
        assert_eq!(pendings, 3);
        assert_eq!(probe.bytes_yielded(), 10);
        assert_eq!(probe.polls_after_end(), 0);
    }

    #[test]
    fn error_and_truncation() {
        let (items, _, _) = run(Script::new(vec![1u8; 10]).chunk_sizes([3]).error_at(5));
        assert_eq!(items.len(), 3);
        assert_eq!(items[2], Err(ScriptError { offset: 5 }));
        let (items, probe, _) = run(Script::new(vec![1u8; 10]).truncate_at(4));
        assert_eq!(items.len(), 1);
        assert_eq!(probe.bytes_yielded(), 4);
        let (items, _, _) = run(Script::new(vec![1u8; 10]).error_at(0));
        assert_eq!(items, [Err(ScriptError { offset: 0 })]);
    }

    #[test]
    fn empty_chunks_and_probe() {
        let (items, _, _) = run(Script::new(vec![1u8; 2]).chunk_sizes([0, 1]));
        let sizes: Vec<_> = items.iter().map(|c| c.as_ref().unwrap().len()).collect();
        assert_eq!(sizes, [0, 1, 0, 1]);
        let (mut source, probe) = Script::new(Bytes::new()).build();
        futures_executor::block_on(async {
            assert!(source.next().await.is_none());
            assert!(source.next().await.is_none());
        });
        assert_eq!(probe.polls_after_end(), 1);
        assert!(!probe.dropped());
        drop(source);
        assert!(probe.dropped());
    }
}
