//! `PreludeDecoder`: finds and reads the prelude at the start of a response stream.

use bytes::{Bytes, BytesMut};

use crate::error::{DecodeError, DecodeErrorKind};
use crate::header::HopByHopPolicy;
use crate::received::ReceivedPrelude;
use crate::{DELIMITER, MAX_PRELUDE_LEN, json};

/// What [`PreludeDecoder::decode`] made of a chunk.
///
/// ```
/// use bytes::Bytes;
/// use lambda_stream_prelude::{Decoded, PreludeDecoder};
///
/// let mut decoder = PreludeDecoder::new();
/// let first = decoder.decode(Bytes::from_static(b"{}\0\0\0\0\0\0\0\0<html>"))?;
/// let Decoded::Prelude { prelude, body } = first else { panic!("{first:?}") };
/// assert_eq!(prelude.status(), 200);
/// assert_eq!(body, "<html>");
/// assert_eq!(decoder.decode(Bytes::from_static(b"</html>"))?, Decoded::Body("</html>".into()));
/// # Ok::<(), lambda_stream_prelude::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// The prelude is not complete yet: feed the next chunk.
    NeedMore,
    /// The prelude is complete. `body` holds the bytes of this chunk after the delimiter
    /// (possibly empty), a slice of the chunk that was not copied.
    Prelude {
        /// The decoded metadata.
        prelude: ReceivedPrelude,
        /// Body bytes that came in the same chunk as the end of the delimiter.
        body: Bytes,
    },
    /// The prelude was decoded earlier: the whole chunk is body, passed through as is.
    Body(Bytes),
}

#[derive(Debug, Clone)]
enum State {
    /// Looking for the delimiter. `nuls` counts the delimiter bytes already seen.
    Prelude { nuls: usize },
    /// Done with the prelude.
    Body,
    /// Failed; the error is returned again on every call.
    Failed(DecodeError),
}

/// An incremental decoder for the prelude at the start of a streamed response.
///
/// Feed it the chunks of the stream in order, split anywhere (the delimiter may straddle
/// chunks). It answers [`Decoded::NeedMore`], then once [`Decoded::Prelude`] with the
/// metadata and the body bytes already read, then [`Decoded::Body`] for every later chunk.
/// Call [`finish`](Self::finish) at the end of the stream to learn whether it ended before
/// the delimiter.
///
/// It accepts every dialect (`statusCode`, `headers` with string or array values,
/// `multiValueHeaders`, `cookies`; a missing `statusCode` means 200) and refuses unknown or
/// duplicate keys, so a typo is reported rather than ignored. It buffers at most
/// [`max_len`](Self::max_len) bytes (16 KiB by default) looking for the delimiter, copying
/// only the JSON; when a chunk holds the whole prelude nothing is copied at all. Errors name
/// the byte offset from the start of the stream, and "need more" is never an error until
/// `finish`. After an error, every call returns that error again.
///
/// # Example
///
/// ```
/// use bytes::Bytes;
/// use lambda_stream_prelude::{Decoded, PreludeDecoder};
///
/// let mut decoder = PreludeDecoder::new();
/// assert_eq!(decoder.decode(Bytes::from_static(b"{\"statusCode\":404}\0\0\0"))?, Decoded::NeedMore);
/// match decoder.decode(Bytes::from_static(b"\0\0\0\0\0not found"))? {
///     Decoded::Prelude { prelude, body } => {
///         assert_eq!(prelude.status(), 404);
///         assert_eq!(body, "not found");
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// assert_eq!(decoder.decode(Bytes::from_static(b"!"))?, Decoded::Body(Bytes::from_static(b"!")));
/// decoder.finish()?;
/// # Ok::<(), lambda_stream_prelude::DecodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PreludeDecoder {
    /// The JSON bytes seen so far (never a delimiter byte: JSON text has no raw NUL).
    json: BytesMut,
    /// Bytes consumed from the stream while looking for the delimiter.
    seen: usize,
    max_len: usize,
    policy: HopByHopPolicy,
    strict: bool,
    state: State,
}

impl Default for PreludeDecoder {
    fn default() -> Self {
        PreludeDecoder::new()
    }
}

impl PreludeDecoder {
    /// A lenient decoder with the 16 KiB limit and [`HopByHopPolicy::Keep`], so the
    /// decoded prelude reports exactly what was sent.
    ///
    /// Lenient: it accepts any prelude a real function can send, as the Node.js runtime
    /// writes whatever status, header name or value it is given: a status `http` can hold
    /// (`100..=999`), any header name, any value (control bytes included). Such a prelude is
    /// kept as it came, in a [`ReceivedPrelude`]: it can be read, not sent again.
    /// [`strict`](Self::strict) refuses it instead.
    pub fn new() -> Self {
        PreludeDecoder {
            json: BytesMut::new(),
            seen: 0,
            max_len: MAX_PRELUDE_LEN,
            policy: HopByHopPolicy::Keep,
            strict: false,
            state: State::Prelude { nuls: 0 },
        }
    }

    /// Refuses, with [`DecodeErrorKind::Invalid`] at its byte offset, a prelude whose
    /// metadata fails the checks of [`Builder::build`](crate::Builder::build): the rules
    /// this crate's encoder follows.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use lambda_stream_prelude::{DecodeErrorKind, PreludeDecoder};
    ///
    /// // A header name with a space: sent by a real function, refused by the builder.
    /// let wire = Bytes::from_static(b"{\"headers\":{\"my header\":\"1\"}}\0\0\0\0\0\0\0\0");
    /// let (lenient, _) = PreludeDecoder::decode_all(wire.clone())?;
    /// assert!(lenient.check().is_err());
    /// let strict = PreludeDecoder::new().strict().decode(wire).unwrap_err();
    /// assert!(matches!(strict.kind(), DecodeErrorKind::Invalid(_)));
    /// # Ok::<(), lambda_stream_prelude::DecodeError>(())
    /// ```
    #[must_use]
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    /// Sets how many bytes (JSON and delimiter) may come before the body; default
    /// [`MAX_PRELUDE_LEN`], the limit AWS sets.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use lambda_stream_prelude::{DecodeErrorKind, PreludeDecoder};
    ///
    /// let mut decoder = PreludeDecoder::new().with_max_len(16);
    /// assert_eq!(decoder.max_len(), 16);
    /// let e = decoder.decode(Bytes::from_static(b"{\"statusCode\":200}\0\0\0\0\0\0\0\0")).unwrap_err();
    /// assert_eq!(e.kind(), &DecodeErrorKind::TooLarge { limit: 16 });
    /// ```
    #[must_use]
    pub fn with_max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len;
        self
    }

    /// Sets the policy applied to hop-by-hop headers found in the prelude.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use lambda_stream_prelude::{HopByHopPolicy, PreludeDecoder};
    ///
    /// let wire = Bytes::from_static(b"{\"headers\":{\"Connection\":\"close\",\"ETag\":\"x\"}}\0\0\0\0\0\0\0\0");
    /// let mut decoder = PreludeDecoder::new().with_hop_by_hop(HopByHopPolicy::Remove);
    /// let Ok(lambda_stream_prelude::Decoded::Prelude { prelude, .. }) = decoder.decode(wire) else { panic!() };
    /// assert_eq!(prelude.get("connection"), None);
    /// assert_eq!(prelude.get("etag"), Some("x"));
    /// ```
    #[must_use]
    pub fn with_hop_by_hop(mut self, policy: HopByHopPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The limit set by [`with_max_len`](Self::with_max_len).
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Whether the prelude has been decoded.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use lambda_stream_prelude::PreludeDecoder;
    ///
    /// let mut decoder = PreludeDecoder::new();
    /// decoder.decode(Bytes::from_static(b"{}\0\0\0\0"))?;
    /// assert!(!decoder.is_done());
    /// decoder.decode(Bytes::from_static(b"\0\0\0\0"))?;
    /// assert!(decoder.is_done());
    /// # Ok::<(), lambda_stream_prelude::DecodeError>(())
    /// ```
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Body)
    }

    /// Decodes a whole buffer at once: the prelude and the body bytes after it.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode), and [`DecodeErrorKind::Truncated`] when `input` ends
    /// before the delimiter.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use lambda_stream_prelude::PreludeDecoder;
    ///
    /// let wire = Bytes::from_static(b"{\"statusCode\":201,\"cookies\":[\"a=1\"]}\0\0\0\0\0\0\0\0created");
    /// let (prelude, body) = PreludeDecoder::decode_all(wire)?;
    /// assert_eq!(prelude.status(), 201);
    /// assert_eq!(prelude.cookies(), ["a=1"]);
    /// assert_eq!(body, "created");
    /// # Ok::<(), lambda_stream_prelude::DecodeError>(())
    /// ```
    pub fn decode_all(input: Bytes) -> Result<(ReceivedPrelude, Bytes), DecodeError> {
        let mut decoder = PreludeDecoder::new();
        match decoder.decode(input)? {
            Decoded::Prelude { prelude, body } => Ok((prelude, body)),
            Decoded::NeedMore | Decoded::Body(_) => {
                Err(DecodeError::new(DecodeErrorKind::Truncated, decoder.seen))
            }
        }
    }

    /// Feeds the next chunk of the stream.
    ///
    /// # Errors
    ///
    /// - [`DecodeErrorKind::TooLarge`] when no delimiter ends within [`max_len`](Self::max_len) bytes;
    /// - [`DecodeErrorKind::Delimiter`] when a NUL byte is followed by fewer than 7 more;
    /// - [`DecodeErrorKind::Json`] and [`DecodeErrorKind::Invalid`] for the JSON before it.
    pub fn decode(&mut self, chunk: Bytes) -> Result<Decoded, DecodeError> {
        let nuls = match &self.state {
            State::Body => return Ok(Decoded::Body(chunk)),
            State::Failed(e) => return Err(e.clone()),
            State::Prelude { nuls } => *nuls,
        };
        match self.scan(&chunk, nuls) {
            Ok(Scan::More { nuls }) => {
                self.state = State::Prelude { nuls };
                Ok(Decoded::NeedMore)
            }
            Ok(Scan::Found {
                json_end,
                body_start,
            }) => {
                let parsed = if self.json.is_empty() {
                    // The whole JSON is in this chunk: parse it in place.
                    json::parse(&chunk[..json_end], self.policy, self.strict)
                } else {
                    self.json.extend_from_slice(&chunk[..json_end]);
                    json::parse(&self.json, self.policy, self.strict)
                };
                self.json = BytesMut::new();
                match parsed {
                    Ok(prelude) => {
                        self.state = State::Body;
                        Ok(Decoded::Prelude {
                            prelude,
                            body: chunk.slice(body_start..),
                        })
                    }
                    Err(e) => Err(self.fail(e)),
                }
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Declares the end of the stream.
    ///
    /// # Errors
    ///
    /// [`DecodeErrorKind::Truncated`] (with [`DecodeError::is_eof`]) when the stream ended
    /// before the delimiter, or the error the decoder already failed with.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        match &self.state {
            State::Body => Ok(()),
            State::Failed(e) => Err(e.clone()),
            State::Prelude { .. } => {
                let e = DecodeError::new(DecodeErrorKind::Truncated, self.seen);
                Err(self.fail(e))
            }
        }
    }

    fn fail(&mut self, e: DecodeError) -> DecodeError {
        self.json = BytesMut::new();
        self.state = State::Failed(e.clone());
        e
    }

    /// Looks for the end of the delimiter in `chunk`, buffering the JSON part if the
    /// delimiter is not complete in it.
    ///
    /// JSON text holds no raw NUL byte, so the first NUL starts the delimiter, which must
    /// start at or before `max_len - 8` to end within `max_len`.
    fn scan(&mut self, chunk: &[u8], mut nuls: usize) -> Result<Scan, DecodeError> {
        let start = self.seen;
        let latest_start = self.max_len.saturating_sub(DELIMITER.len());
        let too_large = || {
            let limit = self.max_len;
            DecodeError::new(DecodeErrorKind::TooLarge { limit }, latest_start)
        };
        let mut json_end = 0;
        let mut i = 0;
        if nuls == 0 {
            match chunk.iter().position(|&b| b == 0) {
                Some(j) if start + j <= latest_start => {
                    json_end = j;
                    nuls = 1;
                    i = j + 1;
                }
                Some(_) => return Err(too_large()),
                None if start + chunk.len() > latest_start => return Err(too_large()),
                None => {
                    self.json.extend_from_slice(chunk);
                    self.seen = start + chunk.len();
                    return Ok(Scan::More { nuls });
                }
            }
        }
        while nuls < DELIMITER.len() {
            match chunk.get(i) {
                Some(0) => nuls += 1,
                Some(&found) => {
                    let kind = DecodeErrorKind::Delimiter { found };
                    return Err(DecodeError::new(kind, start + i));
                }
                None => {
                    self.json.extend_from_slice(&chunk[..json_end]);
                    self.seen = start + chunk.len();
                    return Ok(Scan::More { nuls });
                }
            }
            i += 1;
        }
        self.seen = start + i;
        Ok(Scan::Found {
            json_end,
            body_start: i,
        })
    }
}

enum Scan {
    More { nuls: usize },
    Found { json_end: usize, body_start: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(decoder: &mut PreludeDecoder, bytes: &[u8]) -> Result<Decoded, DecodeError> {
        decoder.decode(Bytes::copy_from_slice(bytes))
    }

    #[test]
    fn byte_by_byte() {
        let stream =
            b"{\"statusCode\":201,\"headers\":{\"a\":\"b\"},\"cookies\":[]}\0\0\0\0\0\0\0\0xyz";
        let mut d = PreludeDecoder::new();
        let json_len = stream.len() - 11;
        for (i, b) in stream.iter().enumerate() {
            let out = feed(&mut d, &[*b]).unwrap();
            if i < json_len + 7 {
                assert_eq!(out, Decoded::NeedMore, "byte {i}");
            } else if i == json_len + 7 {
                assert!(
                    matches!(out, Decoded::Prelude { ref body, .. } if body.is_empty()),
                    "{out:?}"
                );
            } else {
                assert_eq!(out, Decoded::Body(Bytes::copy_from_slice(&[*b])));
            }
        }
        d.finish().unwrap();
    }

    #[test]
    fn bad_delimiter_reports_offset() {
        let mut d = PreludeDecoder::new();
        assert_eq!(feed(&mut d, b"{}\0\0\0").unwrap(), Decoded::NeedMore);
        let e = feed(&mut d, b"\0x").unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::Delimiter { found: b'x' });
        assert_eq!(e.offset(), 6);
        // Failed decoders stay failed.
        assert_eq!(feed(&mut d, b"\0\0\0\0").unwrap_err(), e);
        assert_eq!(d.finish().unwrap_err(), e);
    }

    #[test]
    fn too_large_without_delimiter() {
        let mut d = PreludeDecoder::new();
        let filler = vec![b' '; MAX_PRELUDE_LEN - 8];
        assert_eq!(feed(&mut d, &filler).unwrap(), Decoded::NeedMore);
        // The delimiter could no longer end within 16 KiB: refused without buffering more.
        let e = feed(&mut d, b" ").unwrap_err();
        assert_eq!(
            e.kind(),
            &DecodeErrorKind::TooLarge {
                limit: MAX_PRELUDE_LEN
            }
        );
        assert_eq!(e.offset(), MAX_PRELUDE_LEN - 8);
        assert!(!e.is_eof());
        // A NUL that starts too late is refused as well.
        let mut d = PreludeDecoder::new();
        let mut late = vec![b' '; MAX_PRELUDE_LEN - 7];
        late.push(0);
        assert!(matches!(
            feed(&mut d, &late).unwrap_err().kind(),
            DecodeErrorKind::TooLarge { .. }
        ));
    }

    #[test]
    fn delimiter_ending_exactly_at_the_limit_is_accepted() {
        let mut json = b"{}".to_vec();
        json.resize(MAX_PRELUDE_LEN - 8, b' ');
        json.extend_from_slice(&DELIMITER);
        json.extend_from_slice(b"body");
        let (prelude, body) = PreludeDecoder::decode_all(Bytes::from(json.clone())).unwrap();
        assert_eq!(prelude, crate::MetadataPrelude::default().into());
        assert_eq!(body, "body");
        // One byte more and it no longer fits.
        json.insert(0, b' ');
        let e = PreludeDecoder::decode_all(Bytes::from(json)).unwrap_err();
        assert_eq!(
            e.kind(),
            &DecodeErrorKind::TooLarge {
                limit: MAX_PRELUDE_LEN
            }
        );
    }

    #[test]
    fn truncated_is_eof() {
        let e = PreludeDecoder::decode_all(Bytes::from_static(b"{\"statusCode\":200}\0\0"))
            .unwrap_err();
        assert!(e.is_eof());
        assert_eq!(e.offset(), 20);
        let mut d = PreludeDecoder::new();
        assert_eq!(feed(&mut d, b"").unwrap(), Decoded::NeedMore);
        assert!(d.finish().unwrap_err().is_eof());
    }

    #[test]
    fn body_is_a_slice_of_the_chunk() {
        let chunk = Bytes::from_static(b"{}\0\0\0\0\0\0\0\0payload");
        let mut d = PreludeDecoder::new();
        match d.decode(chunk.clone()).unwrap() {
            Decoded::Prelude { body, .. } => {
                assert_eq!(body, "payload");
                assert_eq!(body.as_ptr(), chunk[10..].as_ptr());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn smaller_limit() {
        let mut d = PreludeDecoder::new().with_max_len(12);
        assert_eq!(d.max_len(), 12);
        let e = feed(&mut d, b"{\"a\":1}\0\0\0\0\0\0\0\0").unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::TooLarge { limit: 12 });
        let mut d = PreludeDecoder::new().with_max_len(10);
        assert!(matches!(
            feed(&mut d, b"{}\0\0\0\0\0\0\0\0").unwrap(),
            Decoded::Prelude { .. }
        ));
        assert!(d.is_done());
    }
}
