//! How long the jitter buffer waits, as a pure function of what the network showed. A lost
//! packet can only be repaired if the jitter buffer still waits when the retransmission
//! arrives: the loss shows when a later packet arrives, and the resend comes about one round
//! trip after that. On a clean path that wait is pure delay, so the buffer grows only once
//! losses show, and shrinks back after a quiet spell. The measurements behind each choice are
//! in docs/decisions/0012-jitter-buffer-grows-for-repairs.md (and 0009 for the repair hold).
//!
//! * From the start: the base, so the first frame waits no longer than later ones
//!   (docs/decisions/0022-fast-start.md); once round trips are known, without recent loss,
//!   `max(base, 3 × jitter + 10 ms)`.
//! * With loss in the last [`LOSS_MEMORY_S`]: also at least
//!   `SRTT + 2 × RTTVAR + 2 × jitter + 8 ms` and `peak RTT + 15 ms` ([`RttEstimator`]);
//!   `jitter` is RFC 3550's interarrival jitter, for the wait before a loss shows. With a
//!   repair hold that target is [`REPAIR_SPREAD_MS`] lower: video waits for repairs past it
//!   ([`LatencyGovernor::repair_hold_ms`]), audio has redundancy.
//! * Never above [`MAX_MS`]. Grows at once when the target is 3 % above the current value;
//!   shrinks only to a target 30 % below it, and not within `SHRINK_HOLD_S` of the last change
//!   (each change re-times the sinks: a short stutter), except while the RTT estimate is young,
//!   and to a target under half of it already `FAST_SHRINK_HOLD_S` after the last change: a
//!   queue filling at a bottleneck reads as jitter while it fills, and its congestion
//!   controller empties it within a second or two (decision 21).

use super::adapter::{Action, Controller};
use crate::stats::RawSample;
use crate::stats::model::{MediumSample, SourceSample};

/// The most the jitter buffer may wait.
pub const MAX_MS: u32 = 400;
/// How long a loss counts as recent.
pub const LOSS_MEMORY_S: f64 = 20.0;
/// With a repair hold (`build::repair_hold`) and losses: the picture is shown this much before
/// the time a repair needs, and video waits for repairs this much after it (decision 0009).
pub const REPAIR_SPREAD_MS: u32 = 30;
/// Added to the resend time and twice the jitter: the requests' way through rtpsession and
/// the sender's answer.
const RESEND_MARGIN_MS: f64 = 8.0;
/// Added to the slowest recent round trip.
const PEAK_MARGIN_MS: f64 = 15.0;
/// The repair hold until the round trip is known (about 1 s of RTCP), for the first
/// `START_HOLD_S` at most: enough for a resend over a round trip of up to about 120 ms, on
/// top of the base latency. A peer that never gives a round trip (one that sends no receiver
/// reports) gets the floor after that.
pub const START_HOLD_MS: u32 = 150;
const START_HOLD_S: f64 = 3.0;
/// The hold's reach comes down only by more than this (ms), so that each round-trip sample
/// does not reset the jitter buffers.
const COVER_SHRINK_MS: u32 = 15;
const SHRINK_HOLD_S: f64 = 10.0;
/// A target under [`FAST_SHRINK`] of the latency is taken this soon after the last change.
const FAST_SHRINK_HOLD_S: f64 = 2.0;
const FAST_SHRINK: f64 = 0.5;
/// A tick losing this share of its packets is a burst (a queue overflowing), not random loss.
const BURST_LOSS: f64 = 0.15;
/// How long after a burst the repair hold stays off.
const BURST_MEMORY_S: f64 = 3.0;
/// While the round-trip estimate is young, the latency also shrinks at once to a target this
/// far below it: a slow first sample (the machine starting the pipeline) must not hold the
/// buffer high until the shrink hold has passed.
const YOUNG_SHRINK: f64 = 0.85;
/// Half RFC 6298's gains (1/8 and 1/4). RTCP gives only about two samples a second, and the
/// buffer follows every rise at once: with the full gains the target swung by ±10 ms and the
/// buffer settled at its highest swing.
const SRTT_GAIN: f64 = 1.0 / 16.0;
const RTTVAR_GAIN: f64 = 1.0 / 8.0;

/// RFC 6298's smoothed round trip and mean deviation. A sample equal to the previous one is the
/// same RTCP report read again and is skipped. For the first [`YOUNG_SAMPLES`] samples SRTT and
/// RTTVAR are the plain mean and mean deviation of the samples so far, so the path's spread is
/// known within seconds; then RFC 6298's smoothing goes on from there.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RttEstimator {
    srtt_ms: Option<f64>,
    rttvar_ms: f64,
    last_sample: Option<f64>,
    /// The largest recent sample, forgotten by [`PEAK_DECAY_MS`] per sample.
    peak_ms: f64,
    /// The first samples, while there are fewer than [`YOUNG_SAMPLES`].
    young: [f64; YOUNG_SAMPLES],
    samples: usize,
    /// A sample far above SRTT, held back until the next one says whether the path changed.
    suspect: Option<f64>,
}

/// A sample this many times SRTT is taken only when the next one is as slow: one stray reading
/// would otherwise hold the jitter buffer near its maximum for minutes (the recent peak decays
/// by [`PEAK_DECAY_MS`] a sample).
const OUTLIER_FACTOR: f64 = 3.0;

/// How many samples the estimator takes as plain statistics before it smooths (RTCP gives
/// about two a second).
pub const YOUNG_SAMPLES: usize = 16;

/// How fast the recent peak round trip is forgotten, per sample: 60 ms in about 10 s. The peak
/// only bridges the first seconds, until RTTVAR has the path's spread; a slower decay let one
/// slow reading (the machine, not the path) hold the buffer high for half a minute.
const PEAK_DECAY_MS: f64 = 3.0;

impl RttEstimator {
    /// Folds in one RTT reading.
    pub fn observe(&mut self, rtt_ms: f64) {
        if self.last_sample == Some(rtt_ms) {
            return;
        }
        self.last_sample = Some(rtt_ms);
        if let Some(srtt) = self.srtt_ms
            && rtt_ms > OUTLIER_FACTOR * srtt
        {
            match self.suspect.take() {
                // Two slow samples in a row: the path did change; take both.
                Some(first) => self.take(first),
                None => {
                    self.suspect = Some(rtt_ms);
                    return;
                }
            }
        } else {
            self.suspect = None;
        }
        self.take(rtt_ms);
    }

    fn take(&mut self, rtt_ms: f64) {
        self.peak_ms = rtt_ms.max(self.peak_ms - PEAK_DECAY_MS);
        if self.samples < YOUNG_SAMPLES {
            self.young[self.samples] = rtt_ms;
            self.samples += 1;
            let seen = &self.young[..self.samples];
            let mean = seen.iter().sum::<f64>() / seen.len() as f64;
            self.srtt_ms = Some(mean);
            self.rttvar_ms = seen.iter().map(|s| (s - mean).abs()).sum::<f64>() / seen.len() as f64;
            return;
        }
        if let Some(srtt) = self.srtt_ms {
            self.rttvar_ms += RTTVAR_GAIN * ((srtt - rtt_ms).abs() - self.rttvar_ms);
            self.srtt_ms = Some(srtt + SRTT_GAIN * (rtt_ms - srtt));
        }
    }

    /// Still taking the first samples as plain statistics.
    pub fn is_young(&self) -> bool {
        self.samples < YOUNG_SAMPLES
    }

    /// The time a resend needs, with room for the path's variation: `SRTT + 2 × RTTVAR`
    /// (RFC 6298's RTO takes 4 × RTTVAR to be sure before resending; here the latency targets
    /// bound the wait).
    pub fn resend_time_ms(&self) -> Option<f64> {
        self.srtt_ms.map(|srtt| srtt + 2.0 * self.rttvar_ms)
    }

    /// The slowest recent round trip: the better bound while RTTVAR has not yet grown to the
    /// path's spread.
    pub fn peak_ms(&self) -> Option<f64> {
        self.srtt_ms.map(|_| self.peak_ms)
    }
}

/// What the receiver saw of the network at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathState {
    pub rtt_ms: Option<f64>,
    pub jitter_ms: f64,
    /// Cumulative packets lost (all media).
    pub lost: u64,
    /// Cumulative packets received (all media).
    pub received: u64,
}

impl PathState {
    /// What a sample shows of the path: per medium, the sender that sent the most is the media
    /// stream (not its RTX stream); the first round trip known, the worst jitter, all losses.
    pub fn from_sample(sample: &RawSample) -> PathState {
        fn main(m: &MediumSample) -> Option<&SourceSample> {
            m.sources.iter().max_by_key(|s| s.packets_received)
        }
        let streams = [main(&sample.video), main(&sample.audio)];
        streams.into_iter().flatten().fold(
            PathState {
                rtt_ms: None,
                jitter_ms: 0.0,
                lost: 0,
                received: 0,
            },
            |p, s| PathState {
                rtt_ms: p.rtt_ms.or(s.rtt_ms),
                jitter_ms: p.jitter_ms.max(s.jitter_ms),
                lost: p.lost + s.packets_lost.max(0) as u64,
                received: p.received + s.packets_received,
            },
        )
    }
}

/// The jitter buffer's latency between decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyGovernor {
    base_ms: u32,
    current_ms: u32,
    last_change: f64,
    last_lost: u64,
    last_received: u64,
    last_loss_at: Option<f64>,
    /// Until when losses are a congestion's bursts, not random: no repair hold.
    burst_until: f64,
    last_tick: f64,
    rtt: RttEstimator,
    /// Still at the starting value, before any round-trip sample.
    provisional: bool,
    /// Video may wait for repairs longer than it waits to be shown (`build::repair_hold`).
    repair_hold: bool,
    /// How long after its time a packet's resend may still come (the lossy latency plus
    /// `REPAIR_SPREAD_MS`), once the round trip is known: the hold reaches it on a clean path
    /// too. Moves up at once, down only by more than `COVER_SHRINK_MS`.
    resend_cover_ms: Option<u32>,
}

impl LatencyGovernor {
    /// Starts at the user's `base_ms` (`--jitter-buffer-ms`): every millisecond waited before
    /// the path is known delays the first frame, and a loss before media has flowed for a
    /// tick is repaired by a key-frame request instead (decision 22). The base is also the floor. With `repair_hold` the peer's
    /// video waits for repairs [`repair_hold_ms`](Self::repair_hold_ms) longer than this
    /// latency, and the lossy target is [`REPAIR_SPREAD_MS`] lower.
    pub fn new(base_ms: u32, repair_hold: bool) -> LatencyGovernor {
        LatencyGovernor {
            base_ms,
            current_ms: base_ms,
            last_change: 0.0,
            last_lost: 0,
            last_received: 0,
            last_loss_at: None,
            burst_until: 0.0,
            last_tick: 0.0,
            rtt: RttEstimator::default(),
            provisional: true,
            repair_hold,
            resend_cover_ms: None,
        }
    }

    /// The latency to start with, before the first [`update`](Self::update).
    pub fn initial_ms(&self) -> u32 {
        self.current_ms
    }

    /// The round-trip estimate the decisions are made from (for logs).
    pub fn rtt(&self) -> RttEstimator {
        self.rtt
    }

    /// How much longer than [`update`](Self::update)'s latency video waits for a repair (none
    /// without a repair hold). Where nothing is missing the hold never waits.
    ///
    /// * Until the round trip is known (two RTCP intervals, about a second; 3 s at most):
    ///   [`START_HOLD_MS`]. Without a hold long enough for a resend, every loss in the call's
    ///   first second broke the picture until a key frame (at 2 % loss, 0.5–1 s frozen at the
    ///   start of most calls). The video jitter buffers start once a few packets came in a row
    ///   (`build::repair_hold`), so the first frame does not wait for it.
    /// * Then as far as a resend may come (`resend_cover_ms`), twice [`REPAIR_SPREAD_MS`] at
    ///   least: on a lossy path the latency is already 30 ms short of it; on a clean path the
    ///   latency is the base, far below a round trip, and the hold lets the first loss be
    ///   repaired instead of freezing the picture until a key frame.
    /// * While losses come in bursts ([`BURST_LOSS`] of a tick's packets, a congested link's
    ///   queue overflowing): none. Most of what is missing does not come back in time, and
    ///   waiting for it held video 150–200 ms late for seconds after a bottleneck's queue
    ///   overflowed (decision 21).
    pub fn repair_hold_ms(&self) -> u32 {
        if !self.repair_hold || self.last_tick < self.burst_until {
            return 0;
        }
        match self.resend_cover_ms {
            Some(cover) => cover
                .saturating_sub(self.current_ms)
                .max(2 * REPAIR_SPREAD_MS),
            None if self.last_tick < START_HOLD_S => START_HOLD_MS,
            None => 2 * REPAIR_SPREAD_MS,
        }
    }

    /// The latency decided last.
    pub fn current_ms(&self) -> u32 {
        self.current_ms
    }

    /// Folds in the path state at `now` (seconds); returns the new latency when it changes.
    pub fn update(&mut self, path: PathState, now: f64) -> Option<u32> {
        if path.lost > self.last_lost {
            self.last_loss_at = Some(now);
        }
        let lost = path.lost.saturating_sub(self.last_lost) as f64;
        let received = path.received.saturating_sub(self.last_received) as f64;
        if lost > 0.0 && lost / (lost + received) > BURST_LOSS {
            self.burst_until = now + BURST_MEMORY_S;
        }
        self.last_received = path.received;
        self.last_tick = now;
        self.last_lost = path.lost;
        if let Some(rtt) = path.rtt_ms {
            self.rtt.observe(rtt);
        }
        let lossy = self.last_loss_at.is_some_and(|t| now - t < LOSS_MEMORY_S);
        let mut target = f64::from(self.base_ms).max(3.0 * path.jitter_ms + 10.0);
        let wait = self.rtt.resend_time_ms().map(|resend| {
            let wait = resend + 2.0 * path.jitter_ms + RESEND_MARGIN_MS;
            self.rtt
                .peak_ms()
                .map_or(wait, |peak| wait.max(peak + PEAK_MARGIN_MS))
        });
        if let Some(wait) = wait {
            let cover = (wait + f64::from(REPAIR_SPREAD_MS)).round() as u32;
            let cover = cover.min(MAX_MS + 2 * REPAIR_SPREAD_MS);
            if self
                .resend_cover_ms
                .is_none_or(|c| cover > c || cover + COVER_SHRINK_MS < c)
            {
                self.resend_cover_ms = Some(cover);
            }
        }
        if let (true, Some(wait)) = (lossy, wait) {
            let ahead = if self.repair_hold {
                REPAIR_SPREAD_MS
            } else {
                0
            };
            target = target.max(wait - f64::from(ahead));
        }
        let target = (target.round() as u32).min(MAX_MS.max(self.base_ms));
        let current = f64::from(self.current_ms);
        let grow = f64::from(target) > 1.03 * current;
        let since_change = now - self.last_change;
        let shrink = (f64::from(target) < 0.7 * current && since_change >= SHRINK_HOLD_S)
            || (f64::from(target) < FAST_SHRINK * current && since_change >= FAST_SHRINK_HOLD_S)
            || (self.rtt.is_young()
                && self.rtt.resend_time_ms().is_some()
                && f64::from(target) < YOUNG_SHRINK * current);
        // The first round trip known: the provisional value gives way to the path's own.
        let settle = self.provisional && self.rtt.resend_time_ms().is_some();
        if settle {
            self.provisional = false;
        }
        if (grow || shrink || settle) && target != self.current_ms {
            self.current_ms = target;
            self.last_change = now;
            Some(target)
        } else {
            None
        }
    }
}

impl Controller for LatencyGovernor {
    /// Lets the jitter buffer wait long enough for retransmissions once losses show up, and no
    /// longer than needed after they stop.
    fn tick(&mut self, sample: &RawSample, now: f64, actions: &mut Vec<Action>) {
        let held_before = self.repair_hold_ms();
        let changed = self.update(PathState::from_sample(sample), now);
        let hold_ms = self.repair_hold_ms();
        if changed.is_some() || hold_ms != held_before {
            let ms = self.current_ms();
            tracing::info!(ms, hold_ms, rtt = ?self.rtt(), "jitter buffer latency");
            actions.push(Action::SetLatency { ms, hold_ms });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_losses_lifts_the_repair_hold_for_a_while() {
        let mut g = LatencyGovernor::new(20, true);
        g.update(path(40.0, 2.0, 0), 0.5);
        assert!(g.repair_hold_ms() > 0, "a clean path keeps the hold");
        // Random loss (1 in 1000): the hold stays.
        g.update(path(40.0, 2.0, 3), 1.0);
        let hold = g.repair_hold_ms();
        assert!(hold > 0);
        // A third of a tick's packets lost: a queue overflowed.
        let burst = PathState {
            received: 3000 + 200,
            lost: 3 + 100,
            ..path(40.0, 2.0, 0)
        };
        g.update(burst, 1.5);
        assert_eq!(g.repair_hold_ms(), 0);
        let quiet = PathState {
            received: 3200 + 400,
            ..burst
        };
        g.update(quiet, 1.5 + BURST_MEMORY_S - 0.5);
        assert_eq!(g.repair_hold_ms(), 0, "not yet");
        g.update(
            PathState {
                received: 4000,
                ..quiet
            },
            1.5 + BURST_MEMORY_S,
        );
        assert_eq!(g.repair_hold_ms(), hold, "back after a quiet spell");
    }

    /// A path that lost `lost` packets so far, one in a thousand.
    fn path(rtt: f64, jitter: f64, lost: u64) -> PathState {
        PathState {
            rtt_ms: Some(rtt),
            jitter_ms: jitter,
            lost,
            received: lost * 1000,
        }
    }

    #[test]
    fn a_slow_first_sample_is_left_behind_while_the_estimate_is_young() {
        let mut g = LatencyGovernor::new(20, true);
        let first = g.update(path(135.0, 5.0, 1), 0.5).unwrap();
        let second = g.update(path(58.0, 5.0, 2), 1.0).unwrap();
        assert!(
            second > first,
            "the spread of two samples: {first} then {second}"
        );
        let mut now = 1.0;
        let mut last = second;
        for rtt in [80.0, 90.0, 85.0, 80.0] {
            now += 0.5;
            if let Some(ms) = g.update(path(rtt, 5.0, 3), now) {
                last = ms;
            }
        }
        assert!(
            f64::from(last) < 0.85 * f64::from(second) && now < 4.0,
            "{second} ms came down to {last} ms within seconds"
        );
    }

    #[test]
    fn with_a_repair_hold_the_picture_is_shown_earlier_and_video_waits_longer() {
        let (mut plain, mut held) = (
            LatencyGovernor::new(40, false),
            LatencyGovernor::new(40, true),
        );
        assert_eq!(plain.repair_hold_ms(), 0);
        assert_eq!(held.repair_hold_ms(), START_HOLD_MS, "from the start");
        for g in [&mut plain, &mut held] {
            g.update(path(60.0, 5.0, 0), 0.0);
        }
        assert_eq!(plain.repair_hold_ms(), 0);
        // Clean, path known: the latency stays at the base and the hold reaches as far as a
        // resend may come, as it does once losses raised the latency.
        let clean_reach = held.current_ms() + held.repair_hold_ms();
        assert_eq!(held.current_ms(), 40);
        assert!(held.repair_hold_ms() > 2 * REPAIR_SPREAD_MS);
        let lossy = path(60.0, 5.0, 3);
        let (p, h) = (
            plain.update(lossy, 1.0).unwrap(),
            held.update(lossy, 1.0).unwrap(),
        );
        assert_eq!(p - h, REPAIR_SPREAD_MS);
        assert_eq!(held.repair_hold_ms(), 2 * REPAIR_SPREAD_MS);
        assert_eq!(
            h + held.repair_hold_ms(),
            p + REPAIR_SPREAD_MS,
            "video waits past the old deadline"
        );
        assert_eq!(clean_reach, p + REPAIR_SPREAD_MS, "clean or lossy alike");
    }

    #[test]
    fn the_hold_covers_a_resend_from_the_start_and_fits_the_round_trip_once_known() {
        let mut g = LatencyGovernor::new(20, true);
        let no_rtt = |received| PathState {
            rtt_ms: None,
            jitter_ms: 2.0,
            lost: 0,
            received,
        };
        assert_eq!(g.repair_hold_ms(), START_HOLD_MS, "before any tick");
        assert_eq!(
            g.update(no_rtt(90), 0.5),
            None,
            "the latency stays at the base"
        );
        assert_eq!(g.repair_hold_ms(), START_HOLD_MS);
        // A peer that gives no round trip gets the floor after a while.
        let mut silent = g.clone();
        silent.update(no_rtt(900), START_HOLD_S);
        assert_eq!(silent.repair_hold_ms(), 2 * REPAIR_SPREAD_MS);
        // A 20 ms round trip: the hold comes down to its floor.
        g.update(path(20.0, 2.0, 0), 1.0);
        assert_eq!(g.current_ms(), 20);
        assert_eq!(g.repair_hold_ms(), 2 * REPAIR_SPREAD_MS);
    }

    #[test]
    fn a_clean_path_keeps_the_base_whatever_its_round_trip() {
        let mut g = LatencyGovernor::new(40, false);
        assert_eq!(g.initial_ms(), 40, "the first frame waits only the base");
        assert_eq!(
            g.update(
                PathState {
                    rtt_ms: None,
                    jitter_ms: 3.0,
                    lost: 0,
                    received: 0,
                },
                0.5
            ),
            None,
            "no round trip yet: keep the base"
        );
        assert_eq!(
            g.update(path(80.0, 3.0, 0), 1.0),
            None,
            "clean: stays at the base"
        );
        for t in 2..20 {
            assert_eq!(g.update(path(80.0, 3.0, 0), f64::from(t)), None);
        }
        assert_eq!(g.current_ms(), 40);
        assert_eq!(
            LatencyGovernor::new(300, false).initial_ms(),
            300,
            "a larger base wins"
        );
    }

    #[test]
    fn loss_makes_room_for_a_retransmission_then_quiet_shrinks_it_back() {
        let mut g = LatencyGovernor::new(40, false);
        assert_eq!(g.update(path(60.0, 5.0, 0), 0.0), None, "clean: the base");
        // SRTT 60, no deviation yet, jitter 5 ms: 60 + 2 × 5 + 8.
        assert_eq!(g.update(path(60.0, 5.0, 3), 1.0), Some(78));
        assert_eq!(
            g.update(path(61.0, 5.0, 4), 2.0),
            None,
            "small changes are ignored"
        );
        // 20 s without loss, and 10 s since the last change: back to the base.
        assert_eq!(g.update(path(60.0, 5.0, 4), 21.0), None);
        assert_eq!(g.update(path(60.0, 5.0, 4), 22.5), Some(40));
    }

    #[test]
    fn rtt_estimate_starts_from_the_samples_then_is_smoothed_and_skips_repeated_readings() {
        let mut rtt = RttEstimator::default();
        assert_eq!(rtt.resend_time_ms(), None);
        rtt.observe(60.0);
        rtt.observe(60.0);
        assert_eq!(rtt.resend_time_ms(), Some(60.0));
        // Young: the plain mean (100) and mean deviation (40) of the samples so far.
        rtt.observe(140.0);
        assert_eq!(rtt.resend_time_ms(), Some(100.0 + 2.0 * 40.0));
        assert_eq!(
            rtt.peak_ms(),
            Some(140.0),
            "the slow sample is the recent peak"
        );
        // The same report read again changes nothing.
        rtt.observe(140.0);
        assert_eq!(rtt.resend_time_ms(), Some(180.0));
        // One stray reading far above SRTT is held back; a second one in a row is the path.
        let mut stray = RttEstimator::default();
        stray.observe(80.0);
        stray.observe(900.0);
        assert_eq!(stray.resend_time_ms(), Some(80.0));
        assert_eq!(stray.peak_ms(), Some(80.0));
        stray.observe(82.0);
        stray.observe(800.0);
        stray.observe(810.0);
        assert!(stray.resend_time_ms().unwrap() > 400.0);
        assert_eq!(stray.peak_ms(), Some(810.0));
        // A path of 40–120 ms (5 % loss, 20–60 ms each way): the spread is known from the
        // first samples on, not only after ten seconds of smoothing.
        let mut path = RttEstimator::default();
        let samples = [80.0, 100.0, 60.0, 110.0, 70.0, 90.0];
        for s in samples {
            path.observe(s);
        }
        assert!(path.is_young());
        assert_eq!(path.resend_time_ms(), Some(85.0 + 2.0 * 15.0));
        // Grown up: RFC 6298's smoothing from there. A steady path lets the deviation decay.
        for i in 0u32..80 {
            path.observe(60.0 + f64::from(i % 2));
        }
        assert!(!path.is_young());
        assert!(path.resend_time_ms().unwrap() < 70.0);
    }

    #[test]
    fn a_lasting_change_of_round_trip_is_followed() {
        let mut g = LatencyGovernor::new(20, false);
        assert_eq!(
            g.update(path(60.0, 5.0, 1), 0.0),
            Some(78),
            "lossy from the start: grows from the base to the path's resend time"
        );
        for i in 0u32..40 {
            let rtt = 200.0 + f64::from(i % 2);
            g.update(path(rtt, 5.0, 3 + u64::from(i)), 1.0 + f64::from(i) * 0.5);
        }
        assert!(g.current_ms() > 200, "{}", g.current_ms());
    }

    #[test]
    fn jitter_alone_grows_it_and_the_maximum_holds() {
        let mut g = LatencyGovernor::new(40, false);
        assert_eq!(g.update(path(10.0, 20.0, 0), 0.0), Some(70));
        // A round trip 90 times the last is held back once (jitter alone: 3 × 50 + 10)...
        assert_eq!(g.update(path(900.0, 50.0, 10), 1.0), Some(160));
        // ...and taken when the next report says the same.
        assert_eq!(g.update(path(901.0, 50.0, 11), 1.5), Some(MAX_MS));
        assert_eq!(g.current_ms(), MAX_MS);
        let mut big = LatencyGovernor::new(600, false);
        assert_eq!(
            big.update(path(900.0, 50.0, 10), 1.0),
            None,
            "the user's base wins"
        );
    }
}
