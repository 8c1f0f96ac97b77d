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

use gst::prelude::*;

use crate::adapt::feedback::{FeedbackTap, sender_ssrc};
use crate::plan::red::{RedPlan, tool_takes_red};

/// How long redundancy stays on after the peer last reported a lost audio packet: as long as
/// the jitter buffer remembers a loss.
pub const RED_MEMORY_S: f64 = crate::adapt::latency::LOSS_MEMORY_S;

/// Off; on when the peer takes RED and its cumulative count of our lost audio packets grows,
/// off after [`RED_MEMORY_S`] without a new loss.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RedSwitch {
    last_lost: Option<i64>,
    last_loss_at: Option<f64>,
    on: bool,
}

impl RedSwitch {
    /// Folds in the latest report's cumulative loss at `now` (seconds) and whether the peer
    /// takes RED; returns the new state when it changes.
    pub fn update(
        &mut self,
        cumulative_lost: Option<i64>,
        peer_takes_red: bool,
        now: f64,
    ) -> Option<bool> {
        if let Some(lost) = cumulative_lost {
            if lost > self.last_lost.unwrap_or(0) {
                self.last_loss_at = Some(now);
            }
            self.last_lost = Some(lost);
        }
        let on = peer_takes_red && self.last_loss_at.is_some_and(|t| now < t + RED_MEMORY_S);
        (on != self.on).then(|| {
            self.on = on;
            on
        })
    }
}

/// The sender's redundancy at run time: the peer's reports on our audio, and the encoder they
/// switch.
pub struct AudioRedundancy {
    plan: RedPlan,
    reports: FeedbackTap,
    switch: RedSwitch,
}

impl AudioRedundancy {
    /// Listens to the peer's reports in the plan's session (call after the session exists).
    pub fn attach(rtpbin: &gst::Element, plan: RedPlan) -> AudioRedundancy {
        AudioRedundancy {
            plan,
            reports: FeedbackTap::attach(rtpbin, plan.session),
            switch: RedSwitch::default(),
        }
    }

    /// Reads the latest report about `payloader`'s stream and switches the encoder in
    /// `pipeline` when the state changes. Called from the main loop's timer.
    pub fn tick(&mut self, pipeline: &gst::Pipeline, payloader: &str, now: f64) {
        let lost = pipeline
            .by_name(payloader)
            .and_then(|p| sender_ssrc(&p))
            .and_then(|ssrc| self.reports.latest(ssrc))
            .map(|report| report.lost);
        let takes_red = self
            .reports
            .peer_tool()
            .is_some_and(|tool| tool_takes_red(&tool));
        let Some(on) = self.switch.update(lost, takes_red, now) else {
            return;
        };
        let encoder = pipeline.by_name(&self.plan.encoder_name());
        if let Some(encoder) = encoder {
            let distance = if on { self.plan.distance } else { 0 };
            tracing::info!(on, distance, lost, "audio redundancy");
            encoder.set_property("distance", distance);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redundancy_goes_only_to_a_peer_that_takes_it_and_only_while_it_loses() {
        let mut switch = RedSwitch::default();
        assert_eq!(switch.update(None, true, 0.0), None, "off from the start");
        assert_eq!(switch.update(Some(0), true, 5.0), None, "clean: off");
        assert_eq!(
            switch.update(Some(2), false, 6.0),
            None,
            "a peer without RED: off"
        );
        assert_eq!(
            switch.update(Some(3), true, 7.0),
            Some(true),
            "a loss turns it on"
        );
        assert_eq!(
            switch.update(Some(3), true, 10.0),
            None,
            "stays on for a while"
        );
        assert_eq!(
            switch.update(Some(4), true, 15.0),
            None,
            "a new loss restarts the wait"
        );
        assert_eq!(
            switch.update(Some(4), true, 15.0 + RED_MEMORY_S - 0.5),
            None
        );
        assert_eq!(
            switch.update(Some(4), true, 15.0 + RED_MEMORY_S),
            Some(false)
        );
        assert_eq!(
            switch.update(None, true, 40.0),
            None,
            "a missing report changes nothing"
        );
    }
}
