//! When redundant audio (RED, RFC 2198, `plan::red`) is on: only for a peer whose RTCP SDES
//! TOOL says it takes RED (there is no signalling, and a receiver without RED cannot play it),
//! and only while that peer's receiver reports show our audio losing packets, and for
//! [`RED_MEMORY_S`] after. Redundancy doubles the audio on the wire; docs/decisions/0002 and
//! 0010 give the reasons.

use super::adapter::{Action, Controller};
use super::latency::LOSS_MEMORY_S;
pub use crate::plan::red::tool_takes_red;
use crate::stats::RawSample;

/// How long redundancy stays on after the peer last reported a lost audio packet: as long as
/// the jitter buffer remembers a loss.
pub const RED_MEMORY_S: f64 = LOSS_MEMORY_S;

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

impl Controller for RedSwitch {
    /// Reads the peer's latest report about our audio stream and its TOOL.
    fn tick(&mut self, sample: &RawSample, now: f64, actions: &mut Vec<Action>) {
        let audio = &sample.audio;
        let lost = audio.our_feedback().map(|report| report.lost);
        let takes_red = audio.peer_tool.as_deref().is_some_and(tool_takes_red);
        if let Some(on) = self.update(lost, takes_red, now) {
            tracing::info!(on, lost, "audio redundancy");
            actions.push(Action::SetRedundancy { on });
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
