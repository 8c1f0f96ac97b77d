//! Free UDP ports on this machine, for the demo and the bench: two peers on loopback need a
//! block of eight that nothing else holds.

use std::net::{IpAddr, UdpSocket};

use crate::error::{AppError, AppResult};

/// Finds `count` consecutive free UDP ports on `ip`, starting at an even port.
pub fn free_port_block(ip: IpAddr, count: u16) -> AppResult<u16> {
    // Start somewhere that depends on the process, so parallel demos and tests rarely collide,
    // and stay below Linux's ephemeral range (32768–60999), where other programs' outgoing
    // sockets (our own udpsinks included) take ports at random.
    let spread = (std::process::id() as u16 % 2000) * 8;
    for attempt in 0..2000u16 {
        let base = 20_000 + (spread.wrapping_add(attempt * 8) % 6_000) * 2;
        let held: Result<Vec<UdpSocket>, _> = (base..base + count)
            .map(|p| UdpSocket::bind((ip, p)))
            .collect();
        if held.is_ok() {
            return Ok(base);
        }
    }
    Err(AppError::Network(format!(
        "no {count} free consecutive UDP ports on {ip}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_block_is_even_and_bindable() {
        let base = free_port_block(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8).unwrap();
        assert_eq!(base % 2, 0);
        assert!(UdpSocket::bind(("127.0.0.1", base)).is_ok());
    }
}
