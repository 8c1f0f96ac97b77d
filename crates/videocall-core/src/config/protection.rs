//! How a call is protected, decided before anything is built: the exchange's password and
//! suite (or, with `--sdp-crypto`, the SDES keys), and the only address each session takes
//! datagrams from (docs/security.md).

use std::net::IpAddr;

use super::security_args::DEFAULT_REKEY_AFTER_PACKETS;
use super::{Endpoints, Medium};
use crate::security::{CallPassword, SdesKeys, SdesSession, SrtpSuite};

/// How a peer protects its call, decided before anything is built.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerSecurity {
    /// The suite and the exchange's password; `None` is plain RTP.
    pub srtp: Option<(SrtpSuite, CallPassword)>,
    /// Let datagrams from any address reach the session (`--accept-any-source`, for fuzzing).
    pub accept_any_source: bool,
    /// SDES keying (`--sdp-crypto`): the keys of both sessions, fixed for the call, ours
    /// written into our SDP. No exchange runs then (the password only marks the call as
    /// encrypted).
    pub sdes: Option<SdesKeys>,
    /// Re-key after this many RTP packets sent under one key.
    pub rekey_after_packets: u64,
}

impl Default for PeerSecurity {
    fn default() -> PeerSecurity {
        PeerSecurity {
            srtp: None,
            accept_any_source: false,
            sdes: None,
            rekey_after_packets: DEFAULT_REKEY_AFTER_PACKETS,
        }
    }
}

/// One session's protection: its SRTP suite (keys come from the exchange while the call runs,
/// or are the SDES keys given here) and the only address it takes datagrams from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionSecurity {
    pub srtp: Option<SrtpSuite>,
    /// The session's SDES keys (`--sdp-crypto`), in use from the start.
    pub sdes: Option<SdesSession>,
    pub only_from: Option<IpAddr>,
}

impl PeerSecurity {
    /// `medium`'s session's protection between `endpoints`.
    pub fn session(&self, medium: Medium, endpoints: &Endpoints) -> SessionSecurity {
        SessionSecurity {
            srtp: self.srtp.as_ref().map(|(suite, _)| *suite),
            sdes: self
                .srtp
                .as_ref()
                .and(self.sdes.as_ref())
                .map(|keys| match medium {
                    Medium::Video => keys.video.clone(),
                    Medium::Audio => keys.audio.clone(),
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
    fn sessions_take_the_suite_and_the_peer_address() {
        let (a, _) = loopback_pair(40000);
        let sec = PeerSecurity {
            srtp: Some((
                SrtpSuite::AesGcm128,
                CallPassword::from_passphrase("pw").unwrap(),
            )),
            ..Default::default()
        };
        let s = sec.session(Medium::Video, &a);
        assert_eq!(s.srtp, Some(SrtpSuite::AesGcm128));
        assert_eq!(s.only_from, Some(a.remote_ip));
        assert_eq!(s.sdes, None);
        let open = PeerSecurity {
            accept_any_source: true,
            ..Default::default()
        };
        assert_eq!(open.session(Medium::Audio, &a), SessionSecurity::default());
    }

    #[test]
    fn sdes_sessions_take_their_own_keys() {
        let (a, _) = loopback_pair(40000);
        let peer_audio = crate::security::SrtpKey::random(SrtpSuite::AesCm128HmacSha1_80);
        let keys = SdesKeys::fresh(
            SrtpSuite::AesCm128HmacSha1_80,
            None,
            Some(peer_audio.clone()),
        );
        let sec = PeerSecurity {
            srtp: Some((
                SrtpSuite::AesCm128HmacSha1_80,
                CallPassword::from_passphrase("pw").unwrap(),
            )),
            sdes: Some(keys.clone()),
            ..Default::default()
        };
        let video = sec.session(Medium::Video, &a).sdes.unwrap();
        let audio = sec.session(Medium::Audio, &a).sdes.unwrap();
        assert_eq!(video, keys.video);
        assert_eq!((video.recv, audio.recv), (None, Some(peer_audio)));
        assert_ne!(video.send, audio.send, "each session has its own key");
        assert_eq!(video.send.bytes().len(), 30);
    }
}
