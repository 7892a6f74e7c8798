//! Prints the prelude of one response in every dialect, then decodes a stream cut in two
//! in the middle of its delimiter.
//!
//! `cargo run -p lambda-stream-prelude --example prelude`

use bytes::Bytes;
use lambda_stream_prelude::{Decoded, Dialect, MetadataPrelude, PreludeDecoder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prelude = MetadataPrelude::builder()
        .status(200)
        .header("Content-Type", "text/plain")
        .header("Cache-control", "no-store")
        .header("Vary", "Origin")
        .header("Vary", "Accept-Encoding")
        .cookie("testcookie=value")
        .build()?;

    for dialect in [
        Dialect::FunctionUrl,
        Dialect::ApiGatewayRest,
        Dialect::LambdaRuntime,
    ] {
        let frames = prelude.frames(dialect)?;
        println!(
            "{dialect:?} ({} bytes with the delimiter):",
            frames.encoded_len()
        );
        println!("  {}", String::from_utf8_lossy(frames.json()));
    }

    let mut wire = prelude.frames(Dialect::FunctionUrl)?.to_bytes().to_vec();
    wire.extend_from_slice(b"hello");
    let wire = Bytes::from(wire);
    let cut = wire.len() - 5 - 3; // three delimiter bytes go with the body
    let mut decoder = PreludeDecoder::new();
    for chunk in [wire.slice(..cut), wire.slice(cut..)] {
        match decoder.decode(chunk)? {
            Decoded::NeedMore => println!("decoder: need more after {cut} bytes"),
            Decoded::Prelude { prelude, body } => {
                println!(
                    "decoder: status {}, {} headers, cookies {:?}",
                    prelude.status(),
                    prelude.headers().count(),
                    prelude.cookies()
                );
                println!("decoder: body so far {:?}", String::from_utf8_lossy(&body));
            }
            Decoded::Body(body) => println!("decoder: body {:?}", String::from_utf8_lossy(&body)),
        }
    }
    decoder.finish()?;
    Ok(())
}
