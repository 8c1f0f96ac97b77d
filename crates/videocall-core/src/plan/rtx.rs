//! Retransmission of lost packets, RFC 4588, through rtpbin: the receiver's jitter buffer asks
//! for a missing packet (RTCP NACK, RFC 4585), the sender's `rtprtxsend` resends it from its
//! history on a separate payload type and SSRC, and the receiver's `rtprtxreceive` turns it
//! back into the original packet before the jitter buffer. rtpbin asks for these elements with
//! its `request-aux-sender`/`request-aux-receiver` signals; `build::session` wraps and connects them.

use super::{ElementSpec, names};

/// How long the sender keeps packets for resending: several round trips, enough for a repeated
/// request over a slow path, and still little memory at 2 Mbit/s (about 250 kB).
pub const RTX_HISTORY_MS: u32 = 1000;

/// RTX payload types (RFC 4588 §8) of our media's 96 (H.264) and 97 (AAC), and of redundant
/// audio's 101 (RED).
pub const VIDEO_RTX_PT: u8 = 98;
pub const AUDIO_RTX_PT: u8 = 99;
pub const RED_RTX_PT: u8 = 102;

/// When the jitter buffer asks for a missing packet; `None` leaves its own timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTiming {
    /// How long after a packet was due the first request goes (`rtx-delay`).
    pub first_delay_ms: Option<i32>,
    /// Ask again after this long (`rtx-retry-timeout`, `rtx-min-retry-timeout`).
    pub retry_timeout_ms: Option<i32>,
    /// At most this many repeats (`rtx-max-retries`).
    pub max_retries: Option<i32>,
    /// Ask for a packet that is merely overdue, before a later one shows the gap
    /// (`rtx-next-seqnum`); `None` leaves the jitter buffer's default (yes).
    pub when_overdue: Option<bool>,
}

/// Video asks again every 15 ms, up to four requests in all. The jitter buffer's own timing
/// waits about two round trips before asking again, past its deadline: a lost NACK or a lost
/// resend meant a lost packet and a frozen picture until the next key frame. The repeats cost a
/// few duplicate resends (docs/decisions/0006-lost-packets-are-resent.md).
///
/// It asks only once a later packet shows the gap (video packets come every few
/// milliseconds): asking for packets merely overdue asked for every packet a bottleneck's
/// growing queue delayed, up to four times each, and the resends doubled what went into the
/// queue (docs/decisions/0021-delay-based-rate-control.md).
pub const VIDEO_REQUESTS: RequestTiming = RequestTiming {
    first_delay_ms: None,
    retry_timeout_ms: Some(15),
    max_retries: Some(3),
    when_overdue: Some(false),
};

/// Audio asks only once a later packet shows the gap, 5 ms after that, and again every 15 ms
/// up to three requests. Its packets come every 21 ms, so asking for every packet that was
/// merely overdue (the jitter buffer's default) asked for nearly every packet the path delayed:
/// at 2 % loss and 20–40 ms delay ~900 requests in 40 s for ~35 losses, resends that took audio
/// from 64 to 80–88 kbit/s. A 40 ms wait instead cut the requests to 42–54 but left too
/// little time for a repeated request, and single unrepaired losses made 64–85 ms gaps
/// (docs/decisions/0006-lost-packets-are-resent.md).
pub const AUDIO_REQUESTS: RequestTiming = RequestTiming {
    first_delay_ms: Some(5),
    retry_timeout_ms: Some(15),
    max_retries: Some(2),
    when_overdue: Some(false),
};

/// Retransmission settings of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtxPlan {
    pub session: u32,
    /// The media payload type.
    pub pt: u8,
    /// The RTX payload type (RFC 4588 §8: a dynamic type of its own, `apt` = the media's).
    pub rtx_pt: u8,
    pub clock_rate: u32,
    pub media: &'static str,
    /// When the receiver's jitter buffer asks for a missing packet.
    pub requests: RequestTiming,
    /// A second media payload type and its RTX type: audio goes as plain AAC or, while
    /// redundancy is on, as RED, and either may need resending.
    pub also: Option<(u8, u8)>,
}

impl RtxPlan {
    /// The caps rtpbin needs for the RTX payload type (what an SDP would say with
    /// `a=rtpmap:<rtx_pt> rtx/<clock>` and `a=fmtp:<rtx_pt> apt=<pt>`).
    pub fn rtx_caps(&self) -> String {
        self.rtx_caps_for(self.pt, self.rtx_pt)
    }

    /// The caps of the second RTX payload type, when there is one.
    pub fn also_rtx_caps(&self) -> Option<(u8, String)> {
        self.also
            .map(|(pt, rtx_pt)| (rtx_pt, self.rtx_caps_for(pt, rtx_pt)))
    }

    fn rtx_caps_for(&self, pt: u8, rtx_pt: u8) -> String {
        format!(
            "application/x-rtp,media={},clock-rate={},encoding-name=RTX,payload={rtx_pt},apt={pt}",
            self.media, self.clock_rate
        )
    }

    /// `rtprtxsend`/`rtprtxreceive`'s map: media payload type → RTX payload type.
    pub fn payload_type_map(&self) -> String {
        let mut map = format!(
            "application/x-rtp-pt-map, {}=(uint){}",
            self.pt, self.rtx_pt
        );
        if let Some((pt, rtx_pt)) = self.also {
            map.push_str(&format!(", {pt}=(uint){rtx_pt}"));
        }
        map
    }

    /// The sender's history, which resends what the peer asks for.
    pub fn sender_spec(&self) -> ElementSpec {
        ElementSpec::new("rtprtxsend", names::rtx_send(self.session))
            .prop("max-size-time", RTX_HISTORY_MS)
            // Bounded by time alone: a key frame is many packets.
            .prop("max-size-packets", 0)
            .prop("payload-type-map", self.payload_type_map())
    }

    /// The receiver's restoration of resent packets.
    pub fn receiver_spec(&self) -> ElementSpec {
        ElementSpec::new("rtprtxreceive", names::rtx_recv(self.session))
            .prop("payload-type-map", self.payload_type_map())
    }
}

/// How long rtpsession may hold a NACK before sending it. rtpsession drops a NACK it could not
/// send within `rtx-deadline` − (time the packet is overdue) − (average resend round trip); with
/// the jitter buffer's default (its own latency) that left 0–20 ms, less than the wait for the
/// next RTCP slot under loss, so most repeated requests and many first ones were silently
/// dropped (`session_nack: Removing N expired NACKS` in rtpsession's log): at 5 % loss ~120
/// packets per 40 s went unrepaired. A NACK costs a few bytes and the jitter buffer stops asking
/// once the packet is given up, so the deadline is the sender's history instead.
pub const NACK_DEADLINE_MS: i32 = RTX_HISTORY_MS as i32;

#[cfg(test)]
impl RtxPlan {
    /// Session 0's H.264 (96) with RTX 98: the plan tests start from.
    pub(crate) fn video_example() -> RtxPlan {
        RtxPlan {
            session: 0,
            pt: 96,
            rtx_pt: VIDEO_RTX_PT,
            clock_rate: 90_000,
            media: "video",
            requests: VIDEO_REQUESTS,
            also: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> RtxPlan {
        RtxPlan::video_example()
    }

    #[test]
    fn rtx_caps_name_the_associated_payload() {
        let caps = plan().rtx_caps();
        assert!(caps.contains("encoding-name=RTX"), "{caps}");
        assert!(
            caps.contains("apt=96") && caps.contains("payload=98"),
            "{caps}"
        );
        let with_red = RtxPlan {
            also: Some((101, 102)),
            ..plan()
        };
        assert_eq!(
            with_red.payload_type_map(),
            "application/x-rtp-pt-map, 96=(uint)98, 101=(uint)102"
        );
        assert_eq!(plan().sender_spec().name, "rtx-send-0");
        assert_eq!(
            plan().receiver_spec().get("payload-type-map"),
            Some("application/x-rtp-pt-map, 96=(uint)98")
        );
    }
}
