//! `LocalError`: why the local Lambda could not start.

use std::fmt;

/// Why the local Lambda could not start: a port, a file or a thread that could not be had,
/// or a function that could not be started, with what the system said.
#[derive(Debug)]
pub struct LocalError {
    message: String,
}

impl LocalError {
    /// `what` could not be had: `{what}: {error}`.
    pub(crate) fn io(what: impl fmt::Display, error: std::io::Error) -> Self {
        LocalError {
            message: format!("{what}: {error}"),
        }
    }

    /// `program` could not be started.
    pub(crate) fn cannot_start(program: &std::path::Path, error: std::io::Error) -> Self {
        LocalError {
            message: format!("cannot start {}: {error}", program.display()),
        }
    }
}

impl fmt::Display for LocalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LocalError {}
