//! The workspace README's quick start, as it is there (a test keeps the two the same): S3
//! objects through a function URL, streamed. `BUCKET` names the bucket; the path is the key.

use lambda_stream::{MetadataPrelude, s3::BodyStream};
use lambda_stream_runtime::lambda_http::{Error, Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Logs as Lambda's logging controls ask (AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL).
    lambda_stream_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let s3 = aws_sdk_s3::Client::new(&config);
    let bucket = std::env::var("BUCKET")?;
    lambda_stream_runtime::run(service_fn(move |request: Request| {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        async move {
            let key = request.uri().path().trim_start_matches('/');
            let object = s3.get_object().bucket(bucket).key(key).send().await?;
            let prelude = MetadataPrelude::builder()
                .status(200)
                .header(
                    "Content-Type",
                    object.content_type().unwrap_or("application/octet-stream"),
                )
                .build()?;
            Ok::<_, Error>(lambda_stream::response(prelude, BodyStream::from(object)))
        }
    }))
    .await
}
