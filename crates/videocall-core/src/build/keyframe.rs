//! A key frame for every new receiver. A peer that joins a running call (or restarts) can
//! decode nothing until the next key frame; it asks with an RTCP PLI, but RFC 4585 holds its
//! first feedback until its first regular RTCP packet, and the periodic key frame may be up to
//! a second away. The sender sees the newcomer's first packet sooner than that: it answers
//! with a key frame at once (docs/decisions/0014-key-frames.md).

use std::sync::{Arc, Mutex};
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
/// frame) made every frame a key frame and deepened the congestion that broke them.
pub const REQUEST_GAP: Duration = Duration::from_millis(500);

/// What to do with a PLI's key-frame request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestVerdict {
    /// To the encoder now.
    Pass,
    /// Held back, and one request goes to the encoder after this: the receiver asks once per
    /// broken frame, so dropping its last request left its picture frozen until the periodic
    /// key frame (up to a second).
    Defer(Duration),
    /// A request is already held back: this one joins it.
    Joined,
}

/// The PLI requests let through and held back (a pure state machine; the probe below acts).
#[derive(Debug, Default)]
pub struct RequestGate {
    last_passed: Option<Instant>,
    held: bool,
}

impl RequestGate {
    /// Decides on a request at `now`; `held_one` when it is the held-back request itself.
    pub fn on_request(&mut self, now: Instant, held_one: bool) -> RequestVerdict {
        if held_one {
            self.held = false;
        }
        match self.last_passed.map(|l| now.duration_since(l)) {
            Some(since) if since < REQUEST_GAP => {
                if self.held {
                    RequestVerdict::Joined
                } else {
                    self.held = true;
                    RequestVerdict::Defer(REQUEST_GAP - since)
                }
            }
            _ => {
                self.last_passed = Some(now);
                RequestVerdict::Pass
            }
        }
    }
}

/// Marks the held-back request when it is sent again, so that the gate knows it.
const HELD_REQUEST: &str = "videocall-held-key-frame-request";

/// Lets through to `encoder` at most one PLI's key-frame request (rtpsession asks without
/// parameter sets for a PLI) per [`REQUEST_GAP`]; those in between become one request at the
/// gap's end. Requests with parameter sets (a FIR, ours for a new receiver) always pass: a
/// receiver that changed can decode nothing without them.
pub fn limit_key_frame_requests(encoder: &gst::Element) {
    let Some(encoder_src) = encoder.static_pad("src") else {
        return;
    };
    let gate = Arc::new(Mutex::new(RequestGate::default()));
    encoder_src.add_probe(gst::PadProbeType::EVENT_UPSTREAM, move |pad, info| {
        let Some(gst::PadProbeData::Event(event)) = &info.data else {
            return gst::PadProbeReturn::Ok;
        };
        match gst_video::UpstreamForceKeyUnitEvent::parse(event) {
            Ok(request) if !request.all_headers => {}
            _ => return gst::PadProbeReturn::Ok,
        }
        let held_one = event.structure().is_some_and(|s| s.has_field(HELD_REQUEST));
        let Ok(verdict) = gate
            .lock()
            .map(|mut g| g.on_request(Instant::now(), held_one))
        else {
            return gst::PadProbeReturn::Ok;
        };
        match verdict {
            RequestVerdict::Pass => return gst::PadProbeReturn::Ok,
            RequestVerdict::Defer(after) => {
                let pad = pad.downgrade();
                gst::glib::timeout_add_once(after, move || {
                    let Some(pad) = pad.upgrade() else {
                        return;
                    };
                    let event = gst_video::UpstreamForceKeyUnitEvent::builder()
                        .other_field(HELD_REQUEST, true)
                        .build();
                    if !pad.send_event(event) {
                        tracing::debug!("the video encoder ignored a held key-frame request");
                    }
                });
            }
            RequestVerdict::Joined => {}
        }
        tracing::debug!("a key-frame request within {REQUEST_GAP:?} of the last: held back");
        // Handled, not Drop: for an event sent with `send_event` (ours for a new receiver)
        // GStreamer 1.22 unrefs a dropped event a second time (a GStreamer-CRITICAL); handled,
        // the event is released here once.
        gst::PadProbeReturn::Handled
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

    #[test]
    fn requests_inside_the_gap_become_one_at_its_end() {
        let t = Instant::now();
        let ms = Duration::from_millis;
        let mut gate = RequestGate::default();
        assert_eq!(gate.on_request(t, false), RequestVerdict::Pass);
        assert_eq!(
            gate.on_request(t + ms(100), false),
            RequestVerdict::Defer(ms(400))
        );
        assert_eq!(gate.on_request(t + ms(300), false), RequestVerdict::Joined);
        // The held one, sent again at the gap's end, passes and starts the next gap.
        assert_eq!(gate.on_request(t + ms(500), true), RequestVerdict::Pass);
        assert_eq!(
            gate.on_request(t + ms(600), false),
            RequestVerdict::Defer(ms(400))
        );
        // A timer a little early holds it once more, for the rest of the gap.
        assert_eq!(
            gate.on_request(t + ms(999), true),
            RequestVerdict::Defer(ms(1))
        );
        assert_eq!(gate.on_request(t + ms(1000), true), RequestVerdict::Pass);
        // Requests far apart all pass.
        assert_eq!(gate.on_request(t + ms(2000), false), RequestVerdict::Pass);
    }
}
