//! Naming a failure by its cause: the error type of the first error in a source chain
//! that names itself, and the chain's messages as one line.

use std::error::Error as StdError;

use crate::error::{NamedError, ResponseTooLarge, StreamError};

/// The most links of a source chain walked: an error type whose `source()` leads back to
/// itself would otherwise be walked forever.
pub(crate) const MAX_CHAIN: usize = 64;

/// The errors of `error`'s chain, `error` first, at most [`MAX_CHAIN`] of them.
/// `std::io::Error` hides the error it carries from `source()`: that one is walked too.
pub(crate) fn chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |&e: &&'a (dyn StdError + 'static)| {
        let next: Option<&'a (dyn StdError + 'static)> = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
        next
    })
    .take(MAX_CHAIN)
}

/// The error type (`errorType`) that `error`'s cause gives itself: that of the first error
/// in its source chain (itself first) that names itself, found by type, never by text;
/// `None` when none does.
///
/// | an error in the chain | its error type |
/// | --- | --- |
/// | a [`StreamError`] | its own |
/// | [`ResponseTooLarge`] | `Response.TooLarge` |
/// | `lambda_stream_prelude::PreludeError` (a status or header that cannot be sent) | `Response.InvalidPrelude` |
/// | an error from an AWS SDK call that carries a code (`aws_smithy_types::error::ErrorMetadata`, what the SDKs carry for the errors they do not model) | the code: `AccessDenied`, `ThrottlingException`... |
/// | with feature `s3`: an error S3 models (`NoSuchKey`, `NotFound`...) | the code: `NoSuchKey`... |
/// | with feature `s3`: `lambda_stream_s3::BodyError` | `Body.Truncated`, `Body.ObjectChanged`, `Body.RetriesExhausted`, `Body.ChecksumMismatch`, `Body.Failed` |
/// | with feature `objects`: `lambda_stream_s3_objects::GetError` | `NoSuchKey`, `NoSuchBucket`, `AccessDenied`, `Object.InvalidKey`, `Object.TooLarge`, `Object.AnswerMismatch`, `Object.Metadata`, `S3.Unreachable`; for another S3 answer, the code S3 gave |
///
/// ```
/// use lambda_stream::{StreamError, error_type_of};
///
/// let io = std::io::Error::other(StreamError::new("Upstream.Gone", "the upstream went away"));
/// assert_eq!(error_type_of(&io).as_deref(), Some("Upstream.Gone"));
/// assert_eq!(error_type_of(&std::fmt::Error), None);
/// ```
pub fn error_type_of(error: &(dyn StdError + 'static)) -> Option<String> {
    chain(error).find_map(own_name)
}

/// The error type `error` alone gives itself.
fn own_name(error: &(dyn StdError + 'static)) -> Option<String> {
    if let Some(e) = error.downcast_ref::<StreamError>() {
        return Some(e.error_type().to_owned());
    }
    if let Some(e) = error.downcast_ref::<ResponseTooLarge>() {
        return Some(e.error_type().to_owned());
    }
    if error
        .downcast_ref::<lambda_stream_prelude::PreludeError>()
        .is_some()
    {
        return Some("Response.InvalidPrelude".to_owned());
    }
    #[cfg(feature = "s3")]
    {
        if let Some(e) = error.downcast_ref::<lambda_stream_s3::BodyError>() {
            return Some(e.error_type().to_owned());
        }
        if let Some(code) = lambda_stream_s3::sdk_error_code(error) {
            return Some(code.to_owned());
        }
    }
    #[cfg(feature = "objects")]
    if let Some(e) = error.downcast_ref::<lambda_stream_s3_objects::GetError>() {
        return Some(get_error_type(e));
    }
    let meta = error.downcast_ref::<aws_smithy_types::error::ErrorMetadata>()?;
    meta.code().map(str::to_owned)
}

#[cfg(feature = "objects")]
fn get_error_type(error: &lambda_stream_s3_objects::GetError) -> String {
    use lambda_stream_s3_objects::GetErrorKind;
    let name = match error.kind() {
        GetErrorKind::NoSuchKey => "NoSuchKey",
        GetErrorKind::NoSuchBucket => "NoSuchBucket",
        GetErrorKind::AccessDenied => "AccessDenied",
        GetErrorKind::InvalidKey => "Object.InvalidKey",
        GetErrorKind::TooLarge { .. } => "Object.TooLarge",
        GetErrorKind::AnswerMismatch => "Object.AnswerMismatch",
        GetErrorKind::Metadata => "Object.Metadata",
        GetErrorKind::Unreachable => "S3.Unreachable",
        // Another answer: the code S3 gave, found in the SDK's error.
        GetErrorKind::Service => {
            return error
                .source()
                .and_then(error_type_of)
                .unwrap_or_else(|| "S3.ServiceError".to_owned());
        }
        _ => "Object.Failed",
    };
    name.to_owned()
}

/// `error`'s message followed by its causes', joined by `": "`; a cause that says what the
/// one before it said (as an SDK's operation error and the error it wraps do) is said
/// once.
///
/// ```
/// let io = std::io::Error::other(std::fmt::Error);
/// assert_eq!(
///     lambda_stream::message_of(&io),
///     "an error occurred when formatting an argument"
/// );
/// ```
pub fn message_of(error: &(dyn StdError + 'static)) -> String {
    let mut text = String::new();
    let mut last = String::new();
    for e in chain(error) {
        let message = e.to_string();
        if message == last || message.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
        last = message;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unmodeled_aws_error_is_named_by_its_code() {
        let meta = aws_smithy_types::error::ErrorMetadata::builder()
            .code("AccessDenied")
            .message("Access Denied")
            .build();
        let wrapped = std::io::Error::other(meta);
        assert_eq!(error_type_of(&wrapped).as_deref(), Some("AccessDenied"));
        let uncoded = aws_smithy_types::error::ErrorMetadata::builder().build();
        assert_eq!(error_type_of(&uncoded), None);
    }

    /// An error whose source is itself (a hostile or buggy `Error` impl) is walked a
    /// bounded number of times: naming it ends.
    #[test]
    fn a_chain_that_loops_ends() {
        #[derive(Debug)]
        struct Looping;
        impl std::fmt::Display for Looping {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("again")
            }
        }
        impl StdError for Looping {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(self)
            }
        }
        assert_eq!(error_type_of(&Looping), None);
        assert_eq!(message_of(&Looping), "again");
        assert_eq!(chain(&Looping).count(), MAX_CHAIN);
        let e = crate::StreamError::from_source(Box::new(Looping));
        assert_eq!(e.error_type(), "Body.Failed");
        assert_eq!(e.trace().len(), MAX_CHAIN - 1);
    }

    #[test]
    fn a_repeated_cause_is_said_once() {
        #[derive(Debug)]
        struct Outer(std::fmt::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let e = std::io::Error::other(Outer(std::fmt::Error));
        assert_eq!(
            message_of(&e),
            "an error occurred when formatting an argument"
        );
    }
}
