//! Encoding a [`MetadataPrelude`] to the JSON of each dialect.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::error::PreludeError;
use crate::prelude::{HeaderEntry, MetadataPrelude};
use crate::received::ReceivedPrelude;
use crate::{DELIMITER, MAX_PRELUDE_LEN};

/// The `content-type` the `lambda_runtime` crate adds to a prelude that has none.
const LAMBDA_RUNTIME_DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// Separator used to combine several values of one header into a single-valued field.
///
/// RFC 9110, section 5.3 allows a recipient to combine field lines this way; `Set-Cookie`,
/// the one header that cannot be combined, travels in `cookies` instead.
///
/// ```
/// use lambda_stream_prelude::{Dialect, MetadataPrelude};
///
/// let prelude = MetadataPrelude::builder().header("Vary", "Origin").header("Vary", "Accept").build()?;
/// assert_eq!(&prelude.encode(Dialect::FunctionUrl)?[..], br#"{"statusCode":200,"headers":{"Vary":"Origin, Accept"},"cookies":[]}"#);
/// # Ok::<(), lambda_stream_prelude::PreludeError>(())
/// ```
pub const COMBINE_SEPARATOR: &str = ", ";

/// The JSON layout of the prelude. All of them use compact JSON with the keys in the order
/// shown, and are followed by the same [`DELIMITER`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// Lambda function URLs, and the Node.js runtime's `HttpResponseStream.from`:
    /// `{"statusCode":200,"headers":{"Name":"value"},"cookies":["a=b"]}`.
    ///
    /// `headers` holds one string per name: several values of one name are combined,
    /// in order, with [`COMBINE_SEPARATOR`] (`", "`). Names keep the caller's spelling.
    /// `cookies` is always present, possibly empty.
    #[default]
    FunctionUrl,
    /// API Gateway REST APIs with response streaming:
    /// `{"statusCode":200,"headers":{...},"multiValueHeaders":{"Name":["a","b"],"Set-Cookie":["a=b"]}}`.
    ///
    /// A name with one value goes in `headers`, a name with several in `multiValueHeaders`
    /// (each object keeps first-appearance order); the cookies are the `Set-Cookie` values
    /// in `multiValueHeaders`, as AWS's example for REST streaming sends them (a REST
    /// response has no `cookies` field). All three keys are always present.
    ApiGatewayRest,
    /// The bytes the `lambda_runtime` crate (1.x) writes for the same response, so that a
    /// function can switch to this library without a visible change:
    /// `{"statusCode":200,"headers":{"name":"value","multi":["a","b"]},"cookies":[...]}`.
    ///
    /// Names are lowercased; a name with several values is written as a JSON array; a
    /// `content-type: application/octet-stream` is appended when no `content-type` is set.
    ///
    /// One deliberate difference: `lambda_runtime` writes a value that is not visible ASCII
    /// (`"Jos\u{e9}"`) as an empty array, losing it; this dialect writes the value.
    LambdaRuntime,
}

/// A prelude as the two frames a streamed response starts with: the JSON, then the
/// 8-byte [`DELIMITER`].
///
/// Sending them as separate frames, before any body byte, is what the Node.js runtime does;
/// `cargo lambda watch` insists on it. Iterating yields the JSON frame, then the delimiter.
///
/// ```
/// use lambda_stream_prelude::{DELIMITER, Dialect, MetadataPrelude};
///
/// let frames = MetadataPrelude::builder().status(204).build()?.frames(Dialect::FunctionUrl)?;
/// assert_eq!(&frames.json()[..], br#"{"statusCode":204,"headers":{},"cookies":[]}"#);
/// assert_eq!(frames.delimiter(), &DELIMITER[..]);
/// assert_eq!(frames.encoded_len(), frames.json().len() + 8);
/// assert_eq!(frames.to_bytes().len(), frames.encoded_len());
/// let (json, delimiter) = frames.clone().into_parts();
/// assert_eq!((json, delimiter), (frames.json().clone(), frames.delimiter()));
/// assert_eq!(frames.into_iter().count(), 2);
/// # Ok::<(), lambda_stream_prelude::PreludeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreludeFrames {
    json: Bytes,
}

impl PreludeFrames {
    /// The JSON frame.
    pub fn json(&self) -> &Bytes {
        &self.json
    }

    /// The delimiter frame (static, no allocation).
    pub fn delimiter(&self) -> Bytes {
        Bytes::from_static(&DELIMITER)
    }

    /// Bytes on the wire for both frames.
    pub fn encoded_len(&self) -> usize {
        self.json.len() + DELIMITER.len()
    }

    /// Both frames in one buffer (a copy), for callers that cannot send two frames.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&self.json);
        out.extend_from_slice(&DELIMITER);
        Bytes::from(out)
    }

    /// The JSON frame and the delimiter frame.
    pub fn into_parts(self) -> (Bytes, Bytes) {
        (self.json, Bytes::from_static(&DELIMITER))
    }
}

impl IntoIterator for PreludeFrames {
    type Item = Bytes;
    type IntoIter = std::array::IntoIter<Bytes, 2>;

    fn into_iter(self) -> Self::IntoIter {
        let (json, delimiter) = self.into_parts();
        [json, delimiter].into_iter()
    }
}

impl MetadataPrelude {
    /// The prelude's JSON in `dialect`, without the delimiter.
    ///
    /// # Errors
    ///
    /// [`PreludeError::TooLarge`] when the JSON and the delimiter would exceed
    /// [`MAX_PRELUDE_LEN`] (16 KiB); everything else was checked when the prelude was built.
    pub fn encode(&self, dialect: Dialect) -> Result<Bytes, PreludeError> {
        let mut out = Vec::with_capacity(self.estimate_len());
        let written = match dialect {
            Dialect::FunctionUrl => serde_json::to_writer(&mut out, &FunctionUrlJson(self)),
            Dialect::ApiGatewayRest => serde_json::to_writer(&mut out, &RestJson(self)),
            Dialect::LambdaRuntime => serde_json::to_writer(&mut out, &RuntimeJson(self)),
        };
        // serde_json fails only on I/O errors (a `Vec` has none), on non-string map keys
        // (every key here is a `&str`) and on errors raised by `Serialize` impls (these
        // raise none).
        #[allow(clippy::expect_used)]
        written.expect("serializing string maps into a Vec cannot fail");
        let len = out.len() + DELIMITER.len();
        if len > MAX_PRELUDE_LEN {
            return Err(PreludeError::TooLarge {
                len,
                limit: MAX_PRELUDE_LEN,
            });
        }
        Ok(Bytes::from(out))
    }

    /// The JSON frame and the delimiter frame, ready to send.
    ///
    /// # Errors
    ///
    /// As [`encode`](Self::encode).
    pub fn frames(&self, dialect: Dialect) -> Result<PreludeFrames, PreludeError> {
        Ok(PreludeFrames {
            json: self.encode(dialect)?,
        })
    }

    /// The prelude a decoder reads back from this one encoded in `dialect`:
    /// `decode(encode(p, d)) == p.normalize(d)`.
    ///
    /// [`FunctionUrl`](Dialect::FunctionUrl) combines several values into one;
    /// [`ApiGatewayRest`](Dialect::ApiGatewayRest) lists single-valued names before
    /// multi-valued ones; [`LambdaRuntime`](Dialect::LambdaRuntime) lowercases names and adds
    /// the default `content-type`.
    ///
    /// ```
    /// use lambda_stream_prelude::{Dialect, MetadataPrelude, PreludeDecoder};
    ///
    /// let prelude = MetadataPrelude::builder().header("Vary", "Origin").header("Vary", "Accept").build()?;
    /// let mut wire = prelude.encode(Dialect::LambdaRuntime)?.to_vec();
    /// wire.extend_from_slice(&[0; 8]);
    /// let (decoded, _) = PreludeDecoder::decode_all(wire.into())?;
    /// assert_eq!(decoded, prelude.normalize(Dialect::LambdaRuntime));
    /// assert_eq!(decoded.get("content-type"), Some("application/octet-stream"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn normalize(&self, dialect: Dialect) -> ReceivedPrelude {
        let entries = self.entries();
        let headers = match dialect {
            Dialect::FunctionUrl => entries
                .iter()
                .map(|e| HeaderEntry {
                    name: e.name.clone(),
                    values: vec![Joined(&e.values).to_string()],
                })
                .collect(),
            Dialect::ApiGatewayRest => {
                let (single, multi): (Vec<_>, Vec<_>) =
                    entries.iter().cloned().partition(|e| e.values.len() == 1);
                single.into_iter().chain(multi).collect()
            }
            Dialect::LambdaRuntime => {
                let mut headers: Vec<_> = entries
                    .iter()
                    .map(|e| HeaderEntry {
                        name: e.name.to_ascii_lowercase(),
                        values: e.values.clone(),
                    })
                    .collect();
                if !has_content_type(entries) {
                    headers.push(HeaderEntry {
                        name: "content-type".to_owned(),
                        values: vec![LAMBDA_RUNTIME_DEFAULT_CONTENT_TYPE.to_owned()],
                    });
                }
                headers
            }
        };
        ReceivedPrelude::new(self.status(), headers, self.cookies().to_vec())
    }

    fn estimate_len(&self) -> usize {
        let headers: usize = self
            .entries()
            .iter()
            .map(|e| e.name.len() + 6 + e.values.iter().map(|v| v.len() + 4).sum::<usize>())
            .sum();
        let cookies: usize = self.cookies().iter().map(|c| c.len() + 3).sum();
        64 + headers + cookies
    }
}

fn has_content_type(entries: &[HeaderEntry]) -> bool {
    entries
        .iter()
        .any(|e| e.name.eq_ignore_ascii_case("content-type"))
}

/// Values joined with [`COMBINE_SEPARATOR`].
struct Joined<'a>(&'a [String]);

impl fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(COMBINE_SEPARATOR)?;
            }
            f.write_str(v)?;
        }
        Ok(())
    }
}

impl Serialize for Joined<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [one] => ser.serialize_str(one),
            _ => ser.collect_str(self),
        }
    }
}

struct FunctionUrlJson<'a>(&'a MetadataPrelude);

impl Serialize for FunctionUrlJson<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let headers = Map(p
            .entries()
            .iter()
            .map(|e| (e.name.as_str(), Joined(&e.values))));
        let mut s = ser.serialize_struct("MetadataPrelude", 3)?;
        s.serialize_field("statusCode", &p.status().as_u16())?;
        s.serialize_field("headers", &headers)?;
        s.serialize_field("cookies", p.cookies())?;
        s.end()
    }
}

struct RestJson<'a>(&'a MetadataPrelude);

impl Serialize for RestJson<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let single = Map(p
            .entries()
            .iter()
            .filter(|e| e.values.len() == 1)
            .map(|e| (e.name.as_str(), e.values[0].as_str())));
        let multi = Map(p
            .entries()
            .iter()
            .filter(|e| e.values.len() > 1)
            .map(|e| (e.name.as_str(), e.values.as_slice())));
        let cookies = (!p.cookies().is_empty()).then_some(("Set-Cookie", p.cookies()));
        let multi = Map(multi.0.chain(cookies));
        let mut s = ser.serialize_struct("MetadataPrelude", 3)?;
        s.serialize_field("statusCode", &p.status().as_u16())?;
        s.serialize_field("headers", &single)?;
        s.serialize_field("multiValueHeaders", &multi)?;
        s.end()
    }
}

struct RuntimeJson<'a>(&'a MetadataPrelude);

impl Serialize for RuntimeJson<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let default_type = (!has_content_type(p.entries())).then_some((
            Cow::Borrowed("content-type"),
            RuntimeValue::DefaultContentType,
        ));
        let headers = Map(p
            .entries()
            .iter()
            .map(|e| (lowercase(&e.name), RuntimeValue::Values(&e.values)))
            .chain(default_type));
        let mut s = ser.serialize_struct("MetadataPrelude", 3)?;
        s.serialize_field("statusCode", &p.status().as_u16())?;
        s.serialize_field("headers", &headers)?;
        s.serialize_field("cookies", p.cookies())?;
        s.end()
    }
}

/// A header value in the `lambda_runtime` layout: one value as a string, several as an
/// array (what `http-serde` does with a `HeaderMap`).
#[derive(Clone, Copy)]
enum RuntimeValue<'a> {
    Values(&'a [String]),
    DefaultContentType,
}

impl Serialize for RuntimeValue<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match *self {
            RuntimeValue::Values([one]) => ser.serialize_str(one),
            RuntimeValue::Values(many) => ser.collect_seq(many),
            RuntimeValue::DefaultContentType => {
                ser.serialize_str(LAMBDA_RUNTIME_DEFAULT_CONTENT_TYPE)
            }
        }
    }
}

fn lowercase(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// Serializes an iterator of pairs as a JSON object, in iteration order.
struct Map<I>(I);

impl<I, K, V> Serialize for Map<I>
where
    I: Iterator<Item = (K, V)> + Clone,
    K: Serialize,
    V: Serialize,
{
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_map(self.0.clone())
    }
}
