//! `HeaderCase`: the spelling and order of header names, beside an `http::HeaderMap` that
//! keeps neither.

/// The spelling and order of a response's header names, carried in its extensions (as
/// hyper's `HeaderCaseMap` is), since an `http::HeaderMap` lowercases names and groups
/// them.
///
/// Where a response has one, its prelude is made ([`TryFrom<&Parts>`](crate::MetadataPrelude))
/// with the names it lists first, spelled and ordered as listed (a name listed that the
/// headers no longer have is skipped), then the other headers in the map's order,
/// lowercase. The headers themselves always come from the map: a layer that adds, changes
/// or removes one is obeyed. A plain `http::Response`, without one, gets its map's order
/// and lowercase names.
///
/// [`MetadataPrelude::into_response`](crate::MetadataPrelude::into_response) sets it.
///
/// ```
/// use lambda_stream_prelude::{HeaderCase, MetadataPrelude};
///
/// let mut response = http::Response::builder()
///     .header("cache-control", "no-store")
///     .header("content-type", "text/plain")
///     .body(())?;
/// response.extensions_mut().insert(HeaderCase::from_names(["Content-Type", "Cache-Control"]));
/// let prelude = MetadataPrelude::try_from(&response)?;
/// assert_eq!(
///     prelude.headers().collect::<Vec<_>>(),
///     [("Content-Type", "text/plain"), ("Cache-Control", "no-store")]
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderCase {
    names: Vec<String>,
}

impl HeaderCase {
    /// The names, as spelled, in the order to send them (a name given twice counts once,
    /// where it first appears).
    pub fn from_names<I>(names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let mut case = HeaderCase::default();
        for name in names {
            let name = name.into();
            if !case.names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                case.names.push(name);
            }
        }
        case
    }

    /// The names, as spelled, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.names.iter().map(String::as_str)
    }
}
