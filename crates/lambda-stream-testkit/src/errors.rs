//! Error chains as a chain printer sees them.

use std::error::Error;

/// `error` and its sources, joined by `": "`, as `anyhow` or `DisplayErrorContext` print
/// them.
pub fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        text.push_str(": ");
        text.push_str(&e.to_string());
        next = e.source();
    }
    text
}

/// Checks that each error of `error`'s chain says its own thing: no message contains the
/// message of the error that follows it (a chain printer would print it twice).
///
/// # Panics
///
/// Naming the first error that repeats its source.
pub fn assert_says_each_thing_once(error: &(dyn Error + 'static)) {
    let mut current = error;
    while let Some(source) = current.source() {
        let (own, cause) = (current.to_string(), source.to_string());
        assert!(
            cause.is_empty() || !own.contains(&cause),
            "{own:?} repeats its source's message {cause:?} (whole chain: {})",
            chain(error)
        );
        current = source;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    #[derive(Debug)]
    struct Wrapper(std::io::Error, bool);

    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            if self.1 {
                write!(f, "reading failed: {}", self.0)
            } else {
                f.write_str("reading failed")
            }
        }
    }

    impl Error for Wrapper {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_repeated_cause_is_caught() {
        let once = Wrapper(std::io::Error::other("disk gone"), false);
        assert_eq!(chain(&once), "reading failed: disk gone");
        assert_says_each_thing_once(&once);
        let twice = Wrapper(std::io::Error::other("disk gone"), true);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert_says_each_thing_once(&twice)
        }));
        assert!(caught.is_err());
    }
}
