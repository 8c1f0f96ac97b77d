//! Redundant audio (RED, RFC 2198): every audio packet also carries the previous packet's AAC
//! frame, so a single lost packet is rebuilt from the next one, 21 ms later, with no round
//! trip. Retransmission needs a round trip plus margin, more than the jitter buffer waits once
//! video is allowed to wait longer than it is shown (`rtp::repair_hold`): the audio would then
//! click on most losses. The sender's `rtpredenc` wraps the payloader's packets in the
//! session's aux-sender bin, before the RTX history (so resends carry the RED packets the
//! receiver missed); the receiver's `rtpreddec` unwraps them in the aux-receiver bin, after RTX
//! restoration and before the jitter buffer, and emits a rebuilt packet with the sequence
//! number that was missing, so the jitter buffer sees no gap and asks for nothing.
//!
//! Redundancy doubles the audio on the wire (64 → 130 kbit/s) and only a receiver that knows
//! RED can play it (ffmpeg, VLC and a stock GStreamer receiver cannot), so it goes only to a
//! peer that says it takes it ([`TOOL`] in its RTCP SDES, as there is no signalling), and only
//! while the peer's receiver reports show our audio losing packets, and for [`RED_MEMORY_S`]
//! after ([`RedSwitch`]). Otherwise every packet is plain AAC: `rtpredenc` with no redundant
//! block passes packets through unchanged.

use super::{ElementSpec, names};

/// The RED payload type (dynamic: 96 H.264, 97 AAC, 98/99 their RTX, 100 video FEC).
pub const AUDIO_RED_PT: u8 = 101;

/// Redundancy settings of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedPlan {
    pub session: u32,
    /// The RED packets' payload type.
    pub pt: u8,
    pub clock_rate: u32,
    /// How many packets back the redundant frame is (`rtpredenc`'s `distance`) while
    /// redundancy is on: 1 rebuilds any single loss; two losses in a row are left to RTX.
    pub distance: u32,
}

impl RedPlan {
    /// What rtpsession needs to know of the RED payload type (its clock, for jitter).
    pub fn red_caps(&self) -> String {
        format!(
            "application/x-rtp,media=audio,clock-rate={},encoding-name=RED,payload={}",
            self.clock_rate, self.pt
        )
    }

    /// The sender's encoder's element name.
    pub fn encoder_name(&self) -> String {
        names::red_enc(self.session)
    }

    /// The sender's encoder.
    pub fn encoder_spec(&self) -> ElementSpec {
        ElementSpec {
            factory: "rtpredenc",
            name: self.encoder_name(),
            props: vec![
                ("pt", self.pt.to_string()),
                // Off until the peer's reports ask for it (`RedSwitch`).
                ("distance", "0".into()),
                // Without a redundant block a packet goes as it came: plain AAC.
                ("allow-no-red-blocks", "false".into()),
            ],
        }
    }

    /// The receiver's decoder; packets of other payload types pass through it.
    pub fn decoder_spec(&self) -> ElementSpec {
        ElementSpec {
            factory: "rtpreddec",
            name: names::red_dec(self.session),
            props: vec![("pt", self.pt.to_string())],
        }
    }
}

/// Our SDES TOOL item: the program, and that its receiver takes RED (payload type
/// [`AUDIO_RED_PT`]) and its RTX (`rtx::RED_RTX_PT`).
pub const TOOL: &str = "videocall; red";

/// True when a peer's SDES TOOL says it takes RED.
pub fn tool_takes_red(tool: &str) -> bool {
    tool.split(';').skip(1).any(|token| token.trim() == "red")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_names_its_payload_type_everywhere() {
        let plan = RedPlan {
            session: 1,
            pt: AUDIO_RED_PT,
            clock_rate: 48000,
            distance: 1,
        };
        assert_eq!(
            plan.red_caps(),
            "application/x-rtp,media=audio,clock-rate=48000,encoding-name=RED,payload=101"
        );
        let enc = plan.encoder_spec();
        assert_eq!((enc.factory, enc.name.as_str()), ("rtpredenc", "red-enc-1"));
        assert!(enc.props.contains(&("pt", "101".into())));
        assert!(
            enc.props.contains(&("distance", "0".into())),
            "off from the start"
        );
        let dec = plan.decoder_spec();
        assert_eq!((dec.factory, dec.name.as_str()), ("rtpreddec", "red-dec-1"));
        assert!(dec.props.contains(&("pt", "101".into())));
    }

    #[test]
    fn the_tool_item_says_who_takes_red() {
        // The TOOL we send is one a peer's adapter reads as taking RED.
        assert!(tool_takes_red(TOOL));
        assert!(tool_takes_red("videocall 0.2; rtx; red"));
        assert!(!tool_takes_red("videocall"));
        assert!(!tool_takes_red("GStreamer; redder"));
        assert!(!tool_takes_red("red"));
    }
}
