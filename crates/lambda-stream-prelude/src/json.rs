//! Reading the prelude JSON of any dialect, keeping header order, with byte offsets.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::builder::Builder;
use crate::error::{DecodeError, DecodeErrorKind, PreludeError};
use crate::header::{self, Disposition, HopByHopPolicy};
use crate::prelude::HeaderEntry;
use crate::received::ReceivedPrelude;

/// The keys a prelude may have, in every dialect.
const KEYS: &[&str] = &["statusCode", "headers", "multiValueHeaders", "cookies"];

/// Parses one prelude JSON document (`json` holds exactly the bytes before the delimiter).
///
/// With `strict`, the checks of [`Builder::build`] (status range, header names and values)
/// run while the JSON is read, so that a refused header is reported at its own offset;
/// without, anything the JSON can say is kept (a status `http` can hold, any name, any
/// value), as the Node.js runtime sends it. The hop-by-hop policy applies either way.
pub(crate) fn parse(
    json: &[u8],
    policy: HopByHopPolicy,
    strict: bool,
) -> Result<ReceivedPrelude, DecodeError> {
    let refused = RefCell::new(None);
    let seed = PreludeSeed {
        policy,
        strict,
        refused: &refused,
    };
    let mut de = serde_json::Deserializer::from_slice(json);
    let result = seed
        .deserialize(&mut de)
        .and_then(|raw| de.end().map(|()| raw));
    let read = match result {
        Ok(read) => read,
        Err(e) => {
            let offset = offset_of(json, e.line(), e.column());
            let kind = match refused.into_inner() {
                Some(refused) => DecodeErrorKind::Invalid(refused),
                None => DecodeErrorKind::Json {
                    message: message_of(&e),
                },
            };
            return Err(DecodeError::new(kind, offset));
        }
    };
    if strict {
        let mut builder = Builder::new().status(read.status);
        for (name, value) in read.headers {
            builder = builder.header(name, value);
        }
        return builder
            .cookies(read.cookies)
            .hop_by_hop(policy)
            .build()
            .map(ReceivedPrelude::from)
            .map_err(|e| DecodeError::new(DecodeErrorKind::Invalid(e), json.len()));
    }
    let status = http::StatusCode::from_u16(read.status).map_err(|_| {
        DecodeError::new(
            DecodeErrorKind::Invalid(PreludeError::Status { found: read.status }),
            json.len(),
        )
    })?;
    let mut entries: Vec<HeaderEntry> = Vec::new();
    for (name, value) in read.headers {
        let name = match policy.disposition(&name) {
            Disposition::Keep => name,
            Disposition::Rename(to) => to.to_owned(),
            Disposition::Drop => continue,
            Disposition::Reject => {
                return Err(DecodeError::new(
                    DecodeErrorKind::Invalid(PreludeError::HopByHop { name }),
                    json.len(),
                ));
            }
        };
        match entries
            .iter_mut()
            .find(|e| e.name.eq_ignore_ascii_case(&name))
        {
            Some(entry) => entry.values.push(value),
            None => entries.push(HeaderEntry {
                name,
                values: vec![value],
            }),
        }
    }
    Ok(ReceivedPrelude::new(status, entries, read.cookies))
}

/// What the JSON said, before the checks.
#[derive(Debug)]
struct Read {
    status: u16,
    /// In order; `Set-Cookie` headers are cookies already.
    headers: Vec<(String, String)>,
    cookies: Vec<String>,
}

/// serde_json's message without the " at line L column C" it appends.
fn message_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(message) => message.to_owned(),
        None => text,
    }
}

/// Converts serde_json's 1-based line and column (counted in bytes) to a byte offset.
fn offset_of(json: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match json[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (start + column.saturating_sub(1)).min(json.len())
}

/// Deserializes the top-level object into a [`Builder`], checking as it goes. A refused
/// value is kept in `refused` (to report it as a [`PreludeError`]) and surfaces to serde as a
/// custom error, which gives it a position.
struct PreludeSeed<'a> {
    policy: HopByHopPolicy,
    strict: bool,
    refused: &'a RefCell<Option<PreludeError>>,
}

impl PreludeSeed<'_> {
    fn refuse<E: de::Error>(&self, e: PreludeError) -> E {
        let error = E::custom(&e);
        *self.refused.borrow_mut() = Some(e);
        error
    }
}

impl<'de> DeserializeSeed<'de> for PreludeSeed<'_> {
    type Value = Read;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Read, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PreludeSeed<'_> {
    type Value = Read;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with statusCode, headers, multiValueHeaders or cookies")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read, A::Error> {
        let mut read = Read {
            status: 200,
            headers: Vec::new(),
            cookies: Vec::new(),
        };
        let mut seen = [false; KEYS.len()];
        while let Some(key) = map.next_key::<String>()? {
            let index = match KEYS.iter().position(|k| *k == key) {
                Some(i) => i,
                None => return Err(de::Error::unknown_field(&key, KEYS)),
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(de::Error::duplicate_field(KEYS[index]));
            }
            match KEYS[index] {
                "statusCode" => {
                    let status: u16 = map.next_value()?;
                    if self.strict && !(100..=599).contains(&status) {
                        return Err(self.refuse(PreludeError::Status { found: status }));
                    }
                    read.status = status;
                }
                "cookies" => {
                    let cookies: Vec<String> = map.next_value()?;
                    let first = read.cookies.len();
                    for (i, cookie) in cookies.iter().enumerate() {
                        if let (true, Err(problem)) =
                            (self.strict, header::check_value(cookie.as_bytes()))
                        {
                            let index = first + i;
                            return Err(self.refuse(PreludeError::Cookie { index, problem }));
                        }
                    }
                    read.cookies.extend(cookies);
                }
                // "headers" and "multiValueHeaders" take the same shapes: a string or an
                // array of strings per name (the `lambda_runtime` layout puts arrays in
                // `headers`).
                _ => {
                    read = map.next_value_seed(HeadersSeed {
                        parent: &self,
                        read,
                    })?
                }
            }
        }
        Ok(read)
    }
}

/// A `{"Name": "value" | ["value", ...]}` object, appended in order.
struct HeadersSeed<'a, 'b> {
    parent: &'a PreludeSeed<'b>,
    read: Read,
}

impl<'de> DeserializeSeed<'de> for HeadersSeed<'_, '_> {
    type Value = Read;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Read, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeadersSeed<'_, '_> {
    type Value = Read;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of header names to strings or arrays of strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read, A::Error> {
        let parent = self.parent;
        let mut read = self.read;
        while let Some(name) = map.next_key::<String>()? {
            if let (true, Err(problem)) = (parent.strict, header::check_name(&name)) {
                return Err(parent.refuse(PreludeError::HeaderName { name, problem }));
            }
            if parent.policy.disposition(&name) == Disposition::Reject {
                return Err(parent.refuse(PreludeError::HopByHop { name }));
            }
            let values = map.next_value::<Values>()?.0;
            for value in values {
                if let (true, Err(problem)) = (parent.strict, header::check_value(value.as_bytes()))
                {
                    return Err(parent.refuse(PreludeError::HeaderValue { name, problem }));
                }
                if header::is_set_cookie(&name) {
                    read.cookies.push(value);
                } else {
                    read.headers.push((name.clone(), value));
                }
            }
        }
        Ok(read)
    }
}

/// A string, or an array of strings.
struct Values(Vec<String>);

impl<'de> de::Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct ValuesVisitor;

        impl<'de> Visitor<'de> for ValuesVisitor {
            type Value = Values;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a header value as a string or an array of strings")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Values, E> {
                Ok(Values(vec![v.to_owned()]))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Values, E> {
                Ok(Values(vec![v]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Values, A::Error> {
                let mut values = Vec::new();
                while let Some(v) = seq.next_element::<String>()? {
                    values.push(v);
                }
                Ok(Values(values))
            }
        }

        de.deserialize_any(ValuesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(json: &str) -> DecodeError {
        parse(json.as_bytes(), HopByHopPolicy::Keep, true).unwrap_err()
    }

    #[test]
    fn every_key_of_every_dialect() {
        let json = r#"{"statusCode":206,"headers":{"A":"1","b":["2","3"]},"multiValueHeaders":{"C":["4","5"]},"cookies":["k=v"]}"#;
        let p = parse(json.as_bytes(), HopByHopPolicy::Keep, true).unwrap();
        assert_eq!(p.status(), 206);
        let pairs: Vec<_> = p.headers().collect();
        assert_eq!(
            pairs,
            [("A", "1"), ("b", "2"), ("b", "3"), ("C", "4"), ("C", "5")]
        );
        assert_eq!(p.cookies(), ["k=v"]);
    }

    #[test]
    fn missing_keys_default_to_an_empty_200() {
        let p = parse(b"{}", HopByHopPolicy::Keep, true).unwrap();
        assert_eq!(p, crate::MetadataPrelude::default().into());
    }

    #[test]
    fn errors_carry_offsets() {
        let e = parse_err(r#"{"statusCode":200,"body":"x"}"#);
        // The closing quote of the unknown key.
        assert_eq!(e.offset(), 23);
        assert!(e.to_string().contains("unknown field `body`"), "{e}");
        let e = parse_err(r#"{"statusCode":"200"}"#);
        assert!(matches!(e.kind(), DecodeErrorKind::Json { .. }), "{e}");
        let e = parse_err(r#"{"statusCode":700}"#);
        assert_eq!(
            e.kind(),
            &DecodeErrorKind::Invalid(PreludeError::Status { found: 700 })
        );
        let e = parse_err(r#"{"headers":{"ok":"1","bad name":"2"}}"#);
        assert!(
            matches!(
                e.kind(),
                DecodeErrorKind::Invalid(PreludeError::HeaderName { .. })
            ),
            "{e}"
        );
        assert!((21..=33).contains(&e.offset()), "{}", e.offset());
        let e = parse_err(r#"{"cookies":["a","b\u0000"]}"#);
        assert!(
            matches!(
                e.kind(),
                DecodeErrorKind::Invalid(PreludeError::Cookie { index: 1, .. })
            ),
            "{e}"
        );
        let e = parse_err(r#"{"headers":{},"headers":{}}"#);
        assert!(e.to_string().contains("duplicate field `headers`"), "{e}");
        let e = parse_err("{\n\"headers\": 5}");
        assert_eq!(e.offset(), 13);
        let e = parse_err(r#"{"statusCode":200} x"#);
        assert!(e.to_string().contains("trailing characters"), "{e}");
    }

    #[test]
    fn reject_policy_applies_while_reading() {
        let e = parse(
            br#"{"headers":{"content-length":"5"}}"#,
            HopByHopPolicy::Reject,
            false,
        )
        .unwrap_err();
        assert!(
            matches!(
                e.kind(),
                DecodeErrorKind::Invalid(PreludeError::HopByHop { .. })
            ),
            "{e}"
        );
        let p = parse(
            br#"{"headers":{"content-length":"5"}}"#,
            HopByHopPolicy::Remap,
            false,
        )
        .unwrap();
        assert_eq!(p.get("x-amzn-remapped-content-length"), Some("5"));
    }
}
