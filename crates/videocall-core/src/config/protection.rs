//! How a call is protected, decided before anything is built: SRTP keys from the passphrase
//! and the only address each session takes datagrams from (docs/security.md).

use std::net::IpAddr;

use super::{Endpoints, Medium};
use crate::security::{MasterSecret, SessionKeys, SrtpSuite};

/// How a peer protects its call, decided before anything is built.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PeerSecurity {
    /// The suite and stretched passphrase; `None` is plain RTP.
    pub srtp: Option<(SrtpSuite, MasterSecret)>,
    /// Let datagrams from any address reach the session (`--accept-any-source`, for fuzzing).
    pub accept_any_source: bool,
}

/// One session's protection: its SRTP keys and the only address it takes datagrams from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionSecurity {
    pub srtp: Option<SessionKeys>,
    pub only_from: Option<IpAddr>,
}

impl PeerSecurity {
    /// The keys of `medium`'s two directions between `endpoints`: ours (named by our
    /// destination port, the peer's reception port) and the peer's (our reception port).
    pub fn session(&self, medium: Medium, endpoints: &Endpoints) -> SessionSecurity {
        let ports = match medium {
            Medium::Video => endpoints.video,
            Medium::Audio => endpoints.audio,
        };
        SessionSecurity {
            srtp: self.srtp.as_ref().map(|(suite, master)| SessionKeys {
                suite: *suite,
                send: master.srtp_key(*suite, medium.name(), ports.dest_rtp),
                recv: master.srtp_key(*suite, medium.name(), ports.recv_rtp),
            }),
            only_from: (!self.accept_any_source).then_some(endpoints.remote_ip),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::loopback_pair;

    #[test]
    fn two_peers_derive_mirrored_keys() {
        let (a, b) = loopback_pair(40000);
        let sec = PeerSecurity {
            srtp: Some((
                SrtpSuite::AesGcm128,
                MasterSecret::from_passphrase("pw").unwrap(),
            )),
            accept_any_source: false,
        };
        for medium in [Medium::Video, Medium::Audio] {
            let (sa, sb) = (sec.session(medium, &a), sec.session(medium, &b));
            let (ka, kb) = (sa.srtp.unwrap(), sb.srtp.unwrap());
            assert_eq!(ka.send, kb.recv);
            assert_eq!(kb.send, ka.recv);
            assert_ne!(ka.send, ka.recv);
            assert_eq!(sa.only_from, Some(a.remote_ip));
        }
        let open = PeerSecurity {
            accept_any_source: true,
            ..Default::default()
        };
        assert_eq!(open.session(Medium::Audio, &a), SessionSecurity::default());
    }
}
