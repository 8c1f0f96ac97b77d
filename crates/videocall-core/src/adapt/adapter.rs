//! Drives the chosen controller from the main loop's timer: reads its input from the pipeline
//! (the peer's receiver reports, or `rtpgccbwe`'s estimate) and says when the video encoder's
//! bit rate should change. Polling every `TICK_S` keeps all of it on the main loop; GCC's own
//! pacing reacts at once, the encoder follows within a tick.

use gst::prelude::*;

use super::RateController;
use super::feedback::{self, FeedbackTap};
use super::gcc;
use crate::config::RateControl;
use crate::plan::rate::RateLimits;

/// One peer's rate adaptation of its video (session `session` of `rtpbin`).
pub enum RateAdapter {
    /// Our loss-based controller and the receiver reports it reads.
    Loss {
        controller: RateController,
        tap: FeedbackTap,
    },
    /// The encoder follows `rtpgccbwe`'s estimate.
    Gcc {
        limits: RateLimits,
        target_kbps: u32,
    },
}

impl RateAdapter {
    /// The adapter for `control` (none when the rate is fixed). Call after the session exists.
    pub fn attach(
        control: RateControl,
        limits: RateLimits,
        rtpbin: &gst::Element,
        session: u32,
    ) -> Option<RateAdapter> {
        match control {
            RateControl::Off => None,
            RateControl::Loss => Some(RateAdapter::Loss {
                controller: RateController::new(limits),
                tap: FeedbackTap::attach(rtpbin, session),
            }),
            RateControl::Gcc => Some(RateAdapter::Gcc {
                limits,
                target_kbps: limits.max_kbps,
            }),
        }
    }

    /// The encoder's current target in kbit/s.
    pub fn target_kbps(&self) -> u32 {
        match self {
            RateAdapter::Loss { controller, .. } => controller.rate_kbps(),
            RateAdapter::Gcc { target_kbps, .. } => *target_kbps,
        }
    }

    /// What the loss-based controller made of its last window, for logs: the loss floor it has
    /// learnt, and the delivered rate (kbit/s) over the report interval (s).
    pub fn loss_view(&self) -> Option<(f64, Option<(f64, f64)>)> {
        match self {
            RateAdapter::Loss { controller, .. } => {
                Some((controller.loss_floor(), controller.last_window()))
            }
            RateAdapter::Gcc { .. } => None,
        }
    }

    /// Reads the controller's input at time `now` (seconds) and returns the new target when it
    /// changed.
    pub fn tick(
        &mut self,
        pipeline: &gst::Pipeline,
        rtpbin: &gst::Element,
        session: u32,
        now: f64,
    ) -> Option<u32> {
        let before = self.target_kbps();
        match self {
            RateAdapter::Loss { controller, tap } => {
                let ssrc = pipeline
                    .by_name("video-pay")
                    .and_then(|pay| feedback::sender_ssrc(&pay));
                let report = ssrc.and_then(|ssrc| tap.latest(ssrc));
                if let Some(sent) =
                    ssrc.and_then(|ssrc| feedback::sent_stats(rtpbin, session, ssrc))
                {
                    controller.observe_sent(sent);
                }
                controller.update(report, now);
            }
            RateAdapter::Gcc {
                limits,
                target_kbps,
            } => {
                let estimator = pipeline.by_name(&crate::plan::names::gcc_estimator(session))?;
                let estimate = estimator.property::<u32>("estimated-bitrate");
                *target_kbps = gcc::encoder_kbps(estimate, *limits);
            }
        }
        let after = self.target_kbps();
        (after != before).then_some(after)
    }
}
