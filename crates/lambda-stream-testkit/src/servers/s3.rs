//! The real `aws-sdk-s3` client, set up for a local S3-compatible server.

use super::error::{FixtureError, FixtureErrorKind};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

use super::Moto;

/// A client for `endpoint` with static test credentials (`test`/`test`), region
/// `us-east-1` and path-style addressing, as `moto_server` wants.
pub fn s3_client(endpoint: &str) -> Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "lambda-stream-tests",
        ))
        .force_path_style(true)
        .build();
    Client::from_conf(config)
}

/// The environment a function needs to reach `endpoint` with the same settings through
/// `aws-config` (`AWS_ENDPOINT_URL_S3` and friends).
pub fn s3_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_S3", endpoint.to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("S3_FORCE_PATH_STYLE", "true".to_owned()),
    ]
}

/// A `moto_server` with `bucket` created in it, and a client for it.
///
/// # Errors
///
/// Why the server did not start, or why the bucket could not be created.
pub async fn moto_with_bucket(bucket: &str) -> Result<(Moto, Client), FixtureError> {
    let moto = Moto::start_async().await?;
    let client = s3_client(&moto.endpoint());
    client
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| {
            FixtureError::new(
                FixtureErrorKind::Setup,
                format!("creating bucket {bucket:?} in moto_server: {e:?}"),
            )
        })?;
    Ok((moto, client))
}
