//! Retransmission of lost packets, RFC 4588, through rtpbin: the receiver's jitter buffer asks
//! for a missing packet (RTCP NACK, RFC 4585), the sender's `rtprtxsend` resends it from its
//! history on a separate payload type and SSRC, and the receiver's `rtprtxreceive` turns it
//! back into the original packet before the jitter buffer. rtpbin asks for these elements with
//! its `request-aux-sender`/`request-aux-receiver` signals; `session` wraps and connects them.

use gst::prelude::*;

use crate::build::element::make_element;
use crate::error::AppResult;
use crate::plan::media::ElementSpec;

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
/// few duplicate resends (docs/benchmarks-network.md).
pub const VIDEO_REQUESTS: RequestTiming = RequestTiming {
    first_delay_ms: None,
    retry_timeout_ms: Some(15),
    max_retries: Some(3),
    when_overdue: None,
};

/// Audio asks only once a later packet shows the gap, 5 ms after that, and again every 15 ms
/// up to three requests. Its packets come every 21 ms, so asking for every packet that was
/// merely overdue (the jitter buffer's default) asked for nearly every packet the path delayed:
/// at 2 % loss and 20–40 ms delay ~900 requests in 40 s for ~35 losses, resends that took audio
/// from 64 to 80–88 kbit/s. A 40 ms wait instead cut the requests to 42–54 but left too
/// little time for a repeated request, and single unrepaired losses made 64–85 ms gaps
/// (docs/benchmarks-network.md).
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
    pub fn payload_type_map(&self) -> gst::Structure {
        let mut map = gst::Structure::builder("application/x-rtp-pt-map")
            .field(self.pt.to_string(), u32::from(self.rtx_pt));
        if let Some((pt, rtx_pt)) = self.also {
            map = map.field(pt.to_string(), u32::from(rtx_pt));
        }
        map.build()
    }

    /// Element names, so stats can find them: `rtx-send-0`, `rtx-recv-0`.
    pub fn element_name(&self, role: &str) -> String {
        format!("rtx-{role}-{}", self.session)
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

/// Applies `timing` to every jitter buffer rtpbin makes for session `session`.
pub fn connect_request_timing(rtpbin: &gst::Element, session: u32, timing: RequestTiming) {
    rtpbin.connect("new-jitterbuffer", false, move |args| {
        let jitterbuffer = args[1].get::<gst::Element>().ok()?;
        if args[2].get::<u32>().ok()? != session {
            return None;
        }
        let settings = [
            ("rtx-deadline", Some(NACK_DEADLINE_MS)),
            ("rtx-delay", timing.first_delay_ms),
            ("rtx-retry-timeout", timing.retry_timeout_ms),
            ("rtx-min-retry-timeout", timing.retry_timeout_ms),
            ("rtx-max-retries", timing.max_retries),
        ];
        for (property, value) in settings {
            if let Some(value) = value {
                jitterbuffer.set_property(property, value);
            }
        }
        if let Some(when_overdue) = timing.when_overdue {
            jitterbuffer.set_property("rtx-next-seqnum", when_overdue);
        }
        None
    });
}

/// The sender side: keeps a history and answers NACKs.
pub fn make_sender(plan: &RtxPlan) -> AppResult<gst::Element> {
    let element = make_element(&ElementSpec {
        factory: "rtprtxsend",
        name: plan.element_name("send"),
        props: vec![
            ("max-size-time", RTX_HISTORY_MS.to_string()),
            // Bounded by time alone: a key frame is many packets.
            ("max-size-packets", "0".into()),
        ],
    })?;
    element.set_property("payload-type-map", plan.payload_type_map());
    Ok(element)
}

/// The receiver side: restores retransmitted packets.
pub fn make_receiver(plan: &RtxPlan) -> AppResult<gst::Element> {
    let element = make_element(&ElementSpec {
        factory: "rtprtxreceive",
        name: plan.element_name("recv"),
        props: vec![],
    })?;
    element.set_property("payload-type-map", plan.payload_type_map());
    Ok(element)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> RtxPlan {
        RtxPlan {
            session: 0,
            pt: 96,
            rtx_pt: 98,
            clock_rate: 90_000,
            media: "video",
            requests: VIDEO_REQUESTS,
            also: None,
        }
    }

    #[test]
    fn rtx_caps_name_the_associated_payload() {
        let caps = plan().rtx_caps();
        assert!(caps.contains("encoding-name=RTX"), "{caps}");
        assert!(
            caps.contains("apt=96") && caps.contains("payload=98"),
            "{caps}"
        );
        gst::init().unwrap();
        assert!(caps.parse::<gst::Caps>().is_ok());
        let map = plan().payload_type_map();
        assert_eq!(map.get::<u32>("96").unwrap(), 98);
    }

    #[test]
    fn jitter_buffers_get_the_request_timing_and_a_nack_deadline_rtpsession_keeps() {
        gst::init().unwrap();
        let rtpbin = gst::ElementFactory::make("rtpbin").build().unwrap();
        connect_request_timing(&rtpbin, 0, VIDEO_REQUESTS);
        connect_request_timing(&rtpbin, 1, AUDIO_REQUESTS);
        let new_jitterbuffer = |session: u32| {
            let jb = gst::ElementFactory::make("rtpjitterbuffer")
                .build()
                .unwrap();
            rtpbin.emit_by_name::<()>("new-jitterbuffer", &[&jb, &session, &1234u32]);
            jb
        };
        let (video, audio) = (new_jitterbuffer(0), new_jitterbuffer(1));
        for jb in [&video, &audio] {
            assert_eq!(jb.property::<i32>("rtx-deadline"), NACK_DEADLINE_MS);
            assert_eq!(jb.property::<i32>("rtx-retry-timeout"), 15);
        }
        assert_eq!(video.property::<i32>("rtx-max-retries"), 3);
        assert!(
            video.property::<bool>("rtx-next-seqnum"),
            "video keeps the default"
        );
        assert_eq!(audio.property::<i32>("rtx-delay"), 5);
        assert!(!audio.property::<bool>("rtx-next-seqnum"));
    }

    #[test]
    fn elements_carry_the_payload_type_map() {
        gst::init().unwrap();
        let p = RtxPlan {
            session: 1,
            ..plan()
        };
        for element in [make_sender(&p).unwrap(), make_receiver(&p).unwrap()] {
            let map = element.property::<gst::Structure>("payload-type-map");
            assert_eq!(map.get::<u32>("96").unwrap(), 98);
        }
        assert_eq!(make_sender(&p).unwrap().name(), "rtx-send-1");
    }
}
