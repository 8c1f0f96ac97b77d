//! rtpbin's auxiliary elements of one session: what `request-aux-sender` and
//! `request-aux-receiver` get back. The sender is a chain in one bin, in webrtcbin's order:
//! `rtprtxsend` (history, answers NACKs) then `rtpgccbwe` (GCC's pacer) right before the
//! rtpsession, so retransmissions are paced too and the estimator receives rtpsession's
//! transport-wide feedback events first. The receiver is `rtprtxreceive`.

use gst::prelude::*;

use crate::error::AppResult;
use crate::rate::gcc::GccSettings;
use crate::rtp::congestion;
use crate::rtp::rtx::{self, RtxPlan};

/// The aux sender of `session`: RTX and/or GCC, in that order; `None` when neither is on.
pub fn make_sender(
    session: u32,
    rtx: Option<&RtxPlan>,
    gcc: Option<&GccSettings>,
) -> AppResult<Option<gst::Element>> {
    let mut elements = Vec::new();
    if let Some(rtx) = rtx {
        elements.push(rtx::sender_element(rtx)?);
    }
    if let Some(gcc) = gcc {
        elements.push(congestion::make_estimator(session, gcc)?);
    }
    if elements.is_empty() {
        return Ok(None);
    }
    rtx::aux_bin(&format!("aux-send-{session}"), session, &elements).map(Some)
}

/// Answers rtpbin's requests for the aux sender and receiver of `session`.
pub fn connect(
    rtpbin: &gst::Element,
    session: u32,
    rtx: Option<RtxPlan>,
    gcc: Option<GccSettings>,
) {
    if rtx.is_some() || gcc.is_some() {
        answer(rtpbin, "request-aux-sender", session, move || {
            make_sender(session, rtx.as_ref(), gcc.as_ref())
        });
    }
    if let Some(rtx) = rtx {
        answer(rtpbin, "request-aux-receiver", session, move || {
            rtx::make_receiver(&rtx).map(Some)
        });
    }
}

/// Connects `signal` so that it answers for `session` only.
fn answer(
    rtpbin: &gst::Element,
    signal: &str,
    session: u32,
    make: impl Fn() -> AppResult<Option<gst::Element>> + Send + Sync + 'static,
) {
    rtpbin.connect(signal, false, move |args| {
        // glib wants a value of the signal's type even for "none": a NULL element lets the
        // handler of the other session answer.
        let none = Some(None::<gst::Element>.to_value());
        if args[1].get::<u32>().ok()? != session {
            return none;
        }
        match make() {
            Ok(element) => Some(element.to_value()),
            Err(e) => {
                tracing::warn!(session, "no auxiliary element: {e}");
                none
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate::RateLimits;

    #[test]
    fn the_sender_chains_rtx_before_the_pacer() {
        crate::media::build::init_gstreamer().unwrap();
        let rtx = RtxPlan {
            session: 0,
            pt: 96,
            rtx_pt: 98,
            clock_rate: 90_000,
            media: "video",
        };
        let gcc = GccSettings::for_limits(RateLimits {
            min_kbps: 150,
            max_kbps: 2000,
        });
        let bin = make_sender(0, Some(&rtx), Some(&gcc)).unwrap().unwrap();
        let bin = bin.downcast::<gst::Bin>().unwrap();
        let rtx_el = bin.by_name("rtx-send-0").unwrap();
        let gcc_el = bin.by_name(&congestion::estimator_name(0)).unwrap();
        let peer = rtx_el.static_pad("src").unwrap().peer().unwrap();
        assert_eq!(peer.parent_element().unwrap(), gcc_el);
        assert!(bin.static_pad("sink_0").is_some() && bin.static_pad("src_0").is_some());
        assert_eq!(gcc_el.property::<u32>("max-bitrate"), gcc.max_bps);
        // GCC alone, and nothing at all.
        assert!(make_sender(0, None, Some(&gcc)).unwrap().is_some());
        assert!(make_sender(0, None, None).unwrap().is_none());
    }
}
