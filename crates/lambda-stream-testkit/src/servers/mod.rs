//! Real servers on 127.0.0.1 for end-to-end tests (feature `servers`): each fixture picks
//! a free port, and stops what it started when dropped; and a plain HTTP client that
//! records what a client receives.

pub mod build;
#[cfg(feature = "fixtures")]
mod cargo_lambda;
mod error;
pub mod http;
#[cfg(feature = "local-lambda")]
pub use lambda_stream_local::local_lambda;
#[cfg(feature = "fixtures")]
mod moto;
#[cfg(feature = "fixtures")]
mod proxy;
#[cfg(feature = "runtime-api")]
pub use lambda_stream_local::runtime_api;
#[cfg(feature = "s3")]
mod s3;

#[cfg(feature = "fixtures")]
pub use cargo_lambda::CargoLambda;
pub use error::{FixtureError, FixtureErrorKind};
#[cfg(feature = "local-lambda")]
pub use local_lambda::LocalLambda;
#[cfg(feature = "fixtures")]
pub use moto::Moto;
#[cfg(feature = "fixtures")]
pub use proxy::{Fault, FaultyProxy, Requests};
#[cfg(feature = "runtime-api")]
pub use runtime_api::RuntimeApi;
#[cfg(feature = "s3")]
pub use s3::{moto_with_bucket, s3_client, s3_env};

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> std::io::Result<u16> {
    Ok(
        TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?
            .local_addr()?
            .port(),
    )
}
