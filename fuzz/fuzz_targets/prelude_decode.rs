//! The strict `PreludeDecoder` on arbitrary bytes cut at arbitrary places.
//!
//! Checks that it never panics, that the outcome does not depend on how the bytes were cut,
//! that the body comes out byte-exact, and that a decoded prelude encodes and decodes again
//! to its normalized self.
#![no_main]

mod common;

use bytes::Bytes;
use common::{decode, split};
use lambda_stream_prelude::{Decoded, Dialect, MetadataPrelude, PreludeDecoder, PreludeError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let (cuts, data) = split(input);
    let data = Bytes::copy_from_slice(data);
    let whole = decode(PreludeDecoder::new().strict(), &data, &[]);
    let cut = decode(PreludeDecoder::new().strict(), &data, cuts);
    // Cutting the stream differently never changes the outcome (errors included).
    assert_eq!(whole, cut);
    if let Ok((received, body)) = whole {
        // What the strict decoder accepts can be sent.
        let prelude = MetadataPrelude::try_from(received).expect("a strictly decoded prelude passes the checks");
        // The body is exactly what follows the first delimiter.
        let start = data.windows(8).position(|w| w == [0u8; 8]).expect("a delimiter") + 8;
        assert_eq!(body, &data[start..]);
        for dialect in [Dialect::FunctionUrl, Dialect::ApiGatewayRest, Dialect::LambdaRuntime] {
            match prelude.frames(dialect) {
                Ok(frames) => {
                    let mut strict = PreludeDecoder::new().strict();
                    let again = match strict.decode(frames.to_bytes()).expect("own output decodes") {
                        Decoded::Prelude { prelude, body } => {
                            assert!(body.is_empty());
                            prelude
                        }
                        other => panic!("own output is a whole prelude: {other:?}"),
                    };
                    assert_eq!(again, prelude.normalize(dialect));
                }
                Err(PreludeError::TooLarge { .. }) => {}
                Err(e) => panic!("a decoded prelude failed to encode: {e}"),
            }
        }
    }
});
