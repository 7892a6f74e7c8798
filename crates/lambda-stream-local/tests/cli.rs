//! The `lambda-stream-local` binary, as its README runs it: the runtime's `axum_router`
//! example behind it, reached with `curl`. A body that streams arrives whole; one that
//! fails mid-way makes `curl` exit with 18 (the response ended without its last chunk);
//! each invocation gets a line, and the function's own output is passed on.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The binary, stopped when dropped.
struct Local(Child);

impl Drop for Local {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

type Lines = std::io::Lines<BufReader<std::process::ChildStdout>>;

/// The binary serving the runtime's example `name` on free ports, its output's lines, and
/// the function URL it printed first.
fn serve_example(name: &str) -> (Local, Lines, String) {
    let example = lambda_stream_testkit::servers::build::runtime_example(name)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_lambda-stream-local"))
        .arg(&example)
        .args(["--url-port", "0", "--invoke-port", "0", "--rest-port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let local = Local(child);
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .last()
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    (local, lines, url)
}

fn curl(url: &str) -> (Option<i32>, Vec<u8>) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "30", url])
        .output()
        .expect("curl runs");
    (out.status.code(), out.stdout)
}

#[test]
fn a_failure_mid_body_makes_curl_exit_18_and_is_logged() {
    let (local, mut lines, url) = serve_example("axum_router");
    let endpoint = lines.next().unwrap().unwrap();
    assert!(endpoint.contains("http://127.0.0.1:"), "{endpoint}");

    let (code, body) = curl(&format!("{url}count/3"));
    assert_eq!(code, Some(0));
    assert_eq!(body, b"line 0\nline 1\nline 2\n");
    let (code, body) = curl(&format!("{url}fail"));
    assert_eq!(
        code,
        Some(18),
        "curl: transfer closed with outstanding read data"
    );
    assert_eq!(body, b"line 0\nline 1\nline 2\n");

    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.starts_with("[invocation] /fail") {
            break;
        }
    }
    let text = seen.join("\n");
    assert!(
        text.contains("[invocation] /count/3 200 21 bytes, first byte "),
        "{text}"
    );
    assert!(
        seen.last()
            .is_some_and(|l| l.contains("FAILED App.Exhausted: the source ran dry after 3 lines")),
        "{text}"
    );
    // The function's own line for its failure, with its request id.
    assert!(
        text.contains("ERROR") && text.contains("the response failed after it started"),
        "{text}"
    );
    drop(local);
}

/// `--bin NAME` builds the binary of the package in the current directory with cargo, in
/// release, and runs it: here a package of its own whose function only says it started.
#[test]
fn with_bin_it_builds_the_function_with_cargo_and_runs_it() {
    let dir = std::env::temp_dir().join(format!("local-cli-bin-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"started\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/bin/started.rs"),
        "fn main() {\n    println!(\"started with {}\", std::env::var(\"AWS_LAMBDA_RUNTIME_API\").unwrap());\n    std::thread::sleep(std::time::Duration::from_secs(600));\n}\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lambda-stream-local"))
        .args([
            "--bin",
            "started",
            "--url-port",
            "0",
            "--invoke-port",
            "0",
            "--rest-port",
            "0",
        ])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let local = Local(child);
    let seen: Vec<String> = lines
        .map_while(Result::ok)
        .take_while(|l| !l.starts_with("started with"))
        .chain(std::iter::once(String::new()))
        .collect();
    drop(local);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        seen.iter().any(|l| l.starts_with("function URL:")),
        "{seen:?}"
    );
    assert_eq!(
        seen.len(),
        4,
        "the three endpoints, then the function's line: {seen:?}"
    );
}

/// Ctrl-C (`SIGINT`) ends the binary with Lambda's shutdown phase: the runtime's
/// `graceful_shutdown` example, which registered an extension, gets `SIGTERM`, runs its
/// hook and exits; the binary prints what it saw, and exits with 0.
#[cfg(unix)]
#[test]
fn ctrl_c_runs_the_shutdown_phase() {
    let (mut local, mut lines, url) = serve_example("graceful_shutdown");
    let (code, body) = curl(&format!("{url}count/2"));
    assert_eq!((code, body.as_slice()), (Some(0), &b"line 0\nline 1\n"[..]));
    // The invocation's line is printed: the binary is in its loop.
    let mut seen: Vec<String> = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("[invocation] /count/2");
        seen.push(line);
        if done {
            break;
        }
    }
    let pid = rustix::process::Pid::from_raw(i32::try_from(local.0.id()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    seen.extend(lines.map_while(Result::ok));
    let status = local.0.wait().unwrap();
    let text = seen.join("\n");
    assert!(status.success(), "{status}: {text}");
    assert!(
        text.contains("shutdown hook: flushed a count of 2 lines served"),
        "{text}"
    );
    assert!(text.contains("the runtime has shut down"), "{text}");
    assert!(
        text.contains("shutdown: SIGTERM sent (an extension is registered); the function exited (exit status: 0) after "),
        "{text}"
    );
}
