//! `sdk_error_code`: the S3 error code (`NoSuchKey`, `AccessDenied`) that a failed call
//! carries, found by type in any error.

use std::error::Error as StdError;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::error as modeled;

/// The S3 error code of `error`, if it is one of the errors S3 models (the source of an
/// `SdkError` of any S3 operation: `NoSuchKey`, `NoSuchBucket`, `NotFound`,
/// `InvalidObjectState`, `AccessDenied`...), or `aws_sdk_s3::Error`.
///
/// The error is matched by type, never by its text. It looks at `error` alone: walk the
/// source chain to find the one inside an `SdkError` (its `Display` is only
/// `"service error"`). An error S3 does not model for the operation (an `AccessDenied`
/// of `GetObject`, say) is carried as `aws_smithy_types::error::ErrorMetadata`, which has
/// the code too.
///
/// ```no_run
/// # async fn example(client: aws_sdk_s3::Client) {
/// let error = client.get_object().bucket("b").key("missing").send().await.unwrap_err();
/// let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&error);
/// let mut code = None;
/// while let Some(e) = next {
///     code = code.or(lambda_stream_s3::sdk_error_code(e));
///     next = e.source();
/// }
/// assert_eq!(code, Some("NoSuchKey"));
/// # }
/// ```
pub fn sdk_error_code<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a str> {
    macro_rules! modeled {
        ($($name:ident),* $(,)?) => {
            $(
                if let Some(e) = error.downcast_ref::<modeled::$name>() {
                    // S3 sends the code; the shape's name is the same word.
                    return Some(e.code().unwrap_or(stringify!($name)));
                }
            )*
        };
    }
    modeled!(
        NoSuchKey,
        NoSuchBucket,
        NotFound,
        AccessDenied,
        InvalidObjectState,
        NoSuchUpload,
        InvalidRequest,
        InvalidWriteOffset,
        TooManyParts,
        EncryptionTypeMismatch,
        ObjectNotInActiveTierError,
        ObjectAlreadyInActiveTierError,
        BucketAlreadyExists,
        BucketAlreadyOwnedByYou,
    );
    error.downcast_ref::<aws_sdk_s3::Error>()?.code()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::operation::get_object::GetObjectError;

    #[test]
    fn a_modeled_error_is_named_by_its_code() {
        let meta = aws_smithy_types::error::ErrorMetadata::builder()
            .code("NoSuchKey")
            .message("The specified key does not exist.")
            .build();
        let no_such_key = modeled::NoSuchKey::builder().meta(meta).build();
        assert_eq!(sdk_error_code(&no_such_key), Some("NoSuchKey"));
        // The operation's error is its source's container: found one step down.
        let op = GetObjectError::NoSuchKey(no_such_key);
        assert_eq!(sdk_error_code(&op), None);
        assert_eq!(op.source().and_then(sdk_error_code), Some("NoSuchKey"));
        assert_eq!(sdk_error_code(&std::io::Error::other("x")), None);
    }
}
