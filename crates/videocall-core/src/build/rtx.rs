//! Retransmission of lost packets, RFC 4588, through rtpbin: the receiver's jitter buffer asks
//! for a missing packet (RTCP NACK, RFC 4585), the sender's `rtprtxsend` resends it from its
//! history on a separate payload type and SSRC, and the receiver's `rtprtxreceive` turns it
//! back into the original packet before the jitter buffer. rtpbin asks for these elements with
//! its `request-aux-sender`/`request-aux-receiver` signals; `session` wraps and connects them.

use gst::prelude::*;

use crate::plan::rtx::{NACK_DEADLINE_MS, RequestTiming};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::element::make_element;
    use crate::plan::rtx::*;

    fn plan() -> RtxPlan {
        RtxPlan::video_example()
    }

    #[test]
    fn rtx_caps_parse() {
        gst::init().unwrap();
        assert!(plan().rtx_caps().parse::<gst::Caps>().is_ok());
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
            !video.property::<bool>("rtx-next-seqnum"),
            "video asks once a later packet shows the gap"
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
        let make = |spec| make_element(&spec).unwrap();
        for element in [make(p.sender_spec()), make(p.receiver_spec())] {
            let map = element.property::<gst::Structure>("payload-type-map");
            assert_eq!(map.get::<u32>("96").unwrap(), 98);
        }
        assert_eq!(make(p.sender_spec()).name(), "rtx-send-1");
    }
}
