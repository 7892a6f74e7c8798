//! The README's example, as it is there (a test keeps the two the same), run against the
//! `axum_router` example on the test kit's local Lambda: a streamed body arrives whole,
//! and a body that fails mid-way is an error.

mod common;

use std::path::PathBuf;

use lambda_stream_testkit::servers::LocalLambda;

// The README's code block, verbatim.
use futures_util::TryStreamExt;
use lambda_stream_invoke::{FunctionUrlEvent, invoke};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The body of `path` from `function`, or the function's error.
async fn download(
    client: &aws_sdk_lambda::Client,
    function: &str,
    path: &str,
) -> Result<Vec<u8>, Error> {
    let event = FunctionUrlEvent::get(path).header("Accept", "text/plain");
    let response = invoke(client, function, event).await?;
    if let Some(prelude) = response.prelude() {
        println!("status {}", prelude.status());
    }
    let mut body = response.into_body();
    let mut received = Vec::new();
    // An error here, never a clean end, if the function failed mid-way.
    while let Some(chunk) = body.try_next().await? {
        received.extend_from_slice(&chunk);
    }
    Ok(received)
}
// The end of the README's code block.

#[test]
fn the_readme_example_is_this_code() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let here = std::fs::read_to_string(dir.join("tests/readme.rs")).unwrap();
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let block = lambda_stream_testkit::readme::rust_block(&readme, "").unwrap();
    let start = here.find("use futures_util::TryStreamExt;").unwrap();
    let end = here.find("// The end of the README's code block.").unwrap();
    assert_eq!(block, &here[start..end]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_example_downloads_through_the_local_lambda() {
    let example = lambda_stream_testkit::servers::build::runtime_example("axum_router")
        .unwrap_or_else(|e| panic!("{e}"));
    let lambda = LocalLambda::start(&example, &[]).unwrap_or_else(|e| panic!("{e}"));
    let client = common::client(&lambda);
    let body = download(&client, "axum_router", "/count/3").await.unwrap();
    assert_eq!(body, b"line 0\nline 1\nline 2\n");
    let e = download(&client, "axum_router", "/fail").await.unwrap_err();
    let e = e
        .downcast_ref::<lambda_stream_invoke::InvokeError>()
        .unwrap_or_else(|| panic!("{e}"));
    assert_eq!(e.error_code(), Some("App.Exhausted"));
}
