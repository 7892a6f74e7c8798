//! Lambda's rules about a function that dies or runs too long, on the local Lambda, with a
//! stand-in function (a short Python runtime) that misbehaves on request: it exits on
//! `/exit`, never answers on `/hang`, stops half way through its body on `/stall`, and
//! streams `ok` otherwise.

use std::path::PathBuf;
use std::time::Duration;

use lambda_stream_local::{LocalLambda, Options};
use lambda_stream_testkit::servers::http::get;

const FUNCTION: &str = r#"#!/usr/bin/env python3
import http.client, json, os, socket, time
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
host, port = api.rsplit(":", 1)

def chunk(data):
    return b"%x\r\n" % len(data) + data + b"\r\n"

while True:
    c = http.client.HTTPConnection(host, int(port))
    c.request("GET", "/2018-06-01/runtime/invocation/next")
    r = c.getresponse()
    event = json.loads(r.read() or b"{}")
    if r.status != 200:
        break
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    path = event.get("rawPath", "/")
    if path == "/exit":
        os._exit(3)
    if path == "/hang":
        time.sleep(3600)
    s = socket.create_connection((host, int(port)))
    s.sendall((f"POST /2018-06-01/runtime/invocation/{rid}/response HTTP/1.1\r\n"
               "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
               "Content-Type: application/vnd.awslambda.http-integration-response\r\n"
               f"Transfer-Encoding: chunked\r\nHost: {api}\r\nConnection: close\r\n\r\n").encode())
    s.sendall(chunk(b'{"statusCode":200,"headers":{},"cookies":[]}') + chunk(b"\0" * 8))
    if path == "/stall":
        s.sendall(chunk(b"partial"))
        time.sleep(3600)
    s.sendall(chunk(b"ok") + b"0\r\n\r\n")
    s.recv(65536)
    s.close()
"#;

/// The stand-in function, written to a file of its own.
struct Function(PathBuf);

impl Function {
    fn new(name: &str) -> Function {
        let dir = std::env::temp_dir().join(format!("local-rules-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("function.py");
        std::fs::write(&path, FUNCTION).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Function(path)
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn last_error(lambda: &LocalLambda, path: &str) -> (String, String) {
    lambda
        .records()
        .iter()
        .rev()
        .find(|r| r.path == path)
        .and_then(|r| r.error.clone())
        .unwrap_or_else(|| panic!("no failure recorded for {path}: {:?}", lambda.records()))
}

#[tokio::test]
async fn a_function_that_exits_fails_its_invocation_and_is_started_again() {
    let function = Function::new("exit");
    let lambda = LocalLambda::start(&function.0, &[]).unwrap();
    let ok = get(&lambda.url("/ok"), &[]).await.unwrap();
    assert_eq!(
        (ok.status, ok.body.as_slice(), ok.complete),
        (200, &b"ok"[..], true)
    );
    let exited = get(&lambda.url("/exit"), &[]).await.unwrap();
    assert_eq!(exited.status, 502);
    let (error_type, message) = last_error(&lambda, "/exit");
    assert_eq!(error_type, "Runtime.ExitError");
    assert!(
        message.contains("Runtime exited with error: exit status: 3"),
        "{message}"
    );
    // A new process serves the next invocation.
    let again = get(&lambda.url("/ok"), &[]).await.unwrap();
    assert_eq!((again.status, again.body.as_slice()), (200, &b"ok"[..]));
    assert!(
        lambda.logs().contains("the function exited"),
        "{}",
        lambda.logs()
    );
}

#[tokio::test]
async fn past_its_timeout_an_invocation_fails_as_sandbox_timedout_and_a_stream_is_cut() {
    let function = Function::new("timeout");
    let options = Options {
        timeout: Duration::from_secs(1),
        ..Options::default()
    };
    let lambda = LocalLambda::start_with(&function.0, &[], options).unwrap();
    // Never answered: a 502, as for any error before the first byte.
    let hung = get(&lambda.url("/hang"), &[]).await.unwrap();
    assert_eq!(hung.status, 502);
    let (error_type, message) = last_error(&lambda, "/hang");
    assert_eq!(error_type, "Sandbox.Timedout");
    assert!(
        message.contains("Task timed out after 1.00 seconds"),
        "{message}"
    );
    // The stuck process was stopped and another started: the next invocation is served.
    let ok = get(&lambda.url("/ok"), &[]).await.unwrap();
    assert_eq!((ok.status, ok.body.as_slice()), (200, &b"ok"[..]));
    // Stalled mid-body: what was sent, then an abort.
    let stalled = get(&lambda.url("/stall"), &[]).await.unwrap();
    assert_eq!(
        (stalled.status, stalled.body.as_slice()),
        (200, &b"partial"[..])
    );
    assert!(
        !stalled.complete,
        "the response ends without its last chunk"
    );
    assert_eq!(last_error(&lambda, "/stall").0, "Sandbox.Timedout");
    let ok = get(&lambda.url("/ok"), &[]).await.unwrap();
    assert_eq!(ok.status, 200);
}
