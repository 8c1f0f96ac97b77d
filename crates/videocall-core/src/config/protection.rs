//! How a call is protected, decided before anything is built: the exchange's password and
//! suite, and the only address each session takes datagrams from (docs/security.md).

use std::net::IpAddr;

use super::Endpoints;
use super::security_args::DEFAULT_REKEY_AFTER_PACKETS;
use crate::security::{CallPassword, SrtpSuite};

/// How a peer protects its call, decided before anything is built.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerSecurity {
    /// The suite and the exchange's password; `None` is plain RTP.
    pub srtp: Option<(SrtpSuite, CallPassword)>,
    /// Let datagrams from any address reach the session (`--accept-any-source`, for fuzzing).
    pub accept_any_source: bool,
    /// Write our sending key into the SDP (`--sdp-crypto`).
    pub sdp_crypto: bool,
    /// Re-key after this many RTP packets sent under one key.
    pub rekey_after_packets: u64,
}

impl Default for PeerSecurity {
    fn default() -> PeerSecurity {
        PeerSecurity {
            srtp: None,
            accept_any_source: false,
            sdp_crypto: false,
            rekey_after_packets: DEFAULT_REKEY_AFTER_PACKETS,
        }
    }
}

/// One session's protection: its SRTP suite (keys come from the exchange while the call runs)
/// and the only address it takes datagrams from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionSecurity {
    pub srtp: Option<SrtpSuite>,
    pub only_from: Option<IpAddr>,
}

impl PeerSecurity {
    /// A session's protection between `endpoints`.
    pub fn session(&self, endpoints: &Endpoints) -> SessionSecurity {
        SessionSecurity {
            srtp: self.srtp.as_ref().map(|(suite, _)| *suite),
            only_from: (!self.accept_any_source).then_some(endpoints.remote_ip),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::loopback_pair;

    #[test]
    fn sessions_take_the_suite_and_the_peer_address() {
        let (a, _) = loopback_pair(40000);
        let sec = PeerSecurity {
            srtp: Some((
                SrtpSuite::AesGcm128,
                CallPassword::from_passphrase("pw").unwrap(),
            )),
            ..Default::default()
        };
        let s = sec.session(&a);
        assert_eq!(s.srtp, Some(SrtpSuite::AesGcm128));
        assert_eq!(s.only_from, Some(a.remote_ip));
        let open = PeerSecurity {
            accept_any_source: true,
            ..Default::default()
        };
        assert_eq!(open.session(&a), SessionSecurity::default());
    }
}
