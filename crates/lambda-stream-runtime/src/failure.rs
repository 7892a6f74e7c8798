//! A failed invocation as Lambda records it: the error of a handler or of init as a
//! `Diagnostic` named by its cause, and the log line every failure gets.

use std::any::Any;
use std::error::Error as StdError;

use lambda_runtime::Diagnostic;
use lambda_stream::{error_type_of, message_of};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A diagnostic of our own making.
pub(crate) fn diagnostic(error_type: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        error_type: error_type.to_owned(),
        error_message: message.into(),
    }
}

/// The error a handler (or init, with `fallback` `Init.Failed`) returned, as the
/// diagnostic Lambda records.
///
/// A `Diagnostic` is kept as given, and so is any type with a `From` of its own. An error
/// (boxed, as `lambda_http::Error` is, or a `std::io::Error`) is named by the first error
/// in its source chain that names itself (`lambda_stream::error_type_of`: an AWS SDK
/// error's code such as `NoSuchKey`, one of our typed errors' kind) and is `fallback`
/// otherwise; its message is the chain's messages. A bare message is `fallback`.
/// Never a Rust type name: `lambda_runtime`'s own conversions give one (`&alloc::boxed::Box<dyn
/// core::error::Error + ...>`), so the types it converts are found by `TypeId` first.
pub(crate) fn named<E>(error: E, fallback: &str) -> Diagnostic
where
    E: Into<Diagnostic> + 'static,
{
    let any: &dyn Any = &error;
    let of_error = |e: &(dyn StdError + 'static)| Diagnostic {
        error_type: error_type_of(e).unwrap_or_else(|| fallback.to_owned()),
        error_message: message_of(e),
    };
    if let Some(e) = any.downcast_ref::<BoxError>() {
        return of_error(e.as_ref());
    }
    if let Some(e) = any.downcast_ref::<Box<dyn StdError + 'static>>() {
        return of_error(e.as_ref());
    }
    if let Some(e) = any.downcast_ref::<std::io::Error>() {
        return of_error(e);
    }
    if let Some(text) = any.downcast_ref::<String>() {
        return diagnostic(fallback, text.as_str());
    }
    if let Some(text) = any.downcast_ref::<&'static str>() {
        return diagnostic(fallback, *text);
    }
    error.into()
}

/// Logs a failed invocation, always: through `tracing` when the function set up a
/// subscriber (the line carries the invocation's span, its request id), and otherwise as
/// one line on standard error (which Lambda sends to CloudWatch Logs): text, or a JSON
/// object under `AWS_LAMBDA_LOG_FORMAT=JSON`, as Lambda's logging controls ask.
pub(crate) fn log(request_id: Option<&str>, what: &str, error_type: &str, message: &str) {
    tracing::error!(target: "lambda_stream_runtime", error_type, error = message, "{what}");
    if tracing::dispatcher::has_been_set() {
        return;
    }
    eprintln!(
        "{}",
        line(request_id, what, error_type, message, json_logs())
    );
}

/// Whether `AWS_LAMBDA_LOG_FORMAT` asks for JSON lines.
fn json_logs() -> bool {
    std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"))
}

/// The line [`log`] writes when there is no subscriber.
fn line(
    request_id: Option<&str>,
    what: &str,
    error_type: &str,
    message: &str,
    json: bool,
) -> String {
    if json {
        serde_json::json!({
            "level": "ERROR",
            "message": what,
            "requestId": request_id,
            "errorType": error_type,
            "errorMessage": message,
        })
        .to_string()
    } else {
        // One line, whatever the error says: a line break in a message would split one
        // failure into several log events (or forge one).
        let message = message.replace('\r', "\\r").replace('\n', "\\n");
        let error_type = error_type.replace('\r', "\\r").replace('\n', "\\n");
        match request_id {
            Some(id) => format!("ERROR {id} {what}: {error_type}: {message}"),
            None => format!("ERROR {what}: {error_type}: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_boxed_error_is_named_by_its_cause_never_by_its_rust_type() {
        let boxed: BoxError = Box::new(std::io::Error::other(lambda_stream::StreamError::new(
            "Upstream.Gone",
            "went away",
        )));
        let d = named(boxed, "Handler.Failed");
        assert_eq!(d.error_type, "Upstream.Gone");
        let plain: BoxError = "no bucket".into();
        let d = named(plain, "Handler.Failed");
        assert_eq!(
            (d.error_type.as_str(), d.error_message.as_str()),
            ("Handler.Failed", "no bucket")
        );
        let d = named(String::from("text"), "Init.Failed");
        assert_eq!(
            (d.error_type.as_str(), d.error_message.as_str()),
            ("Init.Failed", "text")
        );
        let d = named(std::io::Error::other("io"), "Handler.Failed");
        assert_eq!(d.error_type, "Handler.Failed");
        let given = diagnostic("My.Own", "as given");
        let d = named(given, "Handler.Failed");
        assert_eq!(
            (d.error_type.as_str(), d.error_message.as_str()),
            ("My.Own", "as given")
        );
    }

    #[test]
    fn a_failure_line_is_one_json_object_under_the_json_log_format() {
        let text = line(
            Some("id-1"),
            "the invocation failed",
            "NoSuchKey",
            "no \"key\"",
            true,
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["requestId"], "id-1");
        assert_eq!(v["errorType"], "NoSuchKey");
        assert_eq!(v["errorMessage"], "no \"key\"");
        assert_eq!(v["level"], "ERROR");
        assert!(!text.contains('\n'));
        assert_eq!(
            line(Some("id-1"), "failed", "NoSuchKey", "m", false),
            "ERROR id-1 failed: NoSuchKey: m"
        );
        // A message with line breaks stays one line, in both formats.
        let forged = "gone\nERROR id-2 failed: Fake: forged";
        assert_eq!(
            line(Some("id-1"), "failed", "X", forged, false),
            "ERROR id-1 failed: X: gone\\nERROR id-2 failed: Fake: forged"
        );
        assert!(!line(Some("id-1"), "failed", "X", forged, true).contains('\n'));
    }
}
