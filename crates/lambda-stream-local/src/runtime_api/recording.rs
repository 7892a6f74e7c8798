//! A connection that records what it reads, byte for byte, and can end with a reset.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Shared between a connection's IO and its requests.
pub(super) struct Control {
    /// The bytes read since the last `take_raw`, when recording.
    pub(super) raw: Option<Mutex<BytesMut>>,
    /// Reset the connection (RST) when it closes.
    pub(super) reset: AtomicBool,
}

impl Control {
    pub(super) fn take_raw(&self) -> Bytes {
        self.raw
            .as_ref()
            .map(|r| {
                r.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .split()
                    .freeze()
            })
            .unwrap_or_default()
    }
}

/// A TCP stream that records what it reads, and closes with a reset when told to.
pub(super) struct Recording {
    stream: TcpStream,
    pub(super) control: Arc<Control>,
}

impl Recording {
    pub(super) fn new(stream: TcpStream, record: bool) -> Self {
        Recording {
            stream,
            control: Arc::new(Control {
                raw: record.then(|| Mutex::new(BytesMut::new())),
                reset: AtomicBool::new(false),
            }),
        }
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if self.control.reset.load(Ordering::SeqCst) {
            // Closing with SO_LINGER 0 sends RST instead of FIN.
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for Recording {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Some(raw)) = (&polled, &self.control.raw) {
            raw.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(&buf.filled()[before..]);
        }
        polled
    }
}

impl AsyncWrite for Recording {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
