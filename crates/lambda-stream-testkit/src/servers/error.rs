//! `FixtureError`: why a fixture (a server, a function process, a build) could not be had.

use std::fmt;

/// Why a fixture could not be had: what is missing, or what failed to start, with what the
/// failing part said (its message and, where there is one, its log) in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureError {
    kind: FixtureErrorKind,
    message: String,
}

/// The kinds of [`FixtureError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FixtureErrorKind {
    /// A tool or a binary is not there: install it (`scripts/test` does) or build it.
    Missing,
    /// A port, a file or a thread could not be had.
    Io,
    /// A process started but did not get ready, or exited.
    Start,
    /// `cargo build` failed.
    Build,
    /// A server refused what the fixture set up in it (a bucket, say).
    Setup,
}

impl FixtureError {
    pub(crate) fn new(kind: FixtureErrorKind, message: impl Into<String>) -> Self {
        FixtureError {
            kind,
            message: message.into(),
        }
    }

    /// A port, a file or a thread that could not be had: `{what}: {error}`.
    #[cfg(feature = "fixtures")]
    pub(crate) fn io(what: impl fmt::Display, error: std::io::Error) -> Self {
        FixtureError::new(FixtureErrorKind::Io, format!("{what}: {error}"))
    }

    /// A program that could not be started.
    #[cfg(feature = "fixtures")]
    pub(crate) fn cannot_start(program: &std::path::Path, error: std::io::Error) -> Self {
        FixtureError::new(
            FixtureErrorKind::Start,
            format!("cannot start {}: {error}", program.display()),
        )
    }

    /// What went wrong.
    pub fn kind(&self) -> FixtureErrorKind {
        self.kind
    }
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FixtureError {}
