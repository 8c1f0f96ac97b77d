//! A key frame for every new receiver. A peer that joins a running call (or restarts) can
//! decode nothing until the next key frame; it asks with an RTCP PLI, but RFC 4585 holds its
//! first feedback until its first regular RTCP packet, and the periodic key frame may be up to
//! a second away. The sender sees the newcomer's first packet sooner than that: it answers
//! with a key frame at once (docs/decisions/0014-key-frames.md).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use gst::prelude::*;

use crate::config::Medium;

/// At most one key frame per this for new receivers: a flood of made-up SSRCs must not turn
/// into a flood of key frames (each is several times a normal frame's size).
pub const MIN_GAP: Duration = Duration::from_secs(1);

/// True when a key frame may go out at `now`, the last one having gone at `last`.
pub fn due(last: Option<Instant>, now: Instant) -> bool {
    last.is_none_or(|last| now.duration_since(last) >= MIN_GAP)
}

/// Makes `encoder` emit a key frame (with SPS/PPS) when rtpbin's `signal` (`on-new-ssrc` or
/// `on-ssrc-validated`, as the plan says) tells of a new remote source in the video session, at
/// most one per [`MIN_GAP`].
pub fn key_frame_for_new_receivers(rtpbin: &gst::Element, encoder: &gst::Element, signal: &str) {
    let Some(encoder_src) = encoder.static_pad("src") else {
        return;
    };
    let last_sent: Mutex<Option<Instant>> = Mutex::new(None);
    rtpbin.connect(signal, false, move |args| {
        let session = args[1].get::<u32>().ok()?;
        let mut last = last_sent.lock().ok()?;
        let now = Instant::now();
        if session == Medium::Video.session_id() && due(*last, now) {
            *last = Some(now);
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

/// At most one requested key frame per this: under congestion the receiver asks after every
/// loss (a PLI per broken frame), and a key frame per request (each several times a normal
/// frame) made every frame a key frame and deepened the congestion that broke them. The
/// periodic key frame comes within a second anyway.
pub const REQUEST_GAP: Duration = Duration::from_millis(500);

/// Lets through to `encoder` at most one PLI's key-frame request (rtpsession asks without
/// parameter sets for a PLI) per [`REQUEST_GAP`]; the others are dropped. Requests with
/// parameter sets (a FIR, ours for a new receiver) always pass: a receiver that changed can
/// decode nothing without them.
pub fn limit_key_frame_requests(encoder: &gst::Element) {
    let Some(encoder_src) = encoder.static_pad("src") else {
        return;
    };
    let last_passed: Mutex<Option<Instant>> = Mutex::new(None);
    encoder_src.add_probe(gst::PadProbeType::EVENT_UPSTREAM, move |_, info| {
        let Some(gst::PadProbeData::Event(event)) = &info.data else {
            return gst::PadProbeReturn::Ok;
        };
        match gst_video::UpstreamForceKeyUnitEvent::parse(event) {
            Ok(request) if !request.all_headers => {}
            _ => return gst::PadProbeReturn::Ok,
        }
        let Ok(mut last) = last_passed.lock() else {
            return gst::PadProbeReturn::Ok;
        };
        let now = Instant::now();
        if last.is_some_and(|l| now.duration_since(l) < REQUEST_GAP) {
            tracing::debug!("a key-frame request within {REQUEST_GAP:?} of the last: dropped");
            // Handled, not Drop: for an event sent with `send_event` (ours for a new receiver)
            // GStreamer 1.22 unrefs a dropped event a second time (a GStreamer-CRITICAL);
            // handled, the event is released here once.
            return gst::PadProbeReturn::Handled;
        }
        *last = Some(now);
        gst::PadProbeReturn::Ok
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_receivers_get_at_most_one_key_frame_a_second() {
        let t = Instant::now();
        assert!(due(None, t));
        assert!(!due(Some(t), t + Duration::from_millis(999)));
        assert!(due(Some(t), t + MIN_GAP));
    }
}
