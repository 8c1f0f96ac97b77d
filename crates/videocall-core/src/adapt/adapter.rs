//! The adaptation core: each tick's `RawSample` goes through every controller, and what they
//! decide comes out as `Action`s for `call` to apply. Pure: the sample and the time are its
//! only inputs, so a recorded trace replays to the same decisions (`tests` in `adapt`).
//!
//! Adding a controller: implement [`Controller`] in a module of its own, and add it in
//! [`Adapter::new`] under the setting that turns it on. If it needs a reading the sample lacks,
//! `stats::collect` gathers it into `MediumSample` (or, read more often than the poll, hands it
//! to [`Controller::feedback`] as the transport-wide feedback is); if it changes something new
//! in the pipeline, add an [`Action`] and its applier in `call::peer`.

use super::auth::PeerWatch;
use super::delay::DelayController;
use super::gcc::GccFollower;
use super::latency::LatencyGovernor;
use super::rate::{RateController, TICK_S};
use super::red::RedSwitch;
use crate::config::RateControl;
use crate::plan::rate::RateLimits;
use crate::stats::RawSample;
use crate::stats::twcc::TwccWindow;

/// A change the adapter asks of the running pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Set rtpbin's latency to `ms` (every stream renders at it) and let video wait `hold_ms`
    /// longer for repairs (`build::repair_hold`).
    SetLatency { ms: u32, hold_ms: u32 },
    /// Set the video encoder's bit rate.
    SetVideoBitrate { kbps: u32 },
    /// Resend about `bytes` of the last video packets at once, to probe the path
    /// (`build::congestion::ProbeBursts`): after the next frame if `at_once`, else in the
    /// middle of a key-frame interval.
    ProbeBurst { bytes: u32, at_once: bool },
    /// Turn redundant audio on (the plan's RED distance) or off.
    SetRedundancy { on: bool },
    /// A line for the user.
    Tell(String),
}

/// One decision-maker: folds in each sample it is given and says what should change.
pub trait Controller {
    /// Folds in the sample taken `now` seconds into the call; pushes the changes it decides.
    fn tick(&mut self, sample: &RawSample, now: f64, actions: &mut Vec<Action>);

    /// Folds in the peer's transport-wide feedback since the last call (every
    /// [`FEEDBACK_TICK_S`]); only the delay-based rate controller reads it.
    fn feedback(&mut self, _window: &TwccWindow, _now: f64, _actions: &mut Vec<Action>) {}
}

/// How often the transport-wide feedback is handed to the controllers: a bottleneck's queue
/// fills in a few hundred milliseconds, so the delay-based controller must see it within ~100.
pub const FEEDBACK_TICK_S: f64 = 0.1;

/// How often the peer watch (authentication, plain RTCP from an encrypting peer, the AAC
/// format) looks: a wrong passphrase shows within seconds, and its thresholds are per second.
pub const WATCH_S: f64 = 1.0;

/// The jitter buffer's adaptation, on with retransmission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencySettings {
    /// The user's `--jitter-buffer-ms`: the floor once the path is known.
    pub base_ms: u32,
    /// Video waits for late repairs longer than it waits to be shown.
    pub repair_hold: bool,
}

/// Which controllers a peer runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptSettings {
    /// How the video's bit rate follows the network, within `limits`.
    pub rate_control: RateControl,
    pub limits: RateLimits,
    /// The jitter buffer follows the path, when set.
    pub latency: Option<LatencySettings>,
    /// Redundant audio goes to a peer that takes it while our audio loses packets.
    pub audio_red: bool,
    /// The delay-based controller may probe with bursts of resends (it has transport-wide
    /// feedback and retransmission).
    pub probe_bursts: bool,
}

/// A controller and how many ticks apart it runs.
struct Scheduled {
    every: u64,
    controller: Box<dyn Controller>,
}

/// Every controller of one peer, run every [`TICK_S`] (or a multiple).
pub struct Adapter {
    controllers: Vec<Scheduled>,
    ticks: u64,
    start_latency: Option<StartLatency>,
}

/// The jitter buffer's waits before the adapter's first tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartLatency {
    /// What the picture waits (rtpbin's latency).
    pub ms: u32,
    /// How much longer video waits for a repair (`build::repair_hold`).
    pub hold_ms: u32,
}

impl Adapter {
    /// The controllers `settings` turn on, in the order their actions are applied: the video
    /// rate, the jitter buffer, redundancy, then the lines for the user.
    pub fn new(settings: &AdaptSettings) -> Adapter {
        let mut adapter = Adapter {
            controllers: Vec::new(),
            ticks: 0,
            start_latency: None,
        };
        match settings.rate_control {
            RateControl::Delay => adapter.add(
                1,
                DelayController::new(settings.limits).with_probe_bursts(settings.probe_bursts),
            ),
            RateControl::Loss => adapter.add(1, RateController::new(settings.limits)),
            RateControl::Gcc => adapter.add(1, GccFollower::new(settings.limits)),
            RateControl::Off => {}
        }
        if let Some(latency) = settings.latency {
            let governor = LatencyGovernor::new(latency.base_ms, latency.repair_hold);
            adapter.start_latency = Some(StartLatency {
                ms: governor.initial_ms(),
                hold_ms: governor.repair_hold_ms(),
            });
            adapter.add(1, governor);
        }
        if settings.audio_red {
            adapter.add(1, RedSwitch::default());
        }
        adapter.add((WATCH_S / TICK_S).round() as u64, PeerWatch::default());
        adapter
    }

    fn add(&mut self, every: u64, controller: impl Controller + 'static) {
        self.controllers.push(Scheduled {
            every: every.max(1),
            controller: Box::new(controller),
        });
    }

    /// The jitter buffer's waits before the first tick, when the adapter sets them.
    pub fn start_latency(&self) -> Option<StartLatency> {
        self.start_latency
    }

    /// Folds in the transport-wide feedback received until `now`; returns what to change.
    pub fn feedback(&mut self, window: &TwccWindow, now: f64) -> Vec<Action> {
        let mut actions = Vec::new();
        for scheduled in &mut self.controllers {
            scheduled.controller.feedback(window, now, &mut actions);
        }
        actions
    }

    /// Folds in the sample taken `now` seconds into the call (one every [`TICK_S`]); returns
    /// what to change, in order.
    pub fn tick(&mut self, sample: &RawSample, now: f64) -> Vec<Action> {
        self.ticks += 1;
        let mut actions = Vec::new();
        for scheduled in &mut self.controllers {
            if self.ticks.is_multiple_of(scheduled.every) {
                scheduled.controller.tick(sample, now, &mut actions);
            }
        }
        actions
    }
}
