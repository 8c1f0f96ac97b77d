//! A key frame for every new receiver. A peer that joins a running call (or restarts) can
//! decode nothing until the next key frame; it asks with an RTCP PLI, but RFC 4585 holds its
//! first feedback until its first regular RTCP packet, and the periodic key frame may be up to
//! a second away. The sender sees the newcomer's first packet sooner than that: it answers
//! with a key frame at once (measured by `videocall bench`, see docs/benchmarks.md).

use gst::prelude::*;

use super::Medium;

/// Makes `encoder` emit a key frame (with SPS/PPS) whenever a new remote source appears in
/// `rtpbin`'s video session.
pub fn key_frame_for_new_receivers(rtpbin: &gst::Element, encoder: &gst::Element) {
    let Some(encoder_src) = encoder.static_pad("src") else {
        return;
    };
    rtpbin.connect("on-new-ssrc", false, move |args| {
        let session = args[1].get::<u32>().ok()?;
        if session == Medium::Video.session_id() {
            let event = gst_video::UpstreamForceKeyUnitEvent::builder()
                .all_headers(true)
                .build();
            // The encoder's own event handler takes it: the request is queued for its next frame.
            if !encoder_src.send_event(event) {
                tracing::debug!("the video encoder ignored a key-frame request");
            }
        }
        None
    });
}
