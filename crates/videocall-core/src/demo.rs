//! `videocall demo`: two peers in one process, calling each other over loopback on free ports.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};

use crate::config::{Endpoints, StreamPorts};
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

/// The two peers' endpoints for a loopback call starting at port `base` (8 ports).
pub fn loopback_pair(base: u16) -> (Endpoints, Endpoints) {
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let a = Endpoints {
        local_ip: ip,
        remote_ip: ip,
        video: StreamPorts {
            dest_rtp: base,
            recv_rtp: base + 2,
        },
        audio: StreamPorts {
            dest_rtp: base + 4,
            recv_rtp: base + 6,
        },
    };
    (a, a.mirror())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_pair_is_mirrored_and_disjoint() {
        let (a, b) = loopback_pair(30000);
        assert_eq!(a.mirror(), b);
        let mut ports: Vec<u16> = a
            .receive_ports()
            .into_iter()
            .chain(b.receive_ports())
            .collect();
        ports.sort();
        ports.dedup();
        assert_eq!(ports.len(), 8);
    }

    #[test]
    fn free_block_is_even_and_bindable() {
        let base = free_port_block(IpAddr::V4(Ipv4Addr::LOCALHOST), 8).unwrap();
        assert_eq!(base % 2, 0);
        assert!(UdpSocket::bind(("127.0.0.1", base)).is_ok());
    }
}
