//! Entity tags as conditional headers carry them (RFC 9110, section 8.8.3), and their
//! comparisons.

/// One entity tag of a condition: `"abc"` or `W/"abc"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntityTag {
    weak: bool,
    /// Between the quotes.
    opaque: String,
}

impl EntityTag {
    /// `"abc"` or `W/"abc"`; `None` for anything else.
    pub(crate) fn parse(text: &str) -> Option<EntityTag> {
        let text = text.trim();
        let (weak, quoted) = match text.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let opaque = quoted.strip_prefix('"')?.strip_suffix('"')?;
        // etagc: %x21 / %x23-7E / obs-text; no quote inside.
        if opaque.bytes().any(|b| b == b'"' || b < 0x21 || b == 0x7f) {
            return None;
        }
        Some(EntityTag {
            weak,
            opaque: opaque.to_owned(),
        })
    }

    /// Strong comparison: both strong, same opaque tag.
    pub(crate) fn strong_eq(&self, other: &EntityTag) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }

    /// Weak comparison: same opaque tag.
    pub(crate) fn weak_eq(&self, other: &EntityTag) -> bool {
        self.opaque == other.opaque
    }
}

/// `*` or a list of entity tags, as `If-Match` and `If-None-Match` carry them. Members that
/// are not entity tags are dropped (a list of none matches nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntityTags {
    Any,
    List(Vec<EntityTag>),
}

impl EntityTags {
    pub(crate) fn parse(values: &[&str]) -> EntityTags {
        if values.iter().any(|v| v.trim() == "*") {
            return EntityTags::Any;
        }
        let mut tags = Vec::new();
        for value in values {
            tags.extend(split_list(value).filter_map(EntityTag::parse));
        }
        EntityTags::List(tags)
    }

    pub(crate) fn matches(&self, current: Option<&EntityTag>, strong: bool) -> bool {
        match self {
            // There is a current representation: the object was found.
            EntityTags::Any => true,
            EntityTags::List(tags) => current.is_some_and(|current| {
                tags.iter().any(|t| {
                    if strong {
                        t.strong_eq(current)
                    } else {
                        t.weak_eq(current)
                    }
                })
            }),
        }
    }
}

/// Splits a list of entity tags at the commas between them (a comma may sit inside quotes).
fn split_list(value: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, b) in value.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_outside_quotes_only() {
        let tags = EntityTags::parse(&["\"a,b\", W/\"c\" ,\"d\""]);
        assert_eq!(
            tags,
            EntityTags::List(vec![
                EntityTag {
                    weak: false,
                    opaque: "a,b".into()
                },
                EntityTag {
                    weak: true,
                    opaque: "c".into()
                },
                EntityTag {
                    weak: false,
                    opaque: "d".into()
                },
            ])
        );
    }
}
