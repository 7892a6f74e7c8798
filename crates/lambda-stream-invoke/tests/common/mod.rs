//! What the tests that invoke a function on the local Lambda share.

use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use lambda_stream_testkit::servers::LocalLambda;

/// A real `aws-sdk-lambda` client for `lambda`'s `InvokeWithResponseStream` front, with
/// static test credentials.
pub(crate) fn client(lambda: &LocalLambda) -> aws_sdk_lambda::Client {
    let config = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(lambda.endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .build();
    aws_sdk_lambda::Client::from_conf(config)
}
