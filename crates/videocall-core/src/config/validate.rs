//! Pure checks of the user's answers. Each returns the reason a value is refused, in words a
//! user can act on; the prompt loop prints it and asks again, the flag path exits with it.

use std::net::IpAddr;

/// The lowest port we accept. Port 0 means "any" to the OS and cannot be agreed with a peer.
pub const MIN_PORT: u16 = 1;
/// The highest RTP port we accept: RTCP goes to port + 1, which must still be a port.
pub const MAX_RTP_PORT: u16 = 65534;

/// Parses an RTP port: a number, in range, even (RFC 3550 §11: RTP on an even port, RTCP on the
/// next odd one).
pub fn parse_rtp_port(text: &str) -> Result<u16, String> {
    let text = text.trim();
    let value: u32 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if value < u32::from(MIN_PORT) || value > u32::from(MAX_RTP_PORT) {
        return Err(format!(
            "{value} is out of range: use an even port from 2 to {MAX_RTP_PORT}"
        ));
    }
    if !value.is_multiple_of(2) {
        return Err(format!(
            "{value} is odd: the RTP port must be even (RTCP uses the port + 1)"
        ));
    }
    Ok(value as u16)
}

/// Refuses `port` when its RTP/RTCP pair overlaps a pair already given in the same direction
/// (two of our reception ports, or two of our destination ports). `taken` holds the
/// (name, RTP port) pairs given so far in that direction.
pub fn check_no_clash(port: u16, taken: &[(&str, u16)]) -> Result<(), String> {
    for (name, other) in taken {
        if port.abs_diff(*other) < 2 {
            return Err(format!(
                "{port} clashes with the {name} ({other}, RTCP {}): each stream needs its own RTP and RTCP port",
                other + 1
            ));
        }
    }
    Ok(())
}

/// Parses an IP address, IPv4 or IPv6.
pub fn parse_ip(text: &str) -> Result<IpAddr, String> {
    let text = text.trim();
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    text.parse()
        .map_err(|_| format!("'{text}' is not an IP address (e.g. 192.168.1.10 or ::1)"))
}

/// Parses the local address and checks it with `is_ours` (which asks the OS; injected so this
/// stays testable).
pub fn parse_local_ip(text: &str, is_ours: impl Fn(IpAddr) -> bool) -> Result<IpAddr, String> {
    let ip = parse_ip(text)?;
    if ip.is_unspecified() || ip.is_multicast() {
        return Err(format!(
            "{ip} is not a unicast address: give this machine's address on the network the peer is on"
        ));
    }
    if !is_ours(ip) {
        return Err(format!("{ip} is not an address of this machine"));
    }
    Ok(ip)
}

/// Parses the peer's address; it must be of the same family as ours.
pub fn parse_remote_ip(text: &str, local: IpAddr) -> Result<IpAddr, String> {
    let ip = parse_ip(text)?;
    if ip.is_unspecified() || ip.is_multicast() {
        return Err(format!("{ip} is not a unicast address"));
    }
    if ip.is_ipv4() != local.is_ipv4() {
        return Err(format!(
            "{ip} and the local address {local} are of different IP versions"
        ));
    }
    Ok(ip)
}

/// True when the OS lets us bind a UDP socket to `ip`, that is, when `ip` is one of this
/// machine's addresses.
pub fn is_local_address(ip: IpAddr) -> bool {
    std::net::UdpSocket::bind((ip, 0)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_must_be_even_numbers_in_range() {
        assert_eq!(parse_rtp_port(" 5000\n"), Ok(5000));
        assert!(parse_rtp_port("abc").unwrap_err().contains("not a number"));
        assert!(parse_rtp_port("-2").unwrap_err().contains("not a number"));
        assert!(parse_rtp_port("0").unwrap_err().contains("out of range"));
        assert!(
            parse_rtp_port("65536")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(parse_rtp_port("99999999999").is_err());
        assert!(parse_rtp_port("5001").unwrap_err().contains("odd"));
        assert_eq!(parse_rtp_port("65534"), Ok(65534));
    }

    #[test]
    fn rtp_rtcp_pairs_may_not_overlap() {
        let taken = [("video reception port", 5000)];
        assert!(check_no_clash(5000, &taken).is_err());
        assert!(check_no_clash(4998, &taken).is_ok());
        assert!(check_no_clash(5002, &taken).is_ok());
        assert!(check_no_clash(5002, &[]).is_ok());
        let msg = check_no_clash(5000, &taken).unwrap_err();
        assert!(msg.contains("video reception port"), "{msg}");
    }

    #[test]
    fn addresses_parse_both_families() {
        assert_eq!(parse_ip("127.0.0.1").unwrap().to_string(), "127.0.0.1");
        assert_eq!(parse_ip("[::1]").unwrap().to_string(), "::1");
        assert!(parse_ip("300.1.1.1").unwrap_err().contains("not an IP"));
        assert!(parse_ip("example.com").is_err());
    }

    #[test]
    fn local_address_must_be_ours_and_unicast() {
        let ours = |ip: IpAddr| ip.is_loopback();
        assert!(parse_local_ip("127.0.0.1", ours).is_ok());
        assert!(
            parse_local_ip("203.0.113.9", ours)
                .unwrap_err()
                .contains("not an address of this machine")
        );
        assert!(parse_local_ip("0.0.0.0", |_| true).is_err());
        assert!(parse_local_ip("224.0.0.1", |_| true).is_err());
    }

    #[test]
    fn remote_address_must_match_family() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(parse_remote_ip("127.0.0.2", local).is_ok());
        assert!(
            parse_remote_ip("::1", local)
                .unwrap_err()
                .contains("different IP versions")
        );
    }

    #[test]
    fn the_os_knows_loopback_is_ours() {
        assert!(is_local_address("127.0.0.1".parse().unwrap()));
        assert!(!is_local_address("203.0.113.9".parse().unwrap()));
    }
}
