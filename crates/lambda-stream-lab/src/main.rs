//! `cargo run --release -p lambda-stream-lab`: see the crate docs, or `--help`.

fn main() -> std::process::ExitCode {
    lambda_stream_lab::main(std::env::args_os())
}
