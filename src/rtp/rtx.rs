//! Retransmission of lost packets, RFC 4588, through rtpbin: the receiver's jitter buffer asks
//! for a missing packet (RTCP NACK, RFC 4585), the sender's `rtprtxsend` resends it from its
//! history on a separate payload type and SSRC, and the receiver's `rtprtxreceive` turns it
//! back into the original packet before the jitter buffer. rtpbin asks for these elements with
//! its `request-aux-sender`/`request-aux-receiver` signals; `session` connects them.

use gst::prelude::*;

use crate::error::{AppError, AppResult};
use crate::media::build::make_element;
use crate::media::plan::ElementSpec;

/// How long the sender keeps packets for resending: several round trips, enough for a repeated
/// request over a slow path, and still little memory at 2 Mbit/s (about 250 kB).
pub const RTX_HISTORY_MS: u32 = 1000;

/// RTX payload types (RFC 4588 §8) of our media's 96 (H.264) and 97 (AAC).
pub const VIDEO_RTX_PT: u8 = 98;
pub const AUDIO_RTX_PT: u8 = 99;

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
}

impl RtxPlan {
    /// The caps rtpbin needs for the RTX payload type (what an SDP would say with
    /// `a=rtpmap:<rtx_pt> rtx/<clock>` and `a=fmtp:<rtx_pt> apt=<pt>`).
    pub fn rtx_caps(&self) -> String {
        format!(
            "application/x-rtp,media={},clock-rate={},encoding-name=RTX,payload={},apt={}",
            self.media, self.clock_rate, self.rtx_pt, self.pt
        )
    }

    /// `rtprtxsend`/`rtprtxreceive`'s map: media payload type → RTX payload type.
    pub fn payload_type_map(&self) -> gst::Structure {
        gst::Structure::builder("application/x-rtp-pt-map")
            .field(self.pt.to_string(), u32::from(self.rtx_pt))
            .build()
    }

    /// Element names, so stats can find them: `rtx-send-0`, `rtx-recv-0`.
    pub fn element_name(&self, role: &str) -> String {
        format!("rtx-{role}-{}", self.session)
    }
}

/// The bin rtpbin asks for: `sink_{session}` → the elements, linked in a row → `src_{session}`.
pub fn aux_bin(name: &str, session: u32, elements: &[gst::Element]) -> AppResult<gst::Element> {
    let err = |what: String| AppError::Media(format!("aux bin {name}: {what}"));
    let (Some(first), Some(last)) = (elements.first(), elements.last()) else {
        return Err(err("no elements".into()));
    };
    let bin = gst::Bin::with_name(name);
    bin.add_many(elements)
        .map_err(|e| err(format!("cannot add elements: {e}")))?;
    gst::Element::link_many(elements).map_err(|e| err(format!("cannot link: {e}")))?;
    for (element, pad) in [(first, "sink"), (last, "src")] {
        let target = element
            .static_pad(pad)
            .ok_or_else(|| err(format!("{} has no {pad} pad", element.name())))?;
        let ghost = gst::GhostPad::builder_with_target(&target)
            .map_err(|e| err(format!("cannot ghost {}: {e}", element.name())))?
            .name(format!("{pad}_{session}"))
            .build();
        bin.add_pad(&ghost)
            .map_err(|e| err(format!("cannot add pad: {e}")))?;
    }
    Ok(bin.upcast())
}

/// One RTX element with its payload type map.
fn rtx_element(plan: &RtxPlan, spec: ElementSpec) -> AppResult<gst::Element> {
    let element = make_element(&spec)?;
    element.set_property("payload-type-map", plan.payload_type_map());
    Ok(element)
}

/// The sender side's element: keeps a history and answers NACKs.
pub fn sender_element(plan: &RtxPlan) -> AppResult<gst::Element> {
    rtx_element(
        plan,
        ElementSpec {
            factory: "rtprtxsend",
            name: plan.element_name("send"),
            props: vec![
                ("max-size-time", RTX_HISTORY_MS.to_string()),
                // Bounded by time alone: a key frame is many packets.
                ("max-size-packets", "0".into()),
            ],
        },
    )
}

/// The receiver side: restores retransmitted packets.
pub fn make_receiver(plan: &RtxPlan) -> AppResult<gst::Element> {
    let element = rtx_element(
        plan,
        ElementSpec {
            factory: "rtprtxreceive",
            name: plan.element_name("recv"),
            props: vec![],
        },
    )?;
    let name = format!("{}-bin", plan.element_name("recv"));
    aux_bin(&name, plan.session, &[element])
}

/// Retransmission counters of one session, from our receiver's point of view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RtxCounts {
    /// Packets we asked the peer to resend.
    pub requested: u64,
    /// Resent packets that arrived and matched a request (the repairs).
    pub repaired: u64,
}

/// Reads the counters of session `session` from `pipeline` (zero when RTX is not in use).
pub fn counts(pipeline: &gst::Pipeline, session: u32) -> RtxCounts {
    let Some(recv) = pipeline.by_name(&format!("rtx-recv-{session}")) else {
        return RtxCounts::default();
    };
    RtxCounts {
        requested: recv.property::<u32>("num-rtx-requests").into(),
        repaired: recv.property::<u32>("num-rtx-assoc-packets").into(),
    }
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
    fn aux_elements_have_the_pads_rtpbin_expects() {
        gst::init().unwrap();
        let p = RtxPlan {
            session: 1,
            ..plan()
        };
        let sender = crate::rtp::auxiliary::make_sender(1, Some(&p), None).unwrap();
        for bin in [sender.unwrap(), make_receiver(&p).unwrap()] {
            assert!(bin.static_pad("sink_1").is_some());
            assert!(bin.static_pad("src_1").is_some());
        }
    }
}
