//! `ReceivedPrelude`: the metadata a function sent, as a caller reads it.

use http::StatusCode;

use crate::error::PreludeError;
use crate::prelude::{HeaderEntry, MetadataPrelude, pairs, values};

/// The HTTP metadata at the start of a streamed response, as a [`PreludeDecoder`] read it:
/// what the caller of a streaming function receives.
///
/// Read leniently (the decoder's default), it keeps what a function can send and the
/// Node.js runtime passes on: a status up to 999, any header name, values with DEL or other
/// control bytes. It is for reading, not for sending: it has no encoder, so a prelude that
/// fails the checks cannot reach the wire by mistake. [`MetadataPrelude::try_from`] makes
/// the [`MetadataPrelude`] to send, after the checks of
/// [`Builder::build`](crate::Builder::build).
///
/// [`PreludeDecoder`]: crate::PreludeDecoder
///
/// ```
/// use bytes::Bytes;
/// use lambda_stream_prelude::{MetadataPrelude, PreludeDecoder, PreludeError};
///
/// // A status the Node.js runtime sends as given, and `http` can hold.
/// let wire = Bytes::from_static(b"{\"statusCode\":999,\"headers\":{\"X-A\":\"1\"}}\0\0\0\0\0\0\0\0");
/// let (received, _) = PreludeDecoder::decode_all(wire)?;
/// assert_eq!((received.status().as_u16(), received.get("x-a")), (999, Some("1")));
/// assert_eq!(received.check(), Err(PreludeError::Status { found: 999 }));
/// assert!(MetadataPrelude::try_from(received).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPrelude {
    status: StatusCode,
    headers: Vec<HeaderEntry>,
    cookies: Vec<String>,
}

impl ReceivedPrelude {
    pub(crate) fn new(status: StatusCode, headers: Vec<HeaderEntry>, cookies: Vec<String>) -> Self {
        ReceivedPrelude {
            status,
            headers,
            cookies,
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Every header as `(name, value)`, grouped by name in the order names first appeared,
    /// values in the order given.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        pairs(&self.headers)
    }

    /// The first value of the header `name` (compared case-insensitively).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// Every value of the header `name` (compared case-insensitively), in order.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        values(&self.headers, name)
    }

    /// The cookies, each the value of one `Set-Cookie` header.
    pub fn cookies(&self) -> &[String] {
        &self.cookies
    }

    /// The checks of [`Builder::build`](crate::Builder::build): what it would take to send
    /// this prelude again.
    ///
    /// # Errors
    ///
    /// The first part that fails them.
    pub fn check(&self) -> Result<(), PreludeError> {
        let status = self.status.as_u16();
        if !(100..=599).contains(&status) {
            return Err(PreludeError::Status { found: status });
        }
        for entry in &self.headers {
            if let Err(problem) = crate::header::check_name(&entry.name) {
                return Err(PreludeError::HeaderName {
                    name: entry.name.clone(),
                    problem,
                });
            }
            for value in &entry.values {
                if let Err(problem) = crate::header::check_value(value.as_bytes()) {
                    return Err(PreludeError::HeaderValue {
                        name: entry.name.clone(),
                        problem,
                    });
                }
            }
        }
        for (index, cookie) in self.cookies.iter().enumerate() {
            if let Err(problem) = crate::header::check_value(cookie.as_bytes()) {
                return Err(PreludeError::Cookie { index, problem });
            }
        }
        Ok(())
    }
}

impl From<MetadataPrelude> for ReceivedPrelude {
    /// A prelude as it is read back after being sent.
    fn from(prelude: MetadataPrelude) -> Self {
        let (status, headers, cookies) = prelude.into_parts();
        ReceivedPrelude::new(status, headers, cookies)
    }
}

impl TryFrom<ReceivedPrelude> for MetadataPrelude {
    type Error = PreludeError;

    /// The prelude to send, if `received` passes the checks of
    /// [`Builder::build`](crate::Builder::build).
    fn try_from(received: ReceivedPrelude) -> Result<Self, Self::Error> {
        received.check()?;
        Ok(MetadataPrelude::from_checked(
            received.status,
            received.headers,
            received.cookies,
        ))
    }
}
