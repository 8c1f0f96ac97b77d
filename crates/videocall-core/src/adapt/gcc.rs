//! Following Google Congestion Control (draft-ietf-rmcat-gcc-02) as GStreamer implements it in
//! `rtpgccbwe` (gst-plugins-rs): the receiver's rtpsession sends transport-wide congestion
//! control feedback (arrival time of every packet), the sender's `rtpgccbwe` estimates the
//! link's rate from delay trends and loss, and paces the session's packets at that estimate.
//! What is ours is only the mapping between the estimate and the encoder: the estimate covers
//! the whole session (media, RTX, RTP headers), so the encoder gets a share of it, and the
//! element's bounds are the encoder's bounds scaled back up. `build::congestion` wires the
//! element, `stats::collect` reads its estimate, [`GccFollower`] sets the encoder from it.

use super::adapter::{Action, Controller};
use crate::plan::rate::{ENCODER_SHARE, RateLimits};
use crate::stats::RawSample;

/// The encoder's bit rate (kbit/s) for an estimate of `estimate_bps` for the whole session.
pub fn encoder_kbps(estimate_bps: u32, limits: RateLimits) -> u32 {
    let kbps = (f64::from(estimate_bps) * ENCODER_SHARE / 1000.0).round() as u32;
    kbps.clamp(limits.min_kbps, limits.max_kbps)
}

/// The encoder follows `rtpgccbwe`'s estimate; GCC's own pacing reacts at once, the encoder
/// within a tick.
#[derive(Debug, Clone, PartialEq)]
pub struct GccFollower {
    limits: RateLimits,
    target_kbps: u32,
}

impl GccFollower {
    /// Starts at the maximum, as the estimate does (`GccSettings::start_bps`).
    pub fn new(limits: RateLimits) -> GccFollower {
        GccFollower {
            limits,
            target_kbps: limits.max_kbps,
        }
    }

    /// The encoder's target now.
    pub fn target_kbps(&self) -> u32 {
        self.target_kbps
    }
}

impl Controller for GccFollower {
    fn tick(&mut self, sample: &RawSample, _now: f64, actions: &mut Vec<Action>) {
        let Some(estimate) = sample.video.gcc_estimate_bps else {
            return;
        };
        let (before, after) = (self.target_kbps, encoder_kbps(estimate, self.limits));
        if after != before {
            self.target_kbps = after;
            tracing::info!(before, after, estimate, "video bit rate");
            actions.push(Action::SetVideoBitrate { kbps: after });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::rate::GccSettings;

    const LIMITS: RateLimits = RateLimits {
        min_kbps: 150,
        max_kbps: 2000,
    };

    #[test]
    fn the_estimate_at_its_bounds_gives_the_encoder_its_bounds() {
        let s = GccSettings::for_limits(LIMITS);
        assert_eq!(s.start_bps, s.max_bps);
        assert_eq!(encoder_kbps(s.max_bps, LIMITS), 2000);
        assert_eq!(encoder_kbps(s.min_bps, LIMITS), 150);
        assert!(s.min_bps < s.max_bps);
    }

    #[test]
    fn the_encoder_leaves_room_for_overhead_under_the_estimate() {
        // A 1 Mbit/s link: the encoder gets 900 kbit/s, RTP and RTX fit in the rest.
        assert_eq!(encoder_kbps(1_000_000, LIMITS), 900);
        // Estimates outside the bounds (rtpgccbwe's defaults before it is configured) are
        // clamped to what the encoder may do.
        assert_eq!(encoder_kbps(8_192_000, LIMITS), 2000);
        assert_eq!(encoder_kbps(1000, LIMITS), 150);
    }

    #[test]
    fn the_encoder_is_set_when_its_share_of_the_estimate_changes() {
        let mut gcc = GccFollower::new(LIMITS);
        let mut sample = RawSample::default();
        let mut tick = |estimate| {
            sample.video.gcc_estimate_bps = estimate;
            let mut actions = Vec::new();
            gcc.tick(&sample, 0.0, &mut actions);
            actions
        };
        assert!(tick(None).is_empty(), "no estimator yet");
        assert!(tick(Some(8_192_000)).is_empty(), "at the maximum already");
        assert_eq!(
            tick(Some(1_000_000)),
            [Action::SetVideoBitrate { kbps: 900 }]
        );
        assert!(tick(Some(1_000_000)).is_empty());
    }
}
