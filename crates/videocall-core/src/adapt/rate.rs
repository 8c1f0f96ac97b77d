//! The send-side rate controller: a pure function of its state, the peer's latest receiver
//! report and the time. Loss-based, in the spirit of the loss half of Google Congestion Control
//! (draft-ietf-rmcat-gcc-02 §6), with two additions: one for links that drop instead of
//! queueing, one for paths that lose packets at random. The measurements behind the numbers
//! are in docs/decisions/0013-loss-based-rate-control.md.
//!
//! * Every [`TICK_S`] the loss ratio `p` over the window is computed from the cumulative
//!   counters of the receiver reports (expected = extended highest sequence number, lost =
//!   cumulative lost). Windows with fewer than `MIN_PACKETS` expected packets carry no decision.
//! * Random loss is not congestion: the controller learns the path's loss floor (the loss of
//!   windows that were neither congested nor near a known ceiling, smoothed) and judges the
//!   excess `e` of `p` over the floor plus two standard deviations of the floor's own spread
//!   in a window of that size, so one unlucky window of random loss does not set a ceiling.
//! * `e > 10 %`: congestion. What the link delivered over the report interval (the packets the
//!   peer received, times our mean packet size, over the time between its two reports) becomes
//!   the known ceiling, and the new rate is `DECREASE` of it, which leaves room for the
//!   retransmissions and the key frame that follow a loss burst, and for the count's own
//!   error: a short window reads up to ±10 % off (a policer's bucket refills whenever the
//!   sender dips under it), so the congested windows within `EPISODE_S` of a cut keep the least
//!   of their readings. The receiver's count is used rather than `sent × (1 − p)` from
//!   rtpsession's send-rate estimate, which lags and includes key-frame bursts.
//!   A report from before the decrease (the encoder drains its buffer at the old rate for a
//!   while) counts the same link rate again and changes nothing. Only when the delivered rate
//!   has to be estimated from our own send rate (`sent × (1 − p)`, before rtpsession knows our
//!   packet size) do the next `DECREASE_HOLD_S` bring no further decrease.
//! * `2 % ≤ e ≤ 10 %`: hold, unless the rate is near a known ceiling (above `NEAR_CEILING` of
//!   it): then it is the link again, not random loss, and the rate goes back under it the same
//!   way.
//! * `e < 2 %`: increase: 15 %/s far below a ceiling (or with none), `SLOW_GROWTH_PER_S` near
//!   it, slow enough that a policer's bucket (250 ms in our relay) is not emptied again within
//!   the next ~15 s. A rate `FORGET_ABOVE` the ceiling without loss means the link got better:
//!   the ceiling is forgotten, as it is after `CEILING_MEMORY_S` without congestion, and the
//!   rate climbs fast again.
//!
//! Random loss of a few percent therefore never lowers the rate (RTX repairs it), a cap is found
//! within a report or two, and after the cap is lifted the rate climbs back to the maximum.

use super::adapter::{Action, Controller};
use crate::plan::rate::RateLimits;
use crate::stats::RawSample;
use crate::stats::model::{Feedback, SentStats};

/// How often the controllers run (`adapt::Adapter`).
pub const TICK_S: f64 = 0.5;
/// Fewer expected packets than this in a window say nothing about loss: with 5 % random loss a
/// 150-packet window shows more than 10 % about once in several hundred windows, a 20-packet
/// window once in 13.
const MIN_PACKETS: u64 = 150;
const CONGESTED_LOSS: f64 = 0.10;
const CLEAN_LOSS: f64 = 0.02;
const FAST_GROWTH_PER_S: f64 = 0.15;
/// Growth near a known ceiling: from `DECREASE` of it to the ceiling in about 11 s, and a
/// policer's 250 ms bucket empties about 6 s after that.
const SLOW_GROWTH_PER_S: f64 = 0.015;
const CEILING_MEMORY_S: f64 = 20.0;
const DECREASE_HOLD_S: f64 = 2.5;
/// The new rate after congestion, as a share of what the link delivered.
const DECREASE: f64 = 0.85;
/// Congested windows this close to the last decrease belong to the same congestion.
const EPISODE_S: f64 = 3.0;
/// Above this share of the ceiling, loss is the link's, and growth is slow.
const NEAR_CEILING: f64 = 0.8;
/// A rate this far above the ceiling without loss: the link got better.
const FORGET_ABOVE: f64 = 1.05;
/// How much of each calm window's loss goes into the loss floor (about eight windows).
const FLOOR_GAIN: f64 = 1.0 / 8.0;

/// The controller's state between ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct RateController {
    limits: RateLimits,
    rate_kbps: f64,
    /// The rate the link delivered when it was last congested, and when.
    ceiling: Option<(f64, f64)>,
    last: Option<(Feedback, f64)>,
    last_decrease: Option<f64>,
    /// What we last measured sending, if known.
    sent: Option<SentStats>,
    /// The path's random loss, learnt from windows without congestion.
    loss_floor: f64,
    /// The delivered rate of the last window that decided something, and its length (logs).
    last_window: Option<(f64, f64)>,
}

impl RateController {
    /// Starts at the maximum: the call begins at the brief's rate.
    pub fn new(limits: RateLimits) -> RateController {
        RateController {
            limits,
            rate_kbps: f64::from(limits.max_kbps),
            ceiling: None,
            last: None,
            last_decrease: None,
            sent: None,
            loss_floor: 0.0,
            last_window: None,
        }
    }

    /// The current target in kbit/s.
    pub fn rate_kbps(&self) -> u32 {
        self.rate_kbps.round() as u32
    }

    /// Takes `kbps` as the current target (another controller decided it).
    pub fn set_rate_kbps(&mut self, kbps: f64) {
        self.rate_kbps = kbps;
    }

    /// The loss the controller takes for the path's own (random) loss.
    pub fn loss_floor(&self) -> f64 {
        self.loss_floor
    }

    /// The delivered rate (kbit/s) and the report interval (s) of the last window (for logs).
    pub fn last_window(&self) -> Option<(f64, f64)> {
        self.last_window
    }

    /// What is leaving us now (RTP session statistics).
    pub fn observe_sent(&mut self, sent: SentStats) {
        self.sent = (sent.kbps > 0.0).then_some(sent);
    }

    /// The rate (kbit/s) the link delivered between the reports `prev` and `fb`, and whether
    /// the peer counted it: what it received, when we know our packet size and when the
    /// reports came; else what we sent less what was lost.
    /// `dt` is the time between the two reports.
    fn delivered_kbps(&self, prev: &Feedback, fb: &Feedback, p: f64, dt: f64) -> (f64, bool) {
        let received = (fb.highest_seq - prev.highest_seq) as f64 * (1.0 - p);
        match self.sent.and_then(|s| s.mean_packet_bytes) {
            Some(bytes) if dt > 0.0 => (received * bytes * 8.0 / 1000.0 / dt, true),
            _ => (
                self.sent.map_or(self.rate_kbps, |s| s.kbps) * (1.0 - p),
                false,
            ),
        }
    }

    /// Folds in the latest report (if any) at time `now` (seconds) and returns the new target.
    pub fn update(&mut self, feedback: Option<Feedback>, now: f64) -> u32 {
        let Some(fb) = feedback else {
            return self.rate_kbps();
        };
        let Some((prev, prev_t)) = self.last else {
            self.last = Some((fb, now));
            return self.rate_kbps();
        };
        if fb.highest_seq < prev.highest_seq {
            // A new sender or receiver: start counting again.
            self.last = Some((fb, now));
            return self.rate_kbps();
        }
        let expected = fb.highest_seq - prev.highest_seq;
        if expected < MIN_PACKETS {
            return self.rate_kbps();
        }
        let lost = (fb.lost - prev.lost).clamp(0, expected as i64) as f64;
        let p = lost / expected as f64;
        let dt = (now - prev_t).max(0.0);
        self.last = Some((fb, now));

        if let Some((_, at)) = self.ceiling
            && now - at > CEILING_MEMORY_S
        {
            self.ceiling = None;
        }
        let rate = self.rate_kbps;
        let near_ceiling = self.ceiling.is_some_and(|(c, _)| rate > NEAR_CEILING * c);
        // Loss above the floor, less two standard deviations of the floor's own spread in a
        // window this size: at 5 % random loss and 250 packets one window in three shows 2 %
        // more than the floor.
        let floor = self.loss_floor;
        let noise = 2.0 * (floor * (1.0 - floor) / expected as f64).sqrt();
        let excess = p - floor - noise;
        let congested = excess > CONGESTED_LOSS || (excess >= CLEAN_LOSS && near_ceiling);
        if !congested && !near_ceiling {
            self.loss_floor += FLOOR_GAIN * (p.min(CONGESTED_LOSS) - self.loss_floor);
        }
        let interval = report_interval(&prev, &fb, dt);
        let (delivered, counted) = self.delivered_kbps(&prev, &fb, p, interval);
        self.last_window = Some((delivered, interval));
        // The peer's count is the link's rate whenever the packets were sent, so a report from
        // before a decrease only repeats it; an estimate from our send rate would cut again.
        let holding = !counted
            && self
                .last_decrease
                .is_some_and(|t| now - t < DECREASE_HOLD_S);
        let new = if congested && !holding {
            // Never above the current target: the estimate can lag, and a "decrease" must not
            // raise the rate.
            let measured = delivered.min(rate / DECREASE);
            // One congestion brings several congested windows (the encoder drains at the old
            // rate for a while); each short window's count is off by up to ±10 % (report
            // timing, key frames), so the episode's ceiling is the least of them.
            let episode = self.last_decrease.is_some_and(|t| now - t < EPISODE_S);
            let ceiling = match self.ceiling {
                Some((c, _)) if episode => c.min(measured),
                _ => measured,
            };
            self.ceiling = Some((ceiling, now));
            self.last_decrease = Some(now);
            (DECREASE * ceiling).min(rate)
        } else if excess >= CLEAN_LOSS {
            rate
        } else {
            if let Some((c, _)) = self.ceiling
                && rate > FORGET_ABOVE * c
            {
                self.ceiling = None;
            }
            let growth = if self.ceiling.is_some_and(|(c, _)| rate > NEAR_CEILING * c) {
                SLOW_GROWTH_PER_S
            } else {
                FAST_GROWTH_PER_S
            };
            rate * (1.0 + growth * dt)
        };
        self.rate_kbps = new.clamp(
            f64::from(self.limits.min_kbps),
            f64::from(self.limits.max_kbps),
        );
        self.rate_kbps()
    }
}

impl Controller for RateController {
    /// Reads the peer's latest report about our video stream and what rtpsession measures of
    /// it.
    fn tick(&mut self, sample: &RawSample, now: f64, actions: &mut Vec<Action>) {
        let video = &sample.video;
        let before = self.rate_kbps();
        if let Some(sent) = video.sent {
            self.observe_sent(sent);
        }
        let after = self.update(video.our_feedback(), now);
        if after != before {
            tracing::info!(
                before,
                after,
                loss_floor = self.loss_floor(),
                window = ?self.last_window(),
                "video bit rate"
            );
            actions.push(Action::SetVideoBitrate { kbps: after });
        }
    }
}

/// The time between two reports' arrivals, or the ticks' spacing when unknown.
fn report_interval(prev: &Feedback, fb: &Feedback, tick_dt: f64) -> f64 {
    match (fb.received_at_s, prev.received_at_s) {
        (Some(now), Some(then)) if now > then => now - then,
        _ => tick_dt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: RateLimits = RateLimits {
        min_kbps: 150,
        max_kbps: 2000,
    };

    /// Packets of 1 kB: `rate` kbit/s is `rate / 8` packets a second.
    const PACKET_BYTES: f64 = 1000.0;

    /// Runs the controller over a link: each tick the sender sends at its rate, the link loses
    /// `random` of the packets and, above `cap`, everything over the cap.
    fn simulate(
        c: &mut RateController,
        ticks: usize,
        random: f64,
        cap: Option<f64>,
        t: &mut f64,
        fb: &mut Feedback,
    ) -> Vec<u32> {
        let mut rates = Vec::new();
        for _ in 0..ticks {
            let rate = f64::from(c.rate_kbps());
            c.observe_sent(SentStats {
                kbps: rate,
                mean_packet_bytes: Some(PACKET_BYTES),
                packets: 0,
            });
            let sent = rate * TICK_S * 1000.0 / 8.0 / PACKET_BYTES;
            let over = cap.map_or(0.0, |cap| (1.0 - cap / rate).max(0.0));
            let lost = sent * (random + over).min(1.0);
            *t += TICK_S;
            fb.highest_seq += sent.round() as u64;
            fb.lost += lost.round() as i64;
            fb.received_at_s = Some(*t);
            rates.push(c.update(Some(*fb), *t));
        }
        rates
    }

    fn start() -> (RateController, f64, Feedback) {
        let mut c = RateController::new(LIMITS);
        let fb = Feedback {
            highest_seq: 1000,
            lost: 0,
            received_at_s: Some(0.0),
        };
        c.update(Some(fb), 0.0);
        (c, 0.0, fb)
    }

    fn kbps(rate: f64) -> u32 {
        rate.round() as u32
    }

    /// What rtpsession would tell the controller we send.
    fn sending(c: &mut RateController, kbps: f64, mean_packet_bytes: Option<f64>) {
        c.observe_sent(SentStats {
            kbps,
            mean_packet_bytes,
            packets: 0,
        });
    }

    /// One report `dt` after the last, with `expected` packets of which `lost` were lost.
    fn report(fb: &mut Feedback, expected: u64, lost: i64, dt: f64) -> Feedback {
        fb.highest_seq += expected;
        fb.lost += lost;
        fb.received_at_s = fb.received_at_s.map(|t| t + dt);
        *fb
    }

    #[test]
    fn random_loss_of_a_few_percent_keeps_the_full_rate() {
        for loss in [0.0, 0.02, 0.05] {
            let (mut c, mut t, mut fb) = start();
            let rates = simulate(&mut c, 40, loss, None, &mut t, &mut fb);
            assert!(rates.iter().all(|r| *r == 2000), "{loss}: {rates:?}");
        }
    }

    #[test]
    fn one_unlucky_window_of_random_loss_does_not_ratchet_the_rate_down() {
        let (mut c, mut t, mut fb) = start();
        simulate(&mut c, 20, 0.05, None, &mut t, &mut fb);
        assert!((0.03..0.06).contains(&c.loss_floor()), "{}", c.loss_floor());
        // One window shows 30 % (a burst): a decrease, and the ceiling it sets...
        t += 1.0;
        let cut = c.update(Some(report(&mut fb, 250, 75, 1.0)), t);
        assert!(cut < 2000);
        // ...must not turn the path's 5 % into congestion: the rate comes back.
        let rates = simulate(&mut c, 60, 0.05, None, &mut t, &mut fb);
        assert_eq!(*rates.last().unwrap(), 2000, "{rates:?}");
        assert!(
            rates.windows(2).all(|w| w[1] >= w[0]),
            "never cut again: {rates:?}"
        );
    }

    #[test]
    fn a_cap_is_found_within_two_ticks_and_held_under_with_little_loss() {
        let (mut c, mut t, mut fb) = start();
        let rates = simulate(&mut c, 2, 0.0, Some(1000.0), &mut t, &mut fb);
        assert!(*rates.last().unwrap() <= 1000, "{rates:?}");
        let lost_before = fb.lost;
        let seq_before = fb.highest_seq;
        let rates = simulate(&mut c, 60, 0.0, Some(1000.0), &mut t, &mut fb);
        assert!(rates.iter().all(|r| (800..=1060).contains(r)), "{rates:?}");
        let loss = (fb.lost - lost_before) as f64 / (fb.highest_seq - seq_before) as f64;
        assert!(loss < 0.02, "loss {loss} at the cap: {rates:?}");
    }

    /// The worst case: the cap goes just after a decrease, at 0.9 × the ceiling, and the slow
    /// climb to `FORGET_ABOVE` comes first (with a policer's bucket the rate is usually higher
    /// by then: `a_policed_link_is_found_held_with_little_loss_and_left_behind`).
    #[test]
    fn after_the_cap_is_lifted_the_rate_is_back_within_twenty_seconds() {
        let (mut c, mut t, mut fb) = start();
        simulate(&mut c, 30, 0.0, Some(1000.0), &mut t, &mut fb);
        let rates = simulate(&mut c, 40, 0.0, None, &mut t, &mut fb);
        assert_eq!(*rates.last().unwrap(), 2000, "{rates:?}");
    }

    #[test]
    fn reports_from_before_a_decrease_do_not_cut_again() {
        let (mut c, _, mut fb) = start();
        sending(&mut c, 2000.0, Some(PACKET_BYTES));
        // 200 packets of 1 kB in 0.5 s, half lost: 1600 kbit/s delivered.
        let cut = kbps(DECREASE * 1600.0);
        assert_eq!(c.update(Some(report(&mut fb, 200, 100, 0.5)), 0.5), cut);
        assert_eq!(c.update(Some(report(&mut fb, 200, 100, 0.5)), 1.0), cut);
        assert!(c.update(Some(report(&mut fb, 200, 100, 2.0)), 3.0) < 500);
    }

    #[test]
    fn the_delivered_rate_is_what_the_peer_received_between_its_reports() {
        let (mut c, _, mut fb) = start();
        // rtpsession still reads 1900 kbit/s (it lags, key frames), but the peer received
        // 125 packets of 1 kB in the 1 s between its reports: 1000 kbit/s.
        sending(&mut c, 1900.0, Some(PACKET_BYTES));
        assert_eq!(
            c.update(Some(report(&mut fb, 250, 125, 1.0)), 0.5),
            kbps(DECREASE * 1000.0)
        );
    }

    #[test]
    fn without_packet_sizes_the_delivered_rate_comes_from_what_was_sent() {
        let (mut c, _, mut fb) = start();
        sending(&mut c, 1600.0, None);
        assert_eq!(
            c.update(Some(report(&mut fb, 200, 100, 1.0)), 1.0),
            kbps(DECREASE * 800.0)
        );
    }

    #[test]
    fn congestion_never_raises_the_rate() {
        let (mut c, _, mut fb) = start();
        sending(&mut c, 2000.0, Some(PACKET_BYTES));
        let cut = kbps(DECREASE * 1000.0);
        assert_eq!(c.update(Some(report(&mut fb, 200, 100, 0.8)), 1.0), cut);
        // Reports whose timing makes the link look faster than our target: 30 % loss.
        assert_eq!(c.update(Some(report(&mut fb, 200, 60, 0.1)), 4.0), cut);
    }

    #[test]
    fn heavy_loss_lowers_the_rate_but_not_under_the_minimum() {
        let (mut c, mut t, mut fb) = start();
        let rates = simulate(&mut c, 40, 0.5, None, &mut t, &mut fb);
        assert_eq!(*rates.last().unwrap(), 150, "{rates:?}");
    }

    #[test]
    fn reports_without_news_or_from_a_restarted_peer_change_nothing() {
        let (mut c, _, fb) = start();
        let at = |highest_seq, lost| {
            Some(Feedback {
                highest_seq,
                lost,
                received_at_s: None,
            })
        };
        assert_eq!(c.update(None, 1.0), 2000);
        assert_eq!(c.update(at(fb.highest_seq + 5, 5), 1.0), 2000);
        // Counters went backwards: a new baseline, no decision.
        assert_eq!(c.update(at(10, 0), 1.5), 2000);
        assert_eq!(c.update(at(110, 1), 2.0), 2000);
    }

    #[test]
    fn one_congestion_keeps_the_least_of_its_windows() {
        let (mut c, _, mut fb) = start();
        sending(&mut c, 2000.0, Some(PACKET_BYTES));
        // The encoder still drains at the old rate: three congested windows in a row, each
        // 125 packets of 1 kB received (1000 kbit), read over 1 s, 0.9 s (1111 kbit/s: noise)
        // and 1.06 s (943 kbit/s).
        let first = c.update(Some(report(&mut fb, 250, 125, 1.0)), 1.0);
        assert_eq!(first, kbps(DECREASE * 1000.0));
        let noisy = c.update(Some(report(&mut fb, 250, 125, 0.9)), 2.0);
        assert_eq!(
            noisy, first,
            "a higher reading of the same congestion changes nothing"
        );
        let lower = c.update(Some(report(&mut fb, 250, 125, 1.06)), 3.0);
        assert_eq!(lower, kbps(DECREASE * 1000.0 / 1.06));
        // Much later, a new congestion is measured afresh.
        let later = c.update(Some(report(&mut fb, 2000, 1000, 8.0)), 11.0);
        assert!(later <= lower);
    }

    /// A policer like the relay's (token bucket of 250 ms at the cap) in front of an encoder
    /// that follows its target with a 1 s lag and sends a key frame four times the size of the
    /// others every 25 frames; receiver reports every 250 ms. The cap: 1000 kbit/s from
    /// `cap_from` for 15 s.
    fn policed_call(cap_from: f64) -> (Option<f64>, f64, Option<f64>) {
        const FRAME_S: f64 = 0.04;
        const PACKET_KBIT: f64 = 1200.0 * 8.0 / 1000.0;
        let (cap, cap_len, bucket_kbit) = (1000.0, 15.0, 250.0);
        let mut c = RateController::new(LIMITS);
        let (mut t, mut encoder_kbps, mut tokens) = (0.0, 2000.0, bucket_kbit);
        let (mut seq, mut lost, mut frame) = (0u64, 0i64, 0u32);
        let (mut next_report, mut next_tick) = (0.25, TICK_S);
        let mut report = None;
        let (mut window_sent, mut window_lost) = (0u64, 0u64);
        let mut targets = Vec::new();
        while t < 35.0 {
            let capped = (cap_from..cap_from + cap_len).contains(&t);
            encoder_kbps += (f64::from(c.rate_kbps()) - encoder_kbps) * FRAME_S;
            let share = if frame % 25 == 0 { 4.0 } else { 1.0 } / (24.0 + 4.0) * 25.0;
            frame += 1;
            let packets = (encoder_kbps * FRAME_S * share / PACKET_KBIT)
                .round()
                .max(1.0) as u64;
            tokens = if capped {
                (tokens + cap * FRAME_S).min(bucket_kbit)
            } else {
                bucket_kbit
            };
            for _ in 0..packets {
                seq += 1;
                let dropped = capped && tokens < PACKET_KBIT;
                if dropped {
                    lost += 1;
                } else if capped {
                    tokens -= PACKET_KBIT;
                }
                if (cap_from + 5.0..cap_from + cap_len).contains(&t) {
                    window_sent += 1;
                    window_lost += u64::from(dropped);
                }
            }
            t += FRAME_S;
            if t >= next_report {
                next_report += 0.25;
                report = Some(Feedback {
                    highest_seq: seq,
                    lost,
                    received_at_s: Some(t),
                });
            }
            if t >= next_tick {
                next_tick += TICK_S;
                c.observe_sent(SentStats {
                    kbps: encoder_kbps,
                    mean_packet_bytes: Some(1200.0),
                    packets: 0,
                });
                targets.push((t, f64::from(c.update(report, t))));
            }
        }
        let under = targets
            .iter()
            .find(|(at, r)| *at >= cap_from && *r <= cap)
            .map(|(at, _)| at - cap_from);
        let back = targets
            .iter()
            .find(|(at, r)| *at >= cap_from + cap_len && *r >= 1900.0)
            .map(|(at, _)| at - cap_from - cap_len);
        (under, window_lost as f64 / window_sent as f64, back)
    }

    #[test]
    fn a_policed_link_is_found_held_with_little_loss_and_left_behind() {
        for start in [3.0, 3.13, 3.29, 3.41] {
            let (under, loss, back) = policed_call(start);
            let summary = format!("under {under:?} s, loss {loss:.3}, back {back:?} s");
            assert!(under.is_some_and(|s| s <= 5.0), "{summary}");
            assert!(loss < 0.02, "{summary}");
            assert!(back.is_some_and(|s| s <= 15.0), "{summary}");
        }
    }
}
