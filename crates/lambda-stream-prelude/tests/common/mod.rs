//! Strategies shared by the prelude's behaviour tests.
#![allow(dead_code, unreachable_pub)]

use lambda_stream_prelude::{Dialect, HopByHopPolicy, MetadataPrelude};
use proptest::prelude::*;

/// Every dialect.
pub const DIALECTS: [Dialect; 3] = [
    Dialect::FunctionUrl,
    Dialect::ApiGatewayRest,
    Dialect::LambdaRuntime,
];

/// An HTTP token, often one of a few common names so that repeats (several values for one
/// name, in different spellings) are frequent.
pub fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "Content-Type", "content-type", "ETag", "Cache-Control", "Vary", "X-Amz-Meta-A",
            "Set-Cookie", "Content-Length", "Transfer-Encoding", "x-custom",
        ])
        .prop_map(str::to_owned),
        3 => "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}",
    ]
}

/// A field value: any UTF-8 text without control characters other than tab.
pub fn header_value() -> impl Strategy<Value = String> {
    "[^\\x00-\\x08\\x0A-\\x1F\\x7F]{0,40}"
}

/// Any prelude the builder accepts, under any hop-by-hop policy.
pub fn prelude() -> impl Strategy<Value = MetadataPrelude> {
    let policy = prop::sample::select(vec![
        HopByHopPolicy::Remap,
        HopByHopPolicy::Remove,
        HopByHopPolicy::Keep,
    ]);
    (
        100u16..=599,
        prop::collection::vec((header_name(), header_value()), 0..12),
        prop::collection::vec(header_value(), 0..4),
        policy,
    )
        .prop_map(|(status, headers, cookies, policy)| {
            headers
                .into_iter()
                .fold(MetadataPrelude::builder().status(status), |b, (n, v)| {
                    b.header(n, v)
                })
                .cookies(cookies)
                .hop_by_hop(policy)
                .build()
                .expect("the strategy only makes valid preludes")
        })
}
