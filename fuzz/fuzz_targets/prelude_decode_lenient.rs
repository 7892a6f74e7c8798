//! The default, lenient `PreludeDecoder` on arbitrary bytes cut at arbitrary places.
//!
//! Checks that it never panics, that the outcome does not depend on how the bytes were cut,
//! that the body comes out byte-exact, that it accepts whatever the strict decoder accepts
//! (the same prelude), and that a prelude it reads becomes one that can be sent exactly
//! when it passes the strict checks, and then encodes.
#![no_main]

mod common;

use bytes::Bytes;
use common::{decode, split};
use lambda_stream_prelude::{Dialect, MetadataPrelude, PreludeDecoder, PreludeError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let (cuts, data) = split(input);
    let data = Bytes::copy_from_slice(data);
    let whole = decode(PreludeDecoder::new(), &data, &[]);
    let cut = decode(PreludeDecoder::new(), &data, cuts);
    assert_eq!(whole, cut);
    let strict = decode(PreludeDecoder::new().strict(), &data, &[]);
    if let Ok(strict) = &strict {
        // Lenient accepts what strict accepts, and reads the same.
        assert_eq!(whole.as_ref().ok(), Some(strict));
    }
    if let Ok((prelude, body)) = whole {
        let start = data.windows(8).position(|w| w == [0u8; 8]).expect("a delimiter") + 8;
        assert_eq!(body, &data[start..]);
        let checked = prelude.check();
        match MetadataPrelude::try_from(prelude) {
            Ok(sendable) => {
                assert!(checked.is_ok());
                match sendable.encode(Dialect::FunctionUrl) {
                    Ok(_) | Err(PreludeError::TooLarge { .. }) => {}
                    Err(e) => panic!("a checked prelude failed to encode: {e}"),
                }
            }
            Err(e) => {
                assert_eq!(checked, Err(e));
                assert!(strict.is_err(), "strict accepted what cannot be sent");
            }
        }
    }
});
