//! Forward error correction of video, ULPFEC (RFC 5109) through rtpbin: the sender's
//! `rtpulpfecenc` adds XOR parity packets after each frame, in the media's own SSRC and sequence
//! numbers (as libwebrtc does) on a payload type of their own; the receiver's rtpbin keeps
//! recent packets in its `rtpstorage`, and `rtpulpfecdec`, after the jitter buffer, rebuilds a
//! packet the jitter buffer declares lost from the parity and the packets that did arrive.
//!
//! A parity packet repairs one loss among the packets it covers, with no round trip: it is what
//! lets the jitter buffer stay short on a lossy path, where RTX alone needs one round trip plus
//! margin (docs/decisions/0008-no-fec-by-default.md).

use gst::prelude::*;

use crate::build::element::make_element;
use crate::error::AppResult;
use crate::plan::fec::{FecPlan, STORAGE_MS};

/// Answers rtpbin's request for this session's FEC decoder and sizes its packet storage. Must
/// be connected before the session's pads are requested. (The encoder is not rtpbin's
/// `request-fec-encoder`, which goes after rtpsession: its renumbering would make RTX resend
/// the wrong packets. `session` puts it before the RTX sender.)
pub fn connect_receiver(rtpbin: &gst::Element, plan: FecPlan) {
    rtpbin.connect("request-fec-decoder", false, move |args| {
        let none = Some(None::<gst::Element>.to_value());
        let rtpbin = args[0].get::<gst::Element>().ok()?;
        if args[1].get::<u32>().ok()? != plan.session {
            return none;
        }
        match make_decoder(&rtpbin, &plan) {
            Ok(element) => Some(element.to_value()),
            Err(e) => {
                tracing::warn!(session = plan.session, "no FEC recovery: {e}");
                none
            }
        }
    });
    rtpbin.connect("new-storage", false, move |args| {
        let storage = args[1].get::<gst::Element>().ok()?;
        if args[2].get::<u32>().ok()? == plan.session {
            storage.set_property("size-time", STORAGE_MS * 1_000_000);
        }
        None
    });
}

fn make_decoder(rtpbin: &gst::Element, plan: &FecPlan) -> AppResult<gst::Element> {
    let decoder = make_element(&plan.decoder_spec())?;
    let storage =
        rtpbin.emit_by_name::<gst::glib::Object>("get-internal-storage", &[&plan.session]);
    decoder.set_property("storage", &storage);
    Ok(decoder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fec::VIDEO_FEC_PT;

    fn plan() -> FecPlan {
        FecPlan {
            session: 0,
            pt: VIDEO_FEC_PT,
            clock_rate: 90_000,
            percent: 20,
        }
    }

    #[test]
    fn fec_caps_mark_the_payload_as_fec() {
        gst::init().unwrap();
        let caps: gst::Caps = plan().fec_caps().parse().unwrap();
        let s = caps.structure(0).unwrap();
        assert!(s.get::<bool>("is-fec").unwrap());
        assert_eq!(s.get::<i32>("payload").unwrap(), 100);
        assert_eq!(s.get::<i32>("clock-rate").unwrap(), 90_000);
    }

    #[test]
    fn elements_are_made_with_the_plan() {
        gst::init().unwrap();
        let enc = make_element(&plan().encoder_spec()).unwrap();
        assert_eq!(enc.property::<u32>("percentage"), 20);
        assert_eq!(enc.property::<u32>("pt"), 100);
        let dec = make_element(&plan().decoder_spec()).unwrap();
        assert_eq!(dec.property::<u32>("pt"), 100);
    }
}
