//! Error types.

use std::error::Error as StdError;
use std::fmt;

/// Why a header name was refused.
///
/// ```
/// use lambda_stream_prelude::{MetadataPrelude, NameProblem, PreludeError};
///
/// let e = MetadataPrelude::builder().header("X Y", "1").build().unwrap_err();
/// let PreludeError::HeaderName { name, problem } = e else { panic!("{e}") };
/// assert_eq!(name, "X Y");
/// assert_eq!(problem, NameProblem::NotToken { byte: b' ', at: 1 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameProblem {
    /// The name is empty.
    Empty,
    /// The name holds a byte that is not an HTTP token character.
    NotToken {
        /// The offending byte.
        byte: u8,
        /// Its offset inside the name.
        at: usize,
    },
}

/// Why a header value or a cookie was refused.
///
/// ```
/// use lambda_stream_prelude::{MetadataPrelude, PreludeError, ValueProblem};
///
/// let e = MetadataPrelude::builder().cookie("a=1\r\nX-Injected: 1").build().unwrap_err();
/// let PreludeError::Cookie { index, problem } = e else { panic!("{e}") };
/// assert_eq!(index, 0);
/// assert_eq!(problem, ValueProblem::Forbidden { byte: b'\r', at: 3 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueProblem {
    /// The value holds CR, LF, NUL or another control byte (horizontal tab is allowed).
    Forbidden {
        /// The offending byte.
        byte: u8,
        /// Its offset inside the value.
        at: usize,
    },
}

/// Metadata that cannot go into a prelude. Returned before any byte is produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PreludeError {
    /// The status code is outside `100..=599`.
    Status {
        /// The status that was given.
        found: u16,
    },
    /// A header name is not an HTTP token.
    HeaderName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        problem: NameProblem,
    },
    /// A header value cannot be sent.
    HeaderValue {
        /// The header's name.
        name: String,
        /// What is wrong with the value.
        problem: ValueProblem,
    },
    /// A cookie cannot be sent.
    Cookie {
        /// Position of the cookie among the cookies, from 0.
        index: usize,
        /// What is wrong with it.
        problem: ValueProblem,
    },
    /// A hop-by-hop header (or `content-length`) under [`HopByHopPolicy::Reject`](crate::HopByHopPolicy::Reject).
    HopByHop {
        /// The header's name.
        name: String,
    },
    /// The encoded prelude and its delimiter would not fit in the limit.
    TooLarge {
        /// Bytes needed, delimiter included (for an early check: at least this many).
        len: usize,
        /// The limit, [`MAX_PRELUDE_LEN`](crate::MAX_PRELUDE_LEN).
        limit: usize,
    },
}

/// Writes a byte the way the error messages show it: `LF (0x0a)`, `' ' (0x20)`.
struct ShowByte(u8);

impl fmt::Display for ShowByte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0 => "NUL",
            b'\r' => "CR",
            b'\n' => "LF",
            0x7f => "DEL",
            b if b.is_ascii_graphic() || b == b' ' => {
                return write!(f, "'{}' ({:#04x})", b as char, b);
            }
            _ => "byte",
        };
        write!(f, "{name} ({:#04x})", self.0)
    }
}

impl fmt::Display for ValueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ValueProblem::Forbidden { byte, at } => write!(
                f,
                "expected no CR, LF, NUL or other control byte, found {} at byte {at}",
                ShowByte(byte)
            ),
        }
    }
}

impl fmt::Display for PreludeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PreludeError::Status { found } => {
                write!(f, "status code: expected 100..=599, found {found}")
            }
            PreludeError::HeaderName { name, problem } => {
                write!(
                    f,
                    "header name `{}`: expected an HTTP token, ",
                    name.escape_debug()
                )?;
                match *problem {
                    NameProblem::Empty => f.write_str("found an empty name"),
                    NameProblem::NotToken { byte, at } => {
                        write!(f, "found {} at byte {at}", ShowByte(byte))
                    }
                }
            }
            PreludeError::HeaderValue { name, problem } => {
                write!(f, "header `{}` value: {problem}", name.escape_debug())
            }
            PreludeError::Cookie { index, problem } => write!(f, "cookie #{index}: {problem}"),
            PreludeError::HopByHop { name } => write!(
                f,
                "header `{}`: expected an end-to-end header, found a hop-by-hop header that the \
                 Lambda runtime owns on a streamed response (refused by HopByHopPolicy::Reject)",
                name.escape_debug()
            ),
            PreludeError::TooLarge { len, limit } => write!(
                f,
                "prelude: expected at most {limit} bytes including the 8-byte delimiter, found {len}"
            ),
        }
    }
}

impl StdError for PreludeError {}

/// What went wrong while decoding a prelude; see [`DecodeError::kind`].
///
/// ```
/// use bytes::Bytes;
/// use lambda_stream_prelude::{DecodeErrorKind, PreludeDecoder};
///
/// let kind = |wire: &'static [u8]| PreludeDecoder::decode_all(Bytes::from_static(wire)).unwrap_err().kind().clone();
/// assert_eq!(kind(b"{}\0\0"), DecodeErrorKind::Truncated);
/// assert_eq!(kind(b"{}\0\0x"), DecodeErrorKind::Delimiter { found: b'x' });
/// assert!(matches!(kind(b"{\"status\":200}\0\0\0\0\0\0\0\0"), DecodeErrorKind::Json { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended before the delimiter. More bytes might have made it valid:
    /// [`DecodeError::is_eof`] is true.
    Truncated,
    /// No delimiter within the first `limit` bytes.
    TooLarge {
        /// The limit in bytes, delimiter included.
        limit: usize,
    },
    /// A NUL byte started the delimiter but fewer than 8 NUL bytes followed.
    Delimiter {
        /// The byte seen where a NUL was expected.
        found: u8,
    },
    /// The prelude is not JSON of the expected shape (syntax, type, unknown or duplicate key).
    Json {
        /// What the JSON parser reported, without its line and column.
        message: String,
    },
    /// The JSON is well formed but carries metadata that cannot be sent.
    Invalid(PreludeError),
}

/// A prelude that could not be decoded, and where.
///
/// `Display` names what was expected and what was seen, with the byte offset from the start
/// of the response stream.
///
/// ```
/// use bytes::Bytes;
/// use lambda_stream_prelude::{DecodeErrorKind, PreludeDecoder};
///
/// let mut decoder = PreludeDecoder::new();
/// decoder.decode(Bytes::from_static(b"{\"statusCode\":200}\0\0\0"))?;
/// let e = decoder.finish().unwrap_err();
/// assert_eq!(e.kind(), &DecodeErrorKind::Truncated);
/// assert_eq!(e.offset(), 21);
/// assert!(e.is_eof());
/// assert_eq!(
///     e.to_string(),
///     "prelude truncated: expected the 8-byte NUL delimiter, found the end of the stream after 21 bytes"
/// );
/// # Ok::<(), lambda_stream_prelude::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    kind: DecodeErrorKind,
    offset: usize,
}

impl DecodeError {
    pub(crate) fn new(kind: DecodeErrorKind, offset: usize) -> Self {
        DecodeError { kind, offset }
    }

    /// What went wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.kind
    }

    /// Offset of the rejected byte from the start of the stream (for
    /// [`Truncated`](DecodeErrorKind::Truncated): how many bytes were seen).
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Whether the input only ended too early, so that more bytes might have made it valid
    /// (as serde_json's `is_eof`). Every other error is final.
    pub fn is_eof(&self) -> bool {
        matches!(self.kind, DecodeErrorKind::Truncated)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match &self.kind {
            DecodeErrorKind::Truncated => write!(
                f,
                "prelude truncated: expected the 8-byte NUL delimiter, found the end of the \
                 stream after {at} bytes"
            ),
            DecodeErrorKind::TooLarge { limit } => write!(
                f,
                "prelude too large: expected the 8-byte NUL delimiter within the first {limit} \
                 bytes, found none"
            ),
            DecodeErrorKind::Delimiter { found } => write!(
                f,
                "prelude delimiter at byte {at}: expected 8 NUL bytes, found {}",
                ShowByte(*found)
            ),
            DecodeErrorKind::Json { message } => write!(f, "prelude JSON at byte {at}: {message}"),
            // The problem itself is the source.
            DecodeErrorKind::Invalid(_) => {
                write!(
                    f,
                    "prelude at byte {at}: metadata that fails the strict checks"
                )
            }
        }
    }
}

impl StdError for DecodeError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.kind {
            DecodeErrorKind::Invalid(e) => Some(e),
            _ => None,
        }
    }
}

/// Carries a [`DecodeError`] through `AsyncRead`: [`Truncated`](DecodeErrorKind::Truncated)
/// becomes [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof), everything else
/// [`InvalidData`](std::io::ErrorKind::InvalidData).
impl From<DecodeError> for std::io::Error {
    fn from(e: DecodeError) -> Self {
        let kind = if e.is_eof() {
            std::io::ErrorKind::UnexpectedEof
        } else {
            std::io::ErrorKind::InvalidData
        };
        std::io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_was_expected_and_seen() {
        let e = PreludeError::HeaderValue {
            name: "X-Note".into(),
            problem: ValueProblem::Forbidden { byte: b'\n', at: 3 },
        };
        assert_eq!(
            e.to_string(),
            "header `X-Note` value: expected no CR, LF, NUL or other control byte, found LF (0x0a) at byte 3"
        );
        let e = PreludeError::HeaderName {
            name: "X Y".into(),
            problem: NameProblem::NotToken { byte: b' ', at: 1 },
        };
        assert_eq!(
            e.to_string(),
            "header name `X Y`: expected an HTTP token, found ' ' (0x20) at byte 1"
        );
        let e = DecodeError::new(DecodeErrorKind::Delimiter { found: b'A' }, 20);
        assert_eq!(
            e.to_string(),
            "prelude delimiter at byte 20: expected 8 NUL bytes, found 'A' (0x41)"
        );
        assert!(!e.is_eof());
        let io: std::io::Error = DecodeError::new(DecodeErrorKind::Truncated, 5).into();
        assert_eq!(io.kind(), std::io::ErrorKind::UnexpectedEof);
    }
}
