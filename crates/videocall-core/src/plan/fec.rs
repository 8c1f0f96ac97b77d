//! Forward error correction of video, ULPFEC (RFC 5109) through rtpbin: the sender's
//! `rtpulpfecenc` adds XOR parity packets after each frame, in the media's own SSRC and sequence
//! numbers (as libwebrtc does) on a payload type of their own; the receiver's rtpbin keeps
//! recent packets in its `rtpstorage`, and `rtpulpfecdec`, after the jitter buffer, rebuilds a
//! packet the jitter buffer declares lost from the parity and the packets that did arrive.
//!
//! A parity packet repairs one loss among the packets it covers, with no round trip: it is what
//! lets the jitter buffer stay short on a lossy path, where RTX alone needs one round trip plus
//! margin (docs/decisions/0008-no-fec-by-default.md).

use super::{ElementSpec, names};

/// The ULPFEC payload type (a dynamic type: 96 H.264, 97 AAC, 98/99 their RTX).
pub const VIDEO_FEC_PT: u8 = 100;

/// How long the receiver keeps packets for recovery: longer than the most the jitter buffer
/// waits (`latency::MAX_MS`), so no packet is gone before its deadline.
pub const STORAGE_MS: u64 = 500;

/// FEC settings of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FecPlan {
    pub session: u32,
    /// The parity packets' payload type.
    pub pt: u8,
    pub clock_rate: u32,
    /// Parity packets per 100 media packets, counted per frame (rtpulpfecenc's `percentage`):
    /// a frame of n packets gets `n × percent / 100` parity packets (rounded down, the rest
    /// carried to the next frame), each covering an equal run of the frame's packets.
    pub percent: u32,
}

impl FecPlan {
    /// What rtpbin needs to know of the parity payload type: its clock, and that it is FEC
    /// (the jitter buffer and the storage treat it apart from media).
    pub fn fec_caps(&self) -> String {
        format!(
            "application/x-rtp,media=video,clock-rate={},encoding-name=ULPFEC,payload={},is-fec=(boolean)true",
            self.clock_rate, self.pt
        )
    }

    /// The sender's encoder.
    pub fn encoder_spec(&self) -> ElementSpec {
        ElementSpec {
            factory: "rtpulpfecenc",
            name: names::fec_enc(self.session),
            props: vec![
                ("pt", self.pt.to_string()),
                ("percentage", self.percent.to_string()),
                // Parity per frame (the marker bit ends a group): a loss is repaired within the
                // frame it hurt.
                ("multipacket", "true".into()),
            ],
        }
    }

    /// The receiver's decoder (its storage is rtpbin's, set when it is made).
    pub fn decoder_spec(&self) -> ElementSpec {
        ElementSpec {
            factory: "rtpulpfecdec",
            name: names::fec_dec(self.session),
            props: vec![("pt", self.pt.to_string())],
        }
    }
}
