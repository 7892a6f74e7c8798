//! README code blocks, for tests that keep a README's example and the code they run the same.

/// The first ```` ```rust,no_run ```` block of `readme` after the text `after` (from the
/// start with `""`), without its fences; `None` if there is none.
///
/// ```
/// let readme = "# A\n\nThe example:\n\n```rust,no_run\nfn main() {}\n```\n";
/// assert_eq!(
///     lambda_stream_testkit::readme::rust_block(readme, "The example:"),
///     Some("fn main() {}\n")
/// );
/// assert_eq!(lambda_stream_testkit::readme::rust_block(readme, "Another"), None);
/// ```
pub fn rust_block<'a>(readme: &'a str, after: &str) -> Option<&'a str> {
    const FENCE: &str = "```rust,no_run\n";
    let from = readme.find(after)?;
    let start = readme[from..].find(FENCE)? + from + FENCE.len();
    let end = readme[start..].find("```\n")? + start;
    Some(&readme[start..end])
}
