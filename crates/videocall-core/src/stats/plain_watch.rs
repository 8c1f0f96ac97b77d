//! A plain call that is sent SRTP: the peer set a passphrase and we did not. SRTP leaves RTP
//! headers in the clear, so the media looks like damaged packets; SRTCP shows itself, since its
//! packets no longer add up as an RTCP compound (RFC 3711 §3.4: the first header in the clear,
//! the rest encrypted, then the E flag and SRTCP index, then the tag). A probe on the plain
//! RTCP socket counts each kind (`collect` installs it); the adapter's peer watch turns the
//! counts into one line.

use gst::prelude::*;

use crate::build::source_filter::RejectCounter;

/// The RTCP packet types a compound must start with (SR, RR).
const FIRST_TYPES: [u8; 2] = [200, 201];

/// True when `datagram`, walked as an RTCP compound, is whole packets of version 2 that end
/// exactly at its end.
fn is_plain_compound(datagram: &[u8]) -> bool {
    let mut rest = datagram;
    while !rest.is_empty() {
        let Some(header) = rest.get(..4) else {
            return false;
        };
        if header[0] >> 6 != 2 {
            return false;
        }
        let len = (usize::from(u16::from_be_bytes([header[2], header[3]])) + 1) * 4;
        let Some(next) = rest.get(len..) else {
            return false;
        };
        rest = next;
    }
    true
}

/// What an RTCP datagram on a plain session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpKind {
    Plain,
    /// SRTCP, as far as the bytes can tell: a valid first SR/RR header, no valid plain
    /// compound, and the E flag set where an AEAD suite (index last) or an 80-bit tag suite
    /// (index then tag) puts it.
    Encrypted,
    Neither,
}

/// Classifies one datagram, walking it once.
pub fn classify_rtcp(datagram: &[u8]) -> RtcpKind {
    if is_plain_compound(datagram) {
        return RtcpKind::Plain;
    }
    let valid_start =
        datagram.len() >= 8 + 4 + 10 && datagram[0] >> 6 == 2 && FIRST_TYPES.contains(&datagram[1]);
    let e_flag_at = |from_end: usize| datagram[datagram.len() - from_end] & 0x80 != 0;
    if valid_start && (e_flag_at(4) || e_flag_at(14)) {
        RtcpKind::Encrypted
    } else {
        RtcpKind::Neither
    }
}

/// Counts, on a plain session's RTCP socket, plain compounds and SRTCP-looking datagrams.
#[derive(Debug, Clone, Default)]
pub struct RtcpKinds {
    pub plain: RejectCounter,
    pub encrypted: RejectCounter,
}

impl RtcpKinds {
    /// Installs the counting probe on the RTCP `udpsrc` (after the peer-only filter, which is
    /// installed first).
    pub fn install(&self, udpsrc: &gst::Element) {
        let Some(pad) = udpsrc.static_pad("src") else {
            return;
        };
        let kinds = self.clone();
        pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
            if let Some(map) = info.buffer().and_then(|b| b.map_readable().ok()) {
                match classify_rtcp(&map) {
                    RtcpKind::Encrypted => kinds.encrypted.add(1),
                    RtcpKind::Plain => kinds.plain.add(1),
                    RtcpKind::Neither => {}
                }
            }
            gst::PadProbeReturn::Ok
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn looks_like_srtcp(datagram: &[u8]) -> bool {
        classify_rtcp(datagram) == RtcpKind::Encrypted
    }

    /// An RR with one report block (32 bytes) followed by an SDES chunk (12 bytes).
    fn plain_rr() -> Vec<u8> {
        let mut d = vec![0x81, 201, 0, 7];
        d.extend([0u8; 28]);
        d.extend([0x81, 202, 0, 2, 1, 2, 3, 4, 1, 1, b'x', 0]);
        d
    }

    #[test]
    fn plain_compounds_are_not_srtcp() {
        assert!(is_plain_compound(&plain_rr()));
        assert!(!looks_like_srtcp(&plain_rr()));
    }

    #[test]
    fn an_encrypted_compound_is_recognised_for_both_suites() {
        let mut gcm = plain_rr();
        // Encrypt everything after the first 8 bytes (here: scramble), add the GCM tag inside,
        // then E|index.
        for b in &mut gcm[8..] {
            *b ^= 0x5a;
        }
        gcm.extend([0xaa; 16]);
        gcm.extend([0x80, 0, 0, 1]);
        assert!(looks_like_srtcp(&gcm));
        let mut cm = plain_rr();
        for b in &mut cm[8..] {
            *b ^= 0x3c;
        }
        cm.extend([0x80, 0, 0, 7]);
        cm.extend([0x11; 10]);
        assert!(looks_like_srtcp(&cm));
    }

    #[test]
    fn garbage_and_short_datagrams_are_not_srtcp() {
        assert!(!looks_like_srtcp(&[]));
        assert!(!looks_like_srtcp(&[0x80, 200, 0, 1]));
        assert!(!looks_like_srtcp(&[0x40; 64]));
        let mut wrong_type = plain_rr();
        wrong_type[1] = 203;
        wrong_type.extend([0x80; 20]);
        assert!(!looks_like_srtcp(&wrong_type));
    }
}
