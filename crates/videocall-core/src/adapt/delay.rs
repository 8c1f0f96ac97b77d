//! The delay-based rate controller: a pure function of its state, the peer's transport-wide
//! feedback since the last tick (`stats::twcc::TwccWindow`) and the time. It keeps the
//! bottleneck's queue short instead of waiting for it to overflow, in the spirit of the delay
//! half of Google Congestion Control (Carlucci et al., MMSys 2016) with the "standing queue"
//! of CoDel/BBR as its signal. The measurements behind the numbers are in
//! docs/decisions/0021-delay-based-rate-control.md.
//!
//! * **Queue.** The least one-way delay (arrival on the peer's clock less departure on ours)
//!   of the packets that arrived in the window's last ~150 ms is compared with the least of
//!   the last `BASELINE_S`: the difference is the queue our packets stand in now. The least
//!   rather than the mean, so random jitter (every packet late by a different amount) reads as
//!   no queue, while a queue that every packet waits in reads in full.
//! * **Congestion** is a queue over `QUEUE_HIGH_MS`, or loss above the path's own random loss
//!   (the floor, learnt as in `rate`) by `CONGESTED_LOSS` (or by `CLEAN_LOSS` near a ceiling
//!   found by loss: a policer). The rate the packets arrived at (the link's rate when it is
//!   the bottleneck) becomes the ceiling, and the new rate is that less enough to drain the
//!   queue within about a second.
//! * **Increase** while the queue is under `QUEUE_LOW_MS` and loss is clean: fast far from a
//!   ceiling, slower near it. A ceiling found by the queue is forgotten as soon as packets
//!   arrive faster than it without a queue (the link got better); one found by loss only when
//!   the rate is well above it, since a policer's bucket hides the cap for a while.
//! * **Packet pairs.** A frame's packets leave back to back and a bottleneck spaces them by its
//!   own rate, so their arrival gaps read the link's rate even while we send under it. Pairs
//!   that agree with a ceiling found by the queue make it exact and the rate holds just under
//!   it (nothing above to probe for); pairs reading twice the ceiling say the bottleneck is
//!   gone, and the rate goes back up at once.
//! * **Probe bursts** (with retransmission): near a ceiling found by loss the rate holds under
//!   it, and bursts of resends (`Action::ProbeBurst`) ask whether the policer is still there:
//!   one that loses its tail measured the bucket, two in a row that get through say it is gone.
//! * **No feedback** (the peer does not send transport-wide feedback, or it stopped): the
//!   loss-based controller over RTCP receiver reports decides, from the current rate.

use std::collections::VecDeque;

use super::adapter::{Action, Controller};
use super::rate::RateController;
use crate::plan::rate::RateLimits;
use crate::stats::RawSample;
use crate::stats::model::Feedback;
use crate::stats::twcc::{ProbeTally, TwccWindow};

/// How far back the least one-way delay is the path's own (no queue). Long enough that a queue
/// draining slowly after a bottleneck's onset is not taken for the path (at 10 s it was, and
/// 100–200 ms of queue stood unseen for the rest of the cap).
const BASELINE_S: f64 = 30.0;
/// A queue this long (ms) is congestion.
const QUEUE_HIGH_MS: f64 = 25.0;
/// Under this queue (ms) the rate may grow.
const QUEUE_LOW_MS: f64 = 10.0;
/// A queue reading beyond this (ms) either way is a misread report (real queues that long end
/// a call anyway), and so is a window this far below the path's least delay once
/// `SETTLED_WINDOWS` have given it.
const MISREAD_MS: f64 = 1000.0;
const SETTLED_WINDOWS: usize = 10;
/// How many windows in a row must reach a least delay for it to be the path's.
const AGREEING_WINDOWS: usize = 3;
/// Rates and loss are read over this much feedback (s); fewer reported packets than
/// `MIN_PACKETS` in it decide nothing.
const SPAN_S: f64 = 0.5;
const MIN_PACKETS: u32 = 20;
/// The least span of arrivals (s) that gives a rate.
const MIN_SPAN_S: f64 = 0.2;
/// Without feedback this long (s) the loss-based controller takes over.
const NO_FEEDBACK_S: f64 = 2.0;
/// The new rate after congestion, as a share of the link's rate, before draining the queue: by
/// the queue, just under the link; by loss, far enough under a policer for its bucket to refill.
const DECREASE: f64 = 0.95;
const LOSS_DECREASE: f64 = 0.85;
/// The least share of the arrival rate a decrease goes to, however long the queue.
const MIN_DECREASE: f64 = 0.5;
/// The queue is drained within this long (s) after a decrease.
const DRAIN_S: f64 = 1.0;
/// Loss over the floor that is congestion anywhere, and near a ceiling found by loss.
const CONGESTED_LOSS: f64 = 0.10;
const CLEAN_LOSS: f64 = 0.02;
/// Growth per second with no ceiling known.
const FAST_GROWTH_PER_S: f64 = 0.30;
/// Growth per second near a ceiling found by the queue: one tick above it raises the queue by
/// a few milliseconds only.
const QUEUE_CEILING_GROWTH_PER_S: f64 = 0.10;
/// Growth per second near a ceiling found by loss (a policer): its bucket lets a short excess
/// through, so the excess must stay small to be caught before losses add up.
const LOSS_CEILING_GROWTH_PER_S: f64 = 0.05;
/// "Near" a ceiling: above this share of it.
const NEAR_CEILING: f64 = 0.8;
/// Sending this much above a queue-found ceiling for `FORGET_HOLD_S` with no queue: the link
/// got better (while it holds, a queue would show within a few hundred milliseconds).
const FORGET_QUEUE_CEILING: f64 = 1.1;
const FORGET_HOLD_S: f64 = 0.3;
/// Growth per second above a queue-found ceiling, until it is forgotten.
const PROBE_GROWTH_PER_S: f64 = 0.20;
/// A queue (ms) that long at the first sign of congestion: the rate is halved.
const SUDDEN_QUEUE_MS: f64 = 50.0;
/// Under this share of a ceiling found by loss the rate returns to it at `LOSS_APPROACH_PER_S`;
/// above it, growth is `LOSS_CEILING_GROWTH_PER_S` and doubles for every `LOSS_DOUBLING_S` spent
/// above the ceiling without loss, until it is fast and the ceiling forgotten (the policer is
/// gone: its bucket would have been empty long since).
const LOSS_APPROACH: f64 = 1.0;
const LOSS_APPROACH_PER_S: f64 = 0.20;
const LOSS_DOUBLING_S: f64 = 1.0;
/// How long after a cut for loss a little loss still counts as the link's, and its link rate
/// stands unless loss reads more than `LOSS_CEILING_MOVE` times it.
const LOSS_MEMORY_S: f64 = 20.0;
const LOSS_CEILING_MOVE: f64 = 1.3;
/// A decrease this recent (s) is still draining: another one waits for its effect, unless the
/// queue grew by `GROWING_MS` since, `REACT_S` after it (the encoder's first smaller frames).
const DECREASE_HOLD_S: f64 = 0.9;
const REACT_S: f64 = 0.25;
const GROWING_MS: f64 = 20.0;
/// The span (s) the link's rate is read over while a queue stands, and the least that gives a
/// rate.
const BUSY_SPAN_S: f64 = 0.3;
const MIN_BUSY_SPAN_S: f64 = 0.15;
/// A cut for loss takes effect this soon (s): the encoder's next frames, its buffer's last
/// ~120 ms at the old rate and the feedback on them. Loss after that needs a deeper cut.
const LOSS_REACT_S: f64 = 0.4;
/// The least span of arrivals (s) in the newest window that gives a rate.
const MIN_NEWEST_SPAN_S: f64 = 0.05;
/// Congestion this soon (s) after the last decrease is the same episode.
const EPISODE_S: f64 = 3.0;
/// The least cut when a decrease did not end the congestion.
const REPEAT_DECREASE: f64 = 0.9;
/// Bounds and gain of the learnt overhead (path rate over encoder target).
const MAX_OVERHEAD: f64 = 1.5;
const OVERHEAD_GAIN: f64 = 0.3;
/// How much of each calm window's loss goes into the loss floor.
const FLOOR_GAIN: f64 = 1.0 / 8.0;
/// Transport-wide loss counts up to what the receiver reports showed over at least
/// `RTCP_MIN_PACKETS`, plus `RTCP_LOSS_MARGIN`, for `RTCP_LOSS_MEMORY_S` after.
const RTCP_MIN_PACKETS: u64 = 50;
const RTCP_LOSS_MARGIN: f64 = 0.02;
const RTCP_LOSS_MEMORY_S: f64 = 1.5;
/// Transport-wide loss exceeding the receiver reports' by more than this (smoothed with
/// `REORDER_GAIN` per report interval) is reordering, and is then capped by them.
const REORDER_EXCESS: f64 = 0.02;
const REORDER_GAIN: f64 = 0.5;

/// With probe bursts, the rate holds at this share of a ceiling found by loss (on the path),
/// and a burst of resends asks, `PROBE_EVERY_S` after the last one was asked for (the first
/// `PROBE_AFTER_CUT_S` after the cut, once the policer's bucket refilled; the sender spaces
/// them further), whether the policer is still there: one that loses its tail measured what
/// its bucket held.
const PROBE_HOLD: f64 = 0.85;
const PROBE_EVERY_S: f64 = 1.0;
const PROBE_AFTER_CUT_S: f64 = 2.5;
/// The first burst, before one has measured the bucket: this long (s) at the ceiling's rate.
/// A guess: a larger bucket passes it whole, and the bursts then grow (`PROBE_WRONG_S`).
const PROBE_FIRST_BURST_S: f64 = 0.3;
/// A burst resends this many bytes (two packets) more than the bucket was seen to hold: what it
/// holds in the middle of a key-frame interval varies by a few packets, so a burst that gets
/// through whole is followed by one of `PROBE_CONFIRM_S` of the ceiling at once, which loses
/// its tail if the first emptied a bucket, and the policer is gone when both got through.
const PROBE_MARGIN_BYTES: u64 = 2400;
const PROBE_MAX_BYTES: u64 = 200_000;
const PROBE_CONFIRM_S: f64 = 0.06;
/// A cut for loss this soon (s) after bursts said the policer was gone means its bucket held
/// them both: the bursts grow.
const PROBE_WRONG_S: f64 = 3.0;
/// A burst's feedback is complete this long (s) after its first report; a burst that shows
/// nothing this long (s) after it was asked for (its frame did not come) is asked for again.
const PROBE_SETTLE_S: f64 = 0.15;
const PROBE_TIMEOUT_S: f64 = 2.0;
/// Loss this long (s) after a burst's packets were reported is taken for the burst's own
/// (the bucket it emptied), unless heavy.
const BURST_SHADOW_S: f64 = 0.6;
/// After a burst got through, the rate goes back to what it was before the cut for loss,
/// at most this many times the current rate.
const PROBE_JUMP: f64 = 2.0;
/// Back-to-back pairs a reading of the link's rate needs: about a third of a second of
/// frames at 800 kbit/s.
const MIN_TRAIN_PAIRS: u32 = 10;
/// Pairs reading the link this many times faster than a ceiling found by the queue say that
/// bottleneck is gone (under it they read it within a few per cent).
const TRAIN_GONE: f64 = 2.0;
/// Pairs reading within this factor of a ceiling found by the queue say it is the link's
/// whole rate: the pairs measure it better than the arrival rate of a short congestion, the
/// ceiling becomes their reading, there is nothing above it to probe for, and the rate holds
/// at `QUEUE_HOLD` of it. Over it, the ceiling is a share of a faster link (other traffic on
/// it) or the link got faster, and the rate probes as without pairs.
const TRAIN_AGREES: f64 = 1.15;
const QUEUE_HOLD: f64 = 0.95;

/// A probe burst asked for and not yet judged.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PendingBurst {
    asked_at: f64,
    bytes: u64,
    /// It follows a burst that got through whole, to tell a larger bucket from none.
    confirming: bool,
    /// When its first packets were reported on, and what became of them.
    first_seen: Option<f64>,
    seen: ProbeTally,
}

/// What revealed a ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Queue,
    Loss,
}

/// A rate the link would not carry: what arrived when it was congested, when, and how we knew.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ceiling {
    kbps: f64,
    signal: Signal,
}

/// What one window of feedback says, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub queue_ms: f64,
    pub loss: f64,
    pub arrival_kbps: Option<f64>,
    /// What left us over the newest window (kbit/s).
    pub sent_kbps: Option<f64>,
    /// The link's rate as the span's back-to-back packet pairs read it (kbit/s).
    pub train_kbps: Option<f64>,
}

/// The controller's state between ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct DelayController {
    limits: RateLimits,
    rate_kbps: f64,
    /// Each window's least one-way delay (µs), with its time, over the last `BASELINE_S`.
    delays: VecDeque<(f64, i64)>,
    /// The feedback windows of the last [`SPAN_S`], with the time each was taken.
    span: VecDeque<(f64, TwccWindow)>,
    ceiling: Option<Ceiling>,
    last_decrease: Option<f64>,
    /// The queue (ms) when the last decrease was decided.
    queue_at_decrease: f64,
    /// The least one-way delay of the last `BASELINE_S` (µs): the path without a queue.
    base_delay_us: i64,
    /// Since when the rate is above a queue-found ceiling without a queue.
    above_ceiling_since: Option<f64>,
    /// Since when the rate is above a ceiling found by loss without loss.
    above_loss_ceiling_since: Option<f64>,
    /// Whether the last cut went to a ceiling loss had found before.
    cut_to_known_loss_ceiling: bool,
    last_floor_update: Option<f64>,
    /// When the rate was last cut for loss, and the link's rate then (kbit/s) with the time.
    loss_cut_at: Option<f64>,
    loss_ceiling: Option<(f64, f64)>,
    /// The last receiver report about our video counted from, and the share lost since the
    /// one before (with when it was read).
    last_report: Option<Feedback>,
    rtcp_loss: Option<(f64, f64)>,
    /// The transport-wide feedback's counts since that report, and how much more loss it has
    /// shown than the receiver reports (smoothed).
    since_report: TwccWindow,
    reorder_excess: f64,
    last_feedback: Option<f64>,
    last_tick: Option<f64>,
    loss_floor: f64,
    /// What goes on the path per unit of encoder target: headers, key frames over the average
    /// frame, resends (the windows' sent rate over the target they were sent at).
    overhead: f64,
    /// Decides while there is no feedback; kept at our rate while there is.
    fallback: RateController,
    reading: Option<Reading>,
    /// Whether bursts of resends may probe a ceiling found by loss (else the rate does).
    probe_bursts: bool,
    burst: Option<PendingBurst>,
    last_burst_at: Option<f64>,
    /// What bursts got through while the policer held (its bucket), once one measured it.
    bucket_bytes: Option<u64>,
    /// When the last burst's packets were last reported on.
    last_burst_seen_at: Option<f64>,
    /// A burst to ask for at the next `feedback` (bytes, and whether it confirms).
    burst_request: Option<(u64, bool)>,
    /// The rate before the first cut for loss of the current ceiling.
    before_loss_cut_kbps: Option<f64>,
    /// When bursts last said the policer was gone.
    gone_at: Option<f64>,
    /// The rate before the first cut for the queue of the current ceiling.
    before_queue_cut_kbps: Option<f64>,
    /// When packet pairs last said the bottleneck was gone, and whether they may: a path
    /// that let pairs through faster than it carries a stream (a shaper with a burst
    /// allowance) misled them once, and is not trusted again.
    trains_gone_at: Option<f64>,
    trust_trains: bool,
}

impl DelayController {
    /// Starts at the maximum, like the loss-based controller.
    pub fn new(limits: RateLimits) -> DelayController {
        DelayController {
            limits,
            rate_kbps: f64::from(limits.max_kbps),
            delays: VecDeque::new(),
            span: VecDeque::new(),
            ceiling: None,
            last_decrease: None,
            queue_at_decrease: 0.0,
            base_delay_us: 0,
            above_ceiling_since: None,
            above_loss_ceiling_since: None,
            cut_to_known_loss_ceiling: false,
            last_floor_update: None,
            loss_cut_at: None,
            loss_ceiling: None,
            last_report: None,
            rtcp_loss: None,
            since_report: TwccWindow::default(),
            // Untrusted until the reports have agreed with it for a few seconds.
            reorder_excess: 1.0,
            last_feedback: None,
            last_tick: None,
            loss_floor: 0.0,
            overhead: 1.0,
            fallback: RateController::new(limits),
            reading: None,
            probe_bursts: false,
            burst: None,
            last_burst_at: None,
            bucket_bytes: None,
            burst_request: None,
            last_burst_seen_at: None,
            before_loss_cut_kbps: None,
            gone_at: None,
            before_queue_cut_kbps: None,
            trains_gone_at: None,
            trust_trains: true,
        }
    }

    /// Probes a ceiling found by loss with bursts of resends (`Action::ProbeBurst`) rather
    /// than with the rate, when `on`.
    pub fn with_probe_bursts(mut self, on: bool) -> DelayController {
        self.probe_bursts = on;
        self
    }

    /// Folds the newest window's burst packets into the pending burst, and judges it once its
    /// feedback is in: whole, the policer is gone; short, it measured the bucket.
    fn judge_burst(&mut self, newest: &TwccWindow, now: f64) {
        let Some(mut burst) = self.burst else {
            return;
        };
        if newest.probe.packets > 0 {
            burst.first_seen.get_or_insert(now);
            self.last_burst_seen_at = Some(now);
            burst.seen.packets += newest.probe.packets;
            burst.seen.lost += newest.probe.lost;
            burst.seen.arrived_bytes += newest.probe.arrived_bytes;
        }
        self.burst = Some(burst);
        let settled = burst.first_seen.is_some_and(|t| now - t >= PROBE_SETTLE_S);
        if !settled {
            if burst.first_seen.is_none() && now - burst.asked_at >= PROBE_TIMEOUT_S {
                self.burst = None;
            }
            return;
        }
        self.burst = None;
        let seen = burst.seen;
        tracing::info!(
            t = now,
            asked = burst.bytes,
            confirming = burst.confirming,
            reported = seen.packets,
            lost = seen.lost,
            arrived_bytes = seen.arrived_bytes,
            "probe burst"
        );
        // The sender builds a burst from the packets' sizes, so it may fall a little short.
        let whole = seen.lost == 0 && seen.arrived_bytes * 10 >= burst.bytes * 8;
        if !burst.confirming {
            // What got through is what the bucket held (at least, when none was lost). The
            // estimate follows a larger reading at once and a smaller one halfway: what the
            // bucket holds at a burst varies by a few packets, and a burst under it gets
            // through whole and costs a second one.
            let arrived = seen.arrived_bytes;
            self.bucket_bytes = Some(match self.bucket_bytes {
                Some(bucket) if bucket > arrived => arrived + (bucket - arrived) / 2,
                _ => arrived,
            });
            // Through whole: the bucket held more than ever before, or the policer is gone. A
            // second burst at once tells which: the first emptied the bucket, if there is one.
            if whole && let Some(c) = self.ceiling.filter(|c| c.signal == Signal::Loss) {
                self.ask_burst((c.kbps * 1000.0 * PROBE_CONFIRM_S / 8.0) as u64, true, now);
            }
            return;
        }
        if whole {
            // The path carried both bursts on top of our rate: no policer held them. The
            // bucket's size stays known: the next cut for loss may be the same policer.
            if self.ceiling.is_some_and(|c| c.signal == Signal::Loss) {
                self.ceiling = None;
            }
            let back = self
                .before_loss_cut_kbps
                .unwrap_or(self.rate_kbps)
                .min(self.rate_kbps * PROBE_JUMP);
            self.rate_kbps = self.rate_kbps.max(back);
            self.gone_at = Some(now);
        }
    }

    /// Asks for a burst if one is due near a ceiling found by loss at `ceiling_kbps`.
    fn maybe_ask_burst(&mut self, ceiling_kbps: f64, now: f64) {
        let due = self.burst.is_none()
            && self
                .loss_cut_at
                .is_none_or(|t| now - t >= PROBE_AFTER_CUT_S)
            && self.last_burst_at.is_none_or(|t| now - t >= PROBE_EVERY_S);
        if !due {
            return;
        }
        let bytes = self
            .bucket_bytes
            .map(|b| b + PROBE_MARGIN_BYTES)
            .unwrap_or((ceiling_kbps * 1000.0 * PROBE_FIRST_BURST_S / 8.0) as u64);
        self.ask_burst(bytes, false, now);
    }

    /// Asks for a burst of `bytes`; a `confirming` one leaves at once, not at its place in the
    /// key-frame interval.
    fn ask_burst(&mut self, bytes: u64, confirming: bool, now: f64) {
        let bytes = bytes.clamp(PROBE_MARGIN_BYTES, PROBE_MAX_BYTES);
        self.burst = Some(PendingBurst {
            asked_at: now,
            bytes,
            confirming,
            first_seen: None,
            seen: ProbeTally::default(),
        });
        self.last_burst_at = Some(now);
        self.burst_request = Some((bytes, confirming));
    }

    /// The current target in kbit/s.
    pub fn rate_kbps(&self) -> u32 {
        self.rate_kbps.round() as u32
    }

    /// Whether the peer's feedback drives the rate (else the loss-based fallback does).
    pub fn has_feedback(&self, now: f64) -> bool {
        self.last_feedback.is_some_and(|t| now - t <= NO_FEEDBACK_S)
    }

    /// The last window's reading.
    pub fn reading(&self) -> Option<Reading> {
        self.reading
    }

    /// The queue (ms) now: the window's recent least delay over the least of the last
    /// `BASELINE_S` (which this window's least delay joins).
    fn queue_ms(&mut self, min_delay_us: i64, recent_us: i64, now: f64) -> f64 {
        // A window far below the path's least delay is a misread report, not a faster path:
        // rtpsession's timing of packets reported after reordering was seen seconds off, and
        // one such window would make every reading a queue for `BASELINE_S`.
        let misread = self.delays.len() >= SETTLED_WINDOWS
            && min_delay_us < self.base_delay_us - (MISREAD_MS * 1000.0) as i64;
        if misread {
            return (recent_us - self.base_delay_us) as f64 / 1000.0;
        }
        self.delays.push_back((now, min_delay_us));
        while self
            .delays
            .front()
            .is_some_and(|(t, _)| now - t > BASELINE_S)
        {
            self.delays.pop_front();
        }
        // The least delay that `AGREEING_WINDOWS` windows in a row reached: a single window's
        // misread report must not become the path (it would read as a queue for
        // `BASELINE_S`), a path that got faster shows in every window.
        let delays: Vec<i64> = self.delays.iter().map(|(_, d)| *d).collect();
        let base = delays
            .windows(AGREEING_WINDOWS.min(delays.len()))
            .map(|run| run.iter().copied().max().unwrap_or(min_delay_us))
            .min()
            .unwrap_or(min_delay_us);
        self.base_delay_us = base;
        (recent_us - base) as f64 / 1000.0
    }

    /// Folds in the feedback received until `now` (s); returns the new target. Rates and loss
    /// are read over the last [`SPAN_S`] of feedback, the queue from the newest packets.
    pub fn update(&mut self, newest: &TwccWindow, now: f64) -> u32 {
        let dt = self.last_tick.map_or(0.0, |t| (now - t).max(0.0));
        self.last_tick = Some(now);
        let Some(newest_delay) = newest.min_delay_us else {
            return self.rate_kbps();
        };
        self.judge_burst(newest, now);
        self.span.push_back((now, newest.clone()));
        while self.span.front().is_some_and(|(t, _)| now - t > SPAN_S) {
            self.span.pop_front();
        }
        let window = self
            .span
            .iter()
            .fold(TwccWindow::default(), |mut all, (_, w)| {
                all.merge(w);
                all
            });
        let Some(reported_loss) = window.loss() else {
            return self.rate_kbps();
        };
        // rtpsession reports a packet that arrives after the feedback covering it was sent as
        // lost, for good: on a path that reorders, transport-wide loss is mostly reordering.
        // Until the receiver reports (RFC 3550, after reordering) have shown that it is not,
        // it counts only as far as they show loss too: the latest report interval's share, a
        // little more for the count's noise.
        self.since_report.merge_counts(newest);
        let loss = if self.reorder_excess > REORDER_EXCESS {
            let confirmed = match self.rtcp_loss {
                Some((share, at)) if now - at <= RTCP_LOSS_MEMORY_S => share + RTCP_LOSS_MARGIN,
                _ => 0.0,
            };
            reported_loss.min(confirmed)
        } else {
            reported_loss
        };
        if window.packets < MIN_PACKETS {
            return self.rate_kbps();
        }
        self.last_feedback = Some(now);
        let recent = newest.recent_min_delay_us().unwrap_or(newest_delay);
        // A slow link delays even a packet that finds it idle by the packet's own length at its
        // rate (10 ms for 1250 bytes at 1 Mbit/s): that is not a queue.
        let serialization_ms = match (window.arrival_kbps(MIN_SPAN_S), window.packets) {
            (Some(kbps), packets) if packets > window.lost && kbps > 0.0 => {
                let mean_bytes = window.arrived_bytes as f64 / f64::from(packets - window.lost);
                mean_bytes * 8.0 / kbps
            }
            _ => 0.0,
        };
        let queue_ms = self.queue_ms(newest_delay, recent, now) - serialization_ms;
        if !(-MISREAD_MS..=MISREAD_MS).contains(&queue_ms) {
            return self.rate_kbps();
        }
        let arrival = window.arrival_kbps(MIN_SPAN_S);
        // While a queue stands, the link is busy and its rate is what arrives: over the last
        // `BUSY_SPAN_S`, which a cap that just began fills entirely.
        // The newest windows whose every packet stood in a queue, or that lost packets: the
        // link was saturated throughout them, so what arrived is its rate.
        let saturated = |w: &TwccWindow| {
            w.lost > 0
                || w.min_delay_us
                    .is_some_and(|d| (d - self.base_delay_us) as f64 / 1000.0 > QUEUE_LOW_MS)
        };
        let busy_arrival = self
            .span
            .iter()
            .rev()
            .take_while(|(t, w)| now - t < BUSY_SPAN_S && saturated(w))
            .fold(TwccWindow::default(), |mut all, (_, w)| {
                all.merge(w);
                all
            })
            .arrival_kbps(MIN_BUSY_SPAN_S);
        self.reading = Some(Reading {
            queue_ms,
            loss,
            arrival_kbps: arrival,
            sent_kbps: window.sent_kbps(MIN_SPAN_S),
            train_kbps: window.train_kbps(MIN_TRAIN_PAIRS),
        });
        let rate = self.rate_kbps;
        if let Some(sent) = window.sent_kbps(MIN_SPAN_S) {
            let seen = (sent / rate).clamp(1.0, MAX_OVERHEAD);
            self.overhead += OVERHEAD_GAIN * (seen - self.overhead);
        }
        // Rates on the path, like the ceilings and the arrival rate.
        let wire = rate * self.overhead;
        let near = |c: &Ceiling| wire > NEAR_CEILING * c.kbps;
        // Near a ceiling found by loss, or soon after one (its growth forgot it, but a policer
        // may still be there), a little loss over the floor is the link's.
        let near_loss_ceiling = self
            .ceiling
            .is_some_and(|c| c.signal == Signal::Loss && near(&c))
            || self.loss_cut_at.is_some_and(|t| now - t < LOSS_MEMORY_S);
        let floor = self.loss_floor;
        let noise = 2.0 * (floor * (1.0 - floor) / f64::from(window.packets)).sqrt();
        let excess = loss - floor - noise;
        // Loss that is still going on: the newest window lost packets too (the span may hold
        // the overflow of a queue already drained).
        let fresh = newest.lost > 0;
        // Probing above a ceiling loss found: the policer's bucket running dry is the first
        // loss over the floor, and each tick more above it is lost in full.
        let probing_above_loss_ceiling = self.above_loss_ceiling_since.is_some()
            && self.ceiling.is_some_and(|c| c.signal == Signal::Loss);
        // Loss right after a burst may be the burst's doing (the bucket it emptied), which
        // only heavy loss overrides.
        let burst_settling = self
            .last_burst_seen_at
            .is_some_and(|t| now - t < BURST_SHADOW_S);
        let loss_congested = fresh
            && (excess > CONGESTED_LOSS
                || (!burst_settling
                    && ((excess >= CLEAN_LOSS && near_loss_ceiling)
                        || (excess > 0.0 && probing_above_loss_ceiling))));
        let queue_congested = queue_ms > QUEUE_HIGH_MS;
        // The floor learns once per span, from spans that were neither congested nor near a
        // ceiling found by loss.
        if !loss_congested
            && !near_loss_ceiling
            && self.last_floor_update.is_none_or(|t| now - t >= SPAN_S)
        {
            self.loss_floor += FLOOR_GAIN * (loss.min(CONGESTED_LOSS) - self.loss_floor);
            self.last_floor_update = Some(now);
        }
        // A decrease takes effect after a frame or two and the queue drains after that: until
        // DECREASE_HOLD_S, only a queue still growing brings another.
        let draining = match self.last_decrease.map(|t| now - t) {
            Some(since) if since < REACT_S => true,
            Some(since) if since < DECREASE_HOLD_S => {
                queue_ms < self.queue_at_decrease + GROWING_MS
            }
            _ => false,
        };
        // Loss goes on only while we send above the policer: once the encoder's smaller frames
        // are on the path, loss still fresh means the cut was not deep enough.
        // A cut to a ceiling loss had found before (probing above it found the policer still
        // there) was deep enough: the loss after it is the excess still on its way.
        let loss_draining = match self.last_decrease.map(|t| now - t) {
            Some(since) if since < LOSS_REACT_S => true,
            Some(since) if since < DECREASE_HOLD_S => self.cut_to_known_loss_ceiling,
            _ => false,
        };
        // Without busy windows yet (the queue has just begun), the span's: what we sent, an
        // upper bound of the link; the queue still growing after the cut brings the next. For
        // loss, the newest window's: it lost packets, so the policer's bucket was empty in it,
        // while the span's earlier windows passed its burst.
        let newest_arrival = (newest.lost > 0)
            .then(|| newest.arrival_kbps(MIN_NEWEST_SPAN_S))
            .flatten();
        let arrival_when_busy = busy_arrival.or(match (queue_congested, newest_arrival, arrival) {
            (false, Some(newest), Some(span)) => Some(newest.min(span)),
            _ => arrival,
        });
        // A queue this long already, with no saturated window yet to read the link from: the
        // link fell far under our rate at once (a cap began); halve first, read it next.
        let sudden = busy_arrival.is_none() && queue_ms > SUDDEN_QUEUE_MS;
        let new = if queue_congested || loss_congested {
            match arrival_when_busy {
                Some(arrived)
                    if !(if queue_congested {
                        draining
                    } else {
                        loss_draining
                    }) =>
                {
                    let signal = if queue_congested {
                        Signal::Queue
                    } else {
                        Signal::Loss
                    };
                    // What arrived while the link was saturated is its rate. A policer's bucket
                    // passes bursts over its rate until it is empty, so loss reads it high: then
                    // the rate of the last cut for loss stands, unless this reads far above it.
                    // Only a reading over saturated windows moves that rate up.
                    let remembered = self
                        .loss_ceiling
                        .filter(|(_, at)| signal == Signal::Loss && now - at < LOSS_MEMORY_S)
                        .map(|(kbps, _)| kbps);
                    let link = match (remembered, busy_arrival) {
                        (Some(kbps), Some(busy)) if busy >= LOSS_CEILING_MOVE * kbps => busy,
                        (Some(kbps), _) => arrived.min(kbps),
                        (None, _) => arrived,
                    };
                    self.cut_to_known_loss_ceiling = remembered.is_some();
                    let episode = self.last_decrease.is_some_and(|t| now - t < EPISODE_S);
                    let under_loss_ceiling = self.ceiling.is_some_and(|c| c.signal == Signal::Loss);
                    let under_queue_ceiling =
                        self.ceiling.is_some_and(|c| c.signal == Signal::Queue);
                    self.ceiling = Some(Ceiling { kbps: link, signal });
                    if signal == Signal::Loss {
                        if !under_loss_ceiling {
                            self.before_loss_cut_kbps = Some(rate);
                        }
                        // Soon after two bursts said the policer was gone: it was not, its
                        // bucket held both; the next burst must be larger.
                        if self.gone_at.take().is_some_and(|t| now - t < PROBE_WRONG_S) {
                            self.bucket_bytes = self.bucket_bytes.map(|b| 2 * b);
                        }
                        self.above_loss_ceiling_since = None;
                        self.loss_cut_at = Some(now);
                        self.loss_ceiling = Some((link, now));
                    } else {
                        if !under_queue_ceiling {
                            self.before_queue_cut_kbps = Some(rate);
                        }
                        // Soon after packet pairs said the bottleneck was gone: they misread
                        // this path.
                        if self
                            .trains_gone_at
                            .take()
                            .is_some_and(|t| now - t < PROBE_WRONG_S)
                        {
                            self.trust_trains = false;
                        }
                    }
                    self.last_decrease = Some(now);
                    self.queue_at_decrease = queue_ms;
                    // Under the link by enough to empty the queue within DRAIN_S, in encoder
                    // terms; never up, and down by a tenth at least when a decrease did not
                    // end the congestion.
                    let drain = (queue_ms / 1000.0 / DRAIN_S).max(0.0);
                    let share = match signal {
                        Signal::Queue => DECREASE,
                        Signal::Loss => LOSS_DECREASE,
                    };
                    let target = if sudden {
                        rate * MIN_DECREASE
                    } else {
                        link * (share - drain).max(MIN_DECREASE) / self.overhead
                    };
                    // One reading never more than halves the rate: a short span's arrival
                    // rate under jitter can be far off.
                    target
                        .min(if episode {
                            rate * REPEAT_DECREASE
                        } else {
                            rate
                        })
                        .max(rate * MIN_DECREASE)
                }
                _ => rate,
            }
        } else if queue_ms >= QUEUE_LOW_MS || excess >= CLEAN_LOSS {
            rate
        } else {
            if self
                .ceiling
                .is_some_and(|c| wire > FORGET_QUEUE_CEILING * c.kbps)
            {
                self.above_ceiling_since.get_or_insert(now);
            } else {
                self.above_ceiling_since = None;
            }
            let held_above = self
                .above_ceiling_since
                .is_some_and(|since| now - since >= FORGET_HOLD_S);
            // A bottleneck spaces a frame's back-to-back packets by its own rate, whatever we
            // send: pairs reading far above the ceiling say it is gone, without the rate
            // having to climb there first.
            let pairs_kbps = self
                .reading
                .and_then(|r| r.train_kbps)
                .filter(|_| self.trust_trains);
            let pairs_over_ceiling = pairs_kbps
                .zip(self.ceiling.filter(|c| c.signal == Signal::Queue))
                .map(|(pairs, c)| pairs / c.kbps);
            let trains_say_gone = pairs_over_ceiling.is_some_and(|r| r >= TRAIN_GONE);
            let trains_agree = pairs_over_ceiling
                .is_some_and(|r| (1.0 / TRAIN_AGREES..=TRAIN_AGREES).contains(&r));
            if trains_agree && let (Some(c), Some(pairs)) = (self.ceiling.as_mut(), pairs_kbps) {
                c.kbps = pairs;
            }
            let growth = match self.ceiling {
                Some(_) if trains_say_gone => {
                    self.ceiling = None;
                    self.above_ceiling_since = None;
                    self.trains_gone_at = Some(now);
                    let back = self
                        .before_queue_cut_kbps
                        .unwrap_or(rate)
                        .min(rate * PROBE_JUMP);
                    tracing::info!(t = now, rate, back, "bottleneck gone, by packet pairs");
                    return self.set_rate(back.max(rate));
                }
                // The link's rate known: straight up to the hold, not past it.
                Some(c) if trains_agree => {
                    let hold = QUEUE_HOLD * c.kbps;
                    if wire < hold {
                        FAST_GROWTH_PER_S.min((hold / wire - 1.0) / dt.max(1e-3))
                    } else {
                        0.0
                    }
                }
                Some(c) if c.signal == Signal::Queue && held_above => {
                    self.ceiling = None;
                    self.above_ceiling_since = None;
                    FAST_GROWTH_PER_S
                }
                Some(c) if c.signal == Signal::Queue && wire > c.kbps => PROBE_GROWTH_PER_S,
                Some(c) if c.signal == Signal::Queue && near(&c) => QUEUE_CEILING_GROWTH_PER_S,
                // With probe bursts, the rate holds under a policer and the bursts find out
                // when it is gone.
                Some(c) if c.signal == Signal::Loss && self.probe_bursts => {
                    self.maybe_ask_burst(c.kbps, now);
                    let hold = PROBE_HOLD * c.kbps;
                    if wire < hold {
                        LOSS_APPROACH_PER_S.min((hold / wire - 1.0) / dt.max(1e-3))
                    } else {
                        0.0
                    }
                }
                // A policer shows nothing until its bucket is empty: back to the ceiling, slow
                // above it, then doubling every second until fast, when it is forgotten.
                Some(c) if c.signal == Signal::Loss => {
                    if wire < LOSS_APPROACH * c.kbps {
                        self.above_loss_ceiling_since = None;
                        // Up to the approach, not past it in one step.
                        LOSS_APPROACH_PER_S
                            .min((LOSS_APPROACH * c.kbps / wire - 1.0) / dt.max(1e-3))
                            .max(LOSS_CEILING_GROWTH_PER_S)
                    } else {
                        let above = now - *self.above_loss_ceiling_since.get_or_insert(now);
                        let growth = LOSS_CEILING_GROWTH_PER_S
                            * 2f64.powf((above / LOSS_DOUBLING_S).floor());
                        if growth >= FAST_GROWTH_PER_S {
                            self.ceiling = None;
                            self.above_loss_ceiling_since = None;
                        }
                        growth.min(FAST_GROWTH_PER_S)
                    }
                }
                _ => FAST_GROWTH_PER_S,
            };
            rate * (1.0 + growth * dt)
        };
        self.set_rate(new)
    }

    /// Sets the target within the limits; returns it.
    fn set_rate(&mut self, kbps: f64) -> u32 {
        self.rate_kbps = kbps.clamp(
            f64::from(self.limits.min_kbps),
            f64::from(self.limits.max_kbps),
        );
        self.rate_kbps()
    }
}

impl DelayController {
    /// Pushes the new target if it changed from `before`.
    fn act(&self, before: u32, now: f64, actions: &mut Vec<Action>) {
        let after = self.rate_kbps();
        if after != before {
            tracing::info!(
                t = now,
                before,
                after,
                reading = ?self.reading,
                overhead = self.overhead,
                ceiling = ?self.ceiling,
                "video bit rate"
            );
            actions.push(Action::SetVideoBitrate { kbps: after });
        }
    }
}

impl Controller for DelayController {
    /// The receiver reports feed the loss-based fallback, which decides while there is no
    /// transport-wide feedback and follows our rate while there is, and tell whether the
    /// transport-wide losses are losses.
    fn tick(&mut self, sample: &RawSample, now: f64, actions: &mut Vec<Action>) {
        let video = &sample.video;
        let before = self.rate_kbps();
        if let Some(report) = video.our_feedback() {
            match self.last_report {
                Some(last) if report.highest_seq < last.highest_seq + RTCP_MIN_PACKETS => {}
                Some(last) => {
                    let expected = (report.highest_seq - last.highest_seq) as f64;
                    let lost = (report.lost - last.lost).max(0) as f64;
                    let share = (lost / expected).min(1.0);
                    self.rtcp_loss = Some((share, now));
                    self.last_report = Some(report);
                    // How much more loss the transport-wide feedback showed over about the
                    // same packets: reordering, if it stays above `REORDER_EXCESS`.
                    if let Some(twcc) = std::mem::take(&mut self.since_report).loss() {
                        self.reorder_excess +=
                            REORDER_GAIN * ((twcc - share) - self.reorder_excess);
                    }
                }
                None => self.last_report = Some(report),
            }
        }
        if let Some(sent) = video.sent {
            self.fallback.observe_sent(sent);
        }
        let fallback_rate = self.fallback.update(video.our_feedback(), now);
        if self.has_feedback(now) {
            self.fallback.set_rate_kbps(self.rate_kbps);
        } else {
            if self.last_feedback.is_some() {
                tracing::info!("no transport-wide feedback: the loss-based controller decides");
                self.last_feedback = None;
            }
            self.rate_kbps = f64::from(fallback_rate);
        }
        self.act(before, now, actions);
    }

    fn feedback(&mut self, window: &TwccWindow, now: f64, actions: &mut Vec<Action>) {
        let before = self.rate_kbps();
        self.update(window, now);
        self.act(before, now, actions);
        if let Some((bytes, at_once)) = self.burst_request.take() {
            tracing::info!(t = now, bytes, at_once, "probe burst asked");
            actions.push(Action::ProbeBurst {
                bytes: bytes as u32,
                at_once,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::twcc::TwccPacket;

    const LIMITS: RateLimits = RateLimits {
        min_kbps: 150,
        max_kbps: 2000,
    };
    const TICK: f64 = crate::adapt::FEEDBACK_TICK_S;
    const PACKET_BYTES: u32 = 1250;

    /// A bottleneck link of `cap_kbps` (None: unlimited) with a queue of `queue_ms`, random
    /// loss `loss` (every 1/loss-th packet), and 20 ms of propagation delay; the clocks of the
    /// two ends differ by 3 s.
    struct Link {
        cap_kbps: Option<f64>,
        queue_ms: f64,
        policer_bucket_bits: Option<f64>,
        loss_every: Option<u32>,
        /// When the link is free again (s), for a queueing cap.
        free_at: f64,
        bucket: f64,
        sent: u32,
        /// Packets lost so far, as the receiver's reports count them.
        lost: i64,
        /// Whether lost packets are resent (one tick later, through the same policer), and
        /// how many are owed.
        resends: bool,
        owed: u32,
        /// Transport-wide sequence numbers given so far (originals and resends).
        twcc_seq: u32,
        /// A probe burst's bytes to send at the next tick's start, and the burst packets sent
        /// and lost so far (they are resends: the receiver's reports count none of them).
        burst_owed: u32,
        burst_sent: u32,
        burst_lost: u32,
        /// When the last burst left: the sender spaces them by three key-frame intervals
        /// (`build::congestion`), a confirming one excepted.
        last_burst: f64,
        burst_at_once: bool,
        /// Media packets leave in groups of this many at once, as a frame's packets do (1:
        /// evenly spread).
        frame_packets: u32,
        /// Packets a queueing cap lets through back to back when it was idle (a shaper's burst
        /// allowance: back-to-back pairs then read no bottleneck).
        burst_packets: u32,
    }

    impl Link {
        fn new(cap_kbps: Option<f64>, queue_ms: f64) -> Link {
            Link {
                cap_kbps,
                queue_ms,
                policer_bucket_bits: None,
                loss_every: None,
                free_at: 0.0,
                bucket: 0.0,
                sent: 0,
                lost: 0,
                resends: false,
                owed: 0,
                twcc_seq: 0,
                burst_owed: 0,
                burst_sent: 0,
                burst_lost: 0,
                last_burst: f64::NEG_INFINITY,
                burst_at_once: false,
                frame_packets: 1,
                burst_packets: 0,
            }
        }

        /// The receiver's report about our stream now, as a sample.
        fn report(&self, now: f64) -> RawSample {
            let mut sample = RawSample::default();
            sample.video.our_ssrc = Some(1);
            sample.video.feedback = vec![(
                1,
                crate::stats::model::Feedback {
                    highest_seq: u64::from(self.sent),
                    lost: self.lost,
                    received_at_s: Some(now),
                },
            )];
            sample
        }

        /// One tick of sending at `kbps` from `t`, packets evenly spread: the feedback.
        fn carry(&mut self, kbps: f64, t: f64) -> (TwccWindow, f64) {
            let bits = f64::from(PACKET_BYTES) * 8.0;
            let n = (kbps * 1000.0 * TICK / bits).round() as u32;
            let mut w = TwccWindow::default();
            let mut worst_queue: f64 = 0.0;
            let mut packets = Vec::new();
            // Resends of the last tick's losses go first: they take the policer's tokens and
            // carry transport-wide numbers, but the receiver reports count originals only.
            let resends = std::mem::take(&mut self.owed);
            // A burst leaves at once, a packet's time before the tick's media (it follows a
            // frame, the next frame comes later).
            let due = self.burst_at_once || t - self.last_burst >= 3.0 - 1e-6;
            let burst = if self.burst_owed > 0 && due {
                self.last_burst = t;
                std::mem::take(&mut self.burst_owed).div_ceil(PACKET_BYTES)
            } else {
                0
            };
            self.burst_sent += burst;
            let total = n + resends + burst;
            let spacing = TICK / f64::from((total - burst).max(1));
            let after_burst = if burst > 0 { spacing } else { 0.0 };
            for i in 0..total {
                let probe = i < burst;
                let sent = if probe {
                    t
                } else {
                    let group = (i - burst) / self.frame_packets * self.frame_packets;
                    t + after_burst + f64::from(group) * spacing
                };
                let resend = i < resends + burst;
                self.twcc_seq += 1;
                if !resend {
                    self.sent += 1;
                }
                let random_loss = self
                    .loss_every
                    .is_some_and(|e| self.twcc_seq.is_multiple_of(e));
                let arrived = match (self.cap_kbps, self.policer_bucket_bits) {
                    (Some(cap), Some(size)) => {
                        // Token bucket: refills at the cap up to `size`.
                        self.bucket =
                            (self.bucket + (sent - self.free_at) * cap * 1000.0).min(size);
                        self.free_at = sent;
                        if self.bucket >= bits {
                            self.bucket -= bits;
                            Some(sent)
                        } else {
                            None
                        }
                    }
                    (Some(cap), None) => {
                        // A shaper (GCRA): `free_at` is when the link is free with no burst
                        // allowance; it may send that much ahead of it.
                        let on_link = bits / (cap * 1000.0);
                        let ahead = f64::from(self.burst_packets) * on_link;
                        let start = sent.max(self.free_at - ahead);
                        let wait = start - sent;
                        if wait * 1000.0 > self.queue_ms {
                            None
                        } else {
                            worst_queue = worst_queue.max(wait);
                            self.free_at = self.free_at.max(start) + on_link;
                            Some(start + on_link)
                        }
                    }
                    _ => Some(sent),
                };
                let arrived = arrived.filter(|_| !random_loss);
                if arrived.is_none() && probe {
                    self.burst_lost += 1;
                }
                if arrived.is_none() && !resend {
                    self.lost += 1;
                    if self.resends {
                        self.owed += 1;
                    }
                }
                packets.push(TwccPacket {
                    seqnum: self.twcc_seq,
                    sent_ns: (sent * 1e9) as u64,
                    arrived_ns: arrived.map(|a| ((a + 3.02) * 1e9) as u64),
                    bytes: PACKET_BYTES,
                    probe,
                });
            }
            // One report a frame (40 ms), as the peer sends them.
            let per_report = (f64::from(total) * 0.04 / TICK).ceil() as usize;
            for report in packets.chunks(per_report.max(1)) {
                w.add_report(report.iter().copied());
            }
            (w, worst_queue * 1000.0)
        }
    }

    /// Runs the controller over `link` from `from` to `to` (s), with a receiver report every
    /// `TICK_S`; returns the rates and the worst queue (ms) per tick.
    fn run(c: &mut DelayController, link: &mut Link, from: f64, to: f64) -> Vec<(f64, u32, f64)> {
        let mut out = Vec::new();
        let mut t = from;
        let mut actions = Vec::new();
        while t < to {
            let (w, queue) = link.carry(f64::from(c.rate_kbps()), t);
            t += TICK;
            c.feedback(&w, t, &mut actions);
            if ((t / TICK).round() as u64)
                .is_multiple_of((crate::adapt::TICK_S / TICK).round() as u64)
            {
                c.tick(&link.report(t), t, &mut actions);
            }
            out.push((t, c.rate_kbps(), queue));
        }
        out
    }

    #[test]
    fn a_clean_link_keeps_the_maximum() {
        let mut c = DelayController::new(LIMITS);
        let trace = run(&mut c, &mut Link::new(None, 0.0), 0.0, 20.0);
        assert!(trace.iter().all(|(_, r, _)| *r == 2000), "{trace:?}");
    }

    #[test]
    fn a_bottleneck_is_held_with_a_short_queue_and_left_fast() {
        // A free path, then a 1 Mbit/s bottleneck with a 200 ms queue from 5 s.
        let mut c = DelayController::new(LIMITS);
        let mut link = Link::new(None, 200.0);
        run(&mut c, &mut link, 0.0, 5.0);
        link.cap_kbps = Some(1000.0);
        let trace = run(&mut c, &mut link, 5.0, 20.0);
        let held: Vec<_> = trace.iter().filter(|(t, _, _)| *t >= 8.0).collect();
        let mean = held.iter().map(|(_, r, _)| f64::from(*r)).sum::<f64>() / held.len() as f64;
        assert!(mean >= 850.0, "uses the link: {mean} ({trace:?})");
        let worst = held.iter().map(|(_, _, q)| *q).fold(0.0, f64::max);
        assert!(
            worst <= 80.0,
            "keeps the queue short: {worst} ms ({trace:?})"
        );
        // The cap goes: back to the maximum within 5 s.
        link.cap_kbps = None;
        let after = run(&mut c, &mut link, 20.0, 30.0);
        let back = back_after(&after, 20.0);
        assert!(
            back.is_some_and(|s| s <= 5.0),
            "back in {back:?} ({after:?})"
        );
    }

    /// When the rate got back to 1800 kbit/s after `at` (s), in a trace.
    fn back_after(trace: &[(f64, u32, f64)], at: f64) -> Option<f64> {
        trace
            .iter()
            .find(|(_, r, _)| *r >= 1800)
            .map(|(t, _, _)| t - at)
    }

    #[test]
    fn packet_pairs_find_a_bottleneck_gone_at_once() {
        // Frames of four packets; a 1 Mbit/s bottleneck with a 200 ms queue from 5 s to 20 s.
        let mut c = DelayController::new(LIMITS);
        let mut link = Link::new(None, 200.0);
        link.frame_packets = 4;
        run(&mut c, &mut link, 0.0, 5.0);
        link.cap_kbps = Some(1000.0);
        let trace = run(&mut c, &mut link, 5.0, 20.0);
        // Under the cap the pairs read the link: no jump, and the rate holds just under it
        // without probing above it (no cut, no queue) once it got there.
        let held: Vec<_> = trace.iter().filter(|(t, _, _)| *t >= 10.0).collect();
        let (lowest, highest) = held.iter().fold((u32::MAX, 0), |(lo, hi), (_, r, _)| {
            (lo.min(*r), hi.max(*r))
        });
        assert!((900..=1000).contains(&lowest), "{lowest} ({trace:?})");
        assert!(highest <= 1000, "{highest} ({trace:?})");
        // A frame's four packets wait up to 30 ms for each other on the link; no more.
        let worst = held.iter().map(|(_, _, q)| *q).fold(0.0, f64::max);
        assert!(worst <= 35.0, "queue {worst} ms ({trace:?})");
        link.cap_kbps = None;
        let after = run(&mut c, &mut link, 20.0, 30.0);
        let back = back_after(&after, 20.0);
        assert!(
            back.is_some_and(|s| s <= 1.5),
            "back in {back:?} ({after:?})"
        );
    }

    #[test]
    fn packet_pairs_that_misread_a_path_are_not_trusted_again() {
        // A 1 Mbit/s shaper that lets a frame's four packets through at once when it was idle:
        // the pairs read no bottleneck. One wrong jump, then the queue decides alone, and the
        // queue is what it is for a controller that never trusted the pairs.
        let worst_queue_from_12s = |trust_trains: bool| {
            let mut c = DelayController::new(LIMITS);
            c.trust_trains = trust_trains;
            let mut link = Link::new(None, 200.0);
            (link.frame_packets, link.burst_packets) = (4, 3);
            run(&mut c, &mut link, 0.0, 5.0);
            link.cap_kbps = Some(1000.0);
            let trace = run(&mut c, &mut link, 5.0, 30.0);
            let jumps: Vec<_> = trace
                .windows(2)
                .filter(|w| f64::from(w[1].1) > 1.3 * f64::from(w[0].1))
                .map(|w| w[1].0)
                .collect();
            assert_eq!(
                jumps.len(),
                usize::from(trust_trains),
                "jumps at {jumps:?} ({trace:?})"
            );
            assert!(!c.trust_trains);
            let held = trace.iter().filter(|(t, _, _)| *t >= 12.0);
            held.map(|(_, _, q)| *q).fold(0.0, f64::max)
        };
        let (misled, never_trusted) = (worst_queue_from_12s(true), worst_queue_from_12s(false));
        assert!(
            misled <= never_trusted + 10.0,
            "{misled} ms against {never_trusted} ms"
        );
    }

    #[test]
    fn random_loss_and_jitter_leave_the_rate_alone() {
        let mut c = DelayController::new(LIMITS);
        let mut link = Link::new(None, 0.0);
        link.loss_every = Some(50);
        let trace = run(&mut c, &mut link, 0.0, 30.0);
        assert!(trace.iter().all(|(_, r, _)| *r >= 1900), "{trace:?}");
        // Jitter: each packet late by 0..50 ms at random, but some packets of each window get
        // through without waiting, so the least delay stays the path's.
        let mut w = TwccWindow::default();
        let mut c = DelayController::new(LIMITS);
        for tick in 0..100u64 {
            w.add_report((0..20u64).map(|i| {
                let sent = tick * 100_000_000 + i * 5_000_000;
                TwccPacket {
                    seqnum: (tick * 20 + i) as u32,
                    sent_ns: sent,
                    arrived_ns: Some(sent + 20_000_000 + ((tick * 20 + i) * 7919 % 50) * 1_000_000),
                    bytes: 1250,
                    probe: false,
                }
            }));
            c.update(&std::mem::take(&mut w), (tick + 1) as f64 * TICK);
            assert_eq!(c.rate_kbps(), 2000);
        }
    }

    #[test]
    fn losses_the_receiver_reports_do_not_show_are_reordering() {
        // Every fifth packet arrives too late for the feedback that covers it: rtpsession
        // reports it lost for good; the receiver's reports, after reordering, count none.
        let mut c = DelayController::new(LIMITS);
        let mut link = Link::new(None, 0.0);
        let mut actions = Vec::new();
        for tick in 0..100u32 {
            let t = f64::from(tick) * TICK;
            let (mut w, _) = link.carry(f64::from(c.rate_kbps()), t);
            w.lost = w.packets / 5;
            c.feedback(&w, t + TICK, &mut actions);
            if tick % 5 == 4 {
                c.tick(&link.report(t + TICK), t + TICK, &mut actions);
            }
        }
        assert_eq!(c.rate_kbps(), 2000, "{actions:?}");
    }

    #[test]
    fn a_policer_is_found_by_loss_and_its_losses_stay_small() {
        let mut c = DelayController::new(LIMITS);
        let mut link = Link::new(Some(1000.0), 0.0);
        link.policer_bucket_bits = Some(250_000.0);
        run(&mut c, &mut link, 0.0, 3.0);
        let (sent, lost) = (link.sent, link.lost);
        let trace = run(&mut c, &mut link, 3.0, 40.0);
        let rates: Vec<u32> = trace.iter().map(|(_, r, _)| *r).collect();
        let mean = rates.iter().map(|r| f64::from(*r)).sum::<f64>() / rates.len() as f64;
        assert!(mean >= 800.0, "uses the link: {mean} ({rates:?})");
        let share = (link.lost - lost) as f64 / f64::from(link.sent - sent);
        assert!(share < 0.02, "loss {share} ({rates:?})");
    }

    /// Like `run`, but the link carries what the controller decided `lag_ticks` ago, as an
    /// encoder does (its rate control takes a few frames).
    fn run_lagged(
        c: &mut DelayController,
        link: &mut Link,
        (from, to): (f64, f64),
        lag_ticks: usize,
    ) -> Vec<(f64, u32, f64)> {
        let mut decided = VecDeque::from(vec![c.rate_kbps(); lag_ticks + 1]);
        let mut out = Vec::new();
        let mut t = from;
        let mut actions = Vec::new();
        while t < to {
            let carried = decided.pop_front().unwrap_or(c.rate_kbps());
            let (w, queue) = link.carry(f64::from(carried), t);
            t += TICK;
            c.feedback(&w, t, &mut actions);
            for action in actions.drain(..) {
                if let Action::ProbeBurst { bytes, at_once } = action {
                    link.burst_owed = bytes;
                    link.burst_at_once = at_once;
                }
            }
            if ((t / TICK).round() as u64)
                .is_multiple_of((crate::adapt::TICK_S / TICK).round() as u64)
            {
                c.tick(&link.report(t), t, &mut actions);
            }
            decided.push_back(c.rate_kbps());
            out.push((t, carried, queue));
        }
        out
    }

    /// A free link until 5 s, then a 1 Mbit/s policer with a bucket of `bucket_bits`, as the
    /// scorecard's "policed" scenario (lost packets resent, the encoder two ticks late); runs
    /// `c` to 8 s and returns the link and the rates from 5 s.
    fn policed_from_5s(c: &mut DelayController, bucket_bits: f64) -> (Link, Vec<(f64, u32, f64)>) {
        let mut link = Link::new(None, 0.0);
        link.resends = true;
        run_lagged(c, &mut link, (0.0, 5.0), 2);
        link.cap_kbps = Some(1000.0);
        link.policer_bucket_bits = Some(bucket_bits);
        let onset = run_lagged(c, &mut link, (5.0, 8.0), 2);
        (link, onset)
    }

    /// Lifts the policer at `at` (s) and asserts the rate is back at 1.8 Mbit/s within 5 s.
    fn assert_back_soon_after(c: &mut DelayController, link: &mut Link, at: f64) {
        link.cap_kbps = None;
        link.policer_bucket_bits = None;
        let after = run_lagged(c, link, (at, at + 10.0), 2);
        let back = back_after(&after, at);
        assert!(
            back.is_some_and(|s| s <= 5.0),
            "back in {back:?} ({after:?})"
        );
    }

    /// Packets lost over packets sent since `(sent, lost)`, the bursts' included.
    fn loss_since(link: &Link, (sent, lost): (u32, i64)) -> f64 {
        let all = f64::from(link.sent - sent + link.burst_sent);
        ((link.lost - lost) as f64 + f64::from(link.burst_lost)) / all
    }

    #[test]
    fn a_policer_that_comes_and_goes_costs_little_loss_and_is_left_fast() {
        // Probed with the rate (no retransmission to send bursts with).
        let mut c = DelayController::new(LIMITS);
        let (mut link, onset) = policed_from_5s(&mut c, 250_000.0);
        let settled = onset
            .iter()
            .find(|(_, r, _)| *r <= 1000)
            .map(|(t, _, _)| *t);
        assert!(
            settled.is_some_and(|t| t <= 7.0),
            "settled at {settled:?} ({onset:?})"
        );
        let (sent, lost) = (link.sent, link.lost);
        let held = run_lagged(&mut c, &mut link, (8.0, 20.0), 2);
        let share = (link.lost - lost) as f64 / f64::from(link.sent - sent);
        let rates: Vec<u32> = held.iter().map(|(_, r, _)| *r).collect();
        assert!(share < 0.025, "loss {share} ({rates:?})");
        let mean = rates.iter().map(|r| f64::from(*r)).sum::<f64>() / rates.len() as f64;
        assert!(mean >= 800.0, "uses the link: {mean} ({rates:?})");
        assert_back_soon_after(&mut c, &mut link, 20.0);
    }

    #[test]
    fn probe_bursts_find_a_policer_gone_at_little_loss() {
        // The same, probed with bursts of resends: the rate holds under the policer, the
        // bursts lose only their last packets, and two that get through whole bring the rate
        // back.
        let mut c = DelayController::new(LIMITS).with_probe_bursts(true);
        let (mut link, _) = policed_from_5s(&mut c, 250_000.0);
        let before = (link.sent, link.lost);
        let held = run_lagged(&mut c, &mut link, (8.0, 20.0), 2);
        let rates: Vec<u32> = held.iter().map(|(_, r, _)| *r).collect();
        assert!(link.burst_sent > 0, "bursts were sent ({rates:?})");
        assert!(
            rates.iter().all(|r| *r <= 1000),
            "no rate probe above the policer: {rates:?}"
        );
        let media_lost = link.lost - before.1;
        assert!(media_lost <= 2, "media lost {media_lost} ({rates:?})");
        let share = loss_since(&link, before);
        assert!(share < 0.02, "loss {share} ({rates:?})");
        let mean = rates.iter().map(|r| f64::from(*r)).sum::<f64>() / rates.len() as f64;
        assert!(mean >= 750.0, "uses the link: {mean} ({rates:?})");
        assert_back_soon_after(&mut c, &mut link, 20.0);
    }

    #[test]
    fn probe_bursts_learn_a_bucket_larger_than_the_first_burst() {
        // A policer that lets 600 ms of its rate through at once: the first bursts get
        // through whole, the rate jumps and is cut again, and the bursts grow until one loses
        // its tail; the loss stays bounded and the policer's end is still found.
        let mut c = DelayController::new(LIMITS).with_probe_bursts(true);
        let (mut link, _) = policed_from_5s(&mut c, 600_000.0);
        let before = (link.sent, link.lost);
        let held = run_lagged(&mut c, &mut link, (8.0, 40.0), 2);
        let rates: Vec<u32> = held.iter().map(|(_, r, _)| *r).collect();
        assert!(
            rates[rates.len() / 2..].iter().all(|r| *r <= 1000),
            "the bursts learnt the bucket: {rates:?}"
        );
        let share = loss_since(&link, before);
        assert!(share < 0.05, "loss {share} ({rates:?})");
        assert_back_soon_after(&mut c, &mut link, 40.0);
    }

    /// A window with a burst's feedback: `sent` packets of which the first `arrived` arrived.
    fn burst_window(sent: u32, arrived: u32) -> TwccWindow {
        let mut w = TwccWindow::default();
        w.add_report((0..sent).map(|i| TwccPacket {
            seqnum: i,
            sent_ns: 0,
            arrived_ns: (i < arrived).then_some(1_000_000),
            bytes: 1000,
            probe: true,
        }));
        w
    }

    #[test]
    fn a_burst_through_whole_is_confirmed_by_a_second_at_once() {
        let mut c = DelayController::new(LIMITS).with_probe_bursts(true);
        c.ceiling = Some(Ceiling {
            kbps: 1000.0,
            signal: Signal::Loss,
        });
        c.rate_kbps = 800.0;
        c.before_loss_cut_kbps = Some(2000.0);
        let judge = |c: &mut DelayController, w: TwccWindow, t: f64| {
            c.judge_burst(&w, t);
            c.judge_burst(&TwccWindow::default(), t + 0.2);
        };
        // The first burst is 300 ms of the ceiling; 26 of its 38 packets got through: the
        // bucket held 26 kB.
        c.maybe_ask_burst(1000.0, 10.0);
        assert_eq!(c.burst_request.take(), Some((37_500, false)));
        judge(&mut c, burst_window(38, 26), 10.1);
        assert_eq!(c.bucket_bytes, Some(26_000));
        assert_eq!(c.burst_request, None, "lossy: the policer holds");
        // The next is two packets over the bucket and gets through whole: a second, at once.
        c.maybe_ask_burst(1000.0, 12.0);
        assert_eq!(c.burst_request.take(), Some((28_400, false)));
        judge(&mut c, burst_window(29, 29), 12.1);
        assert_eq!(c.bucket_bytes, Some(29_000));
        assert_eq!(c.burst_request.take(), Some((7_500, true)));
        // It loses its tail: the first had emptied a larger bucket; the policer holds.
        judge(&mut c, burst_window(8, 2), 12.5);
        assert!(c.ceiling.is_some());
        assert_eq!(c.rate_kbps(), 800);
        assert_eq!(
            c.bucket_bytes,
            Some(29_000),
            "a confirming burst measures nothing"
        );
        // A smaller reading moves the estimate halfway down.
        c.maybe_ask_burst(1000.0, 14.0);
        assert_eq!(c.burst_request.take(), Some((31_400, false)));
        judge(&mut c, burst_window(32, 25), 14.1);
        assert_eq!(c.bucket_bytes, Some(27_000));
        // Both through whole: the policer is gone, back towards the rate before the cut.
        c.maybe_ask_burst(1000.0, 16.0);
        assert_eq!(c.burst_request.take(), Some((29_400, false)));
        judge(&mut c, burst_window(30, 30), 16.1);
        assert_eq!(c.burst_request.take(), Some((7_500, true)));
        judge(&mut c, burst_window(8, 8), 16.5);
        assert!(c.ceiling.is_none());
        assert_eq!(c.rate_kbps(), 1600, "at most twice the rate");
    }

    #[test]
    fn without_feedback_the_loss_based_controller_decides() {
        use crate::stats::model::Feedback;
        let mut c = DelayController::new(LIMITS);
        let mut sample = RawSample::default();
        sample.video.our_ssrc = Some(7);
        let mut actions = Vec::new();
        // Receiver reports only, at 30 % loss: the fallback cuts the rate.
        let mut seq = 0;
        let mut lost = 0;
        for tick in 1..=8 {
            seq += 200;
            lost += 60;
            let now = f64::from(tick) * crate::adapt::TICK_S;
            sample.video.feedback = vec![(
                7,
                Feedback {
                    highest_seq: seq,
                    lost,
                    received_at_s: Some(now),
                },
            )];
            c.tick(&sample, now, &mut actions);
        }
        assert!(!c.has_feedback(4.0));
        assert!(c.rate_kbps() < 2000, "the fallback acted: {actions:?}");
        // Feedback arrives: the delay-based controller takes over from that rate.
        let rate = c.rate_kbps();
        let mut link = Link::new(None, 0.0);
        for tick in 0..5 {
            let t = 4.0 + f64::from(tick) * TICK;
            let (w, _) = link.carry(f64::from(c.rate_kbps()), t);
            c.feedback(&w, t + TICK, &mut actions);
        }
        c.tick(&sample, 4.5, &mut actions);
        assert!(c.has_feedback(4.5));
        assert!(c.rate_kbps() >= rate);
    }
}
