//! Real servers on 127.0.0.1 for end-to-end tests (feature `servers`): each fixture picks
//! a free port, and stops what it started when dropped.

mod moto;
mod proxy;

pub use moto::Moto;
pub use proxy::{Fault, FaultyProxy};

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> std::io::Result<u16> {
    Ok(
        TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?
            .local_addr()?
            .port(),
    )
}
