//! The `s3_object` example process at the edge, on the Runtime API emulator, with
//! `moto_server` behind proxies that resolve dot segments or answer a range with other
//! bytes: no path reads another bucket, a key outside the prefix is refused, a malformed
//! event does not end the process, and S3's answer is checked before a byte goes out.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use lambda_stream::DELIMITER;
use lambda_stream_testkit::data::pattern;
use lambda_stream_testkit::servers::runtime_api::{Kind, Outcome, function_url_event};
use lambda_stream_testkit::servers::{FaultyProxy, Requests, RuntimeApi, moto_with_bucket, s3_env};

const BUCKET: &str = "public";
const SECRET: &[u8] = b"another bucket's secret";

/// The example process on `api`, reaching S3 at `s3`, stopped when dropped.
struct Example(Child);

impl Example {
    fn start(api: &RuntimeApi, s3: &str, extra: &[(&'static str, &str)]) -> Example {
        let binary = lambda_stream_testkit::servers::build::example(
            env!("CARGO_MANIFEST_DIR").as_ref(),
            "s3_object",
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(binary)
            .envs(api.function_env())
            .envs(s3_env(s3))
            .env("S3_BUCKET", BUCKET)
            .envs(extra.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Example(child)
    }

    /// Still running.
    fn alive(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The status and body of the invocation of `event`.
async fn answer(api: &RuntimeApi, event: Bytes) -> (u16, Bytes, Outcome) {
    let invocation = api.invoke(event);
    let o = tokio::time::timeout(Duration::from_secs(60), invocation.outcome())
        .await
        .expect("an answer within a minute")
        .expect("an answer that started and ended");
    assert_eq!(o.kind, Kind::Response, "{:?}", o.error());
    let at = o
        .body
        .windows(DELIMITER.len())
        .position(|w| w == DELIMITER)
        .expect("a prelude");
    let prelude: serde_json::Value = serde_json::from_slice(&o.body[..at]).unwrap();
    let status = u16::try_from(prelude["statusCode"].as_u64().unwrap()).unwrap();
    let body = o.body.slice(at + DELIMITER.len()..);
    (status, body, o)
}

fn get(path: &str) -> Bytes {
    function_url_event("GET", path, &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_leaves_its_bucket_or_its_prefix_and_no_event_ends_the_process() {
    let (moto, direct) = moto_with_bucket(BUCKET).await.unwrap();
    direct
        .create_bucket()
        .bucket("secret")
        .send()
        .await
        .unwrap();
    for (bucket, key, data) in [
        ("secret", "s.txt", Bytes::from_static(SECRET)),
        (BUCKET, "obj", pattern(1000)),
        (BUCKET, "pub/page.html", pattern(2000)),
    ] {
        direct
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(data.into())
            .send()
            .await
            .unwrap();
    }
    let proxy = FaultyProxy::start_with(moto.addr(), Vec::new(), Requests::ResolveDotSegments)
        .await
        .unwrap();
    let api = RuntimeApi::start().unwrap();
    let mut example = Example::start(&api, &proxy.endpoint(), &[]);

    for path in [
        "/..%2Fsecret%2Fs.txt",
        "/a/../obj",
        "/%2e%2e/secret/s.txt",
        "/pub/..%2F..%2Fsecret/s.txt",
    ] {
        let (status, body, _) = answer(&api, get(path)).await;
        assert_eq!(status, 400, "{path}: {body:?}");
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.contains("expected no `.` or `..` segment"),
            "{path}: {text}"
        );
    }
    // A malformed event: a 400, and the same process serves the next request.
    let (status, body, _) =
        answer(&api, function_url_event("GET", "/obj", &[("host", "a b")])).await;
    assert_eq!(status, 400, "{body:?}");
    assert!(example.alive(), "the process survived a malformed Host");
    let (status, body, _) = answer(&api, get("/obj")).await;
    assert_eq!(status, 200);
    assert!(body == pattern(1000));
    assert!(
        proxy.targets().iter().all(|t| !t.contains("secret")),
        "a request reached the other bucket: {:?}",
        proxy.targets()
    );
    drop(example);

    // With a prefix, only keys under it are served.
    let _example = Example::start(&api, &proxy.endpoint(), &[("S3_KEY_PREFIX", "pub/")]);
    let (status, body, _) = answer(&api, get("/obj")).await;
    assert_eq!(status, 403, "{body:?}");
    let (status, body, _) = answer(&api, get("/pub/page.html")).await;
    assert_eq!(status, 200);
    assert!(body == pattern(2000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_answered_with_other_bytes_is_a_502_before_the_first_byte() {
    let (moto, direct) = moto_with_bucket(BUCKET).await.unwrap();
    direct
        .put_object()
        .bucket(BUCKET)
        .key("obj")
        .body(pattern(5000).into())
        .send()
        .await
        .unwrap();
    let proxy = FaultyProxy::start_with(moto.addr(), Vec::new(), Requests::ShiftRange(500))
        .await
        .unwrap();
    let api = RuntimeApi::start().unwrap();
    let _example = Example::start(&api, &proxy.endpoint(), &[]);
    let event = function_url_event("GET", "/obj", &[("range", "bytes=1000-1999")]);
    let (status, body, outcome) = answer(&api, event).await;
    assert_eq!(status, 502, "{body:?}");
    assert!(outcome.complete && outcome.error().is_none());
    assert_eq!(
        String::from_utf8_lossy(&body),
        "GetObject s3://public/obj: S3's answer does not match the request\n"
    );
}
