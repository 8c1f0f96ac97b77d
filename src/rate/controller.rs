//! The send-side rate controller: a pure function of its state, the peer's latest receiver
//! report and the time. Loss-based, in the spirit of the loss half of Google Congestion Control
//! (draft-ietf-rmcat-gcc-02 §6), with one addition for links that drop instead of queueing:
//!
//! * Every `TICK` the loss ratio `p` over the window is computed from the cumulative counters of
//!   the receiver reports (expected = extended highest sequence number, lost = cumulative lost).
//!   Windows with fewer than `MIN_PACKETS` expected packets carry no decision.
//! * `p > 10 %`: congestion. The rate the link delivered, `sent × (1 − p)`, becomes the known
//!   ceiling, and the new rate is 95 % of it (a policer at capacity `C` loses `1 − C/sent`, so
//!   this lands just under `C` in one step). `sent` is the rate measured leaving us
//!   (`observe_sent_kbps`), not the target: after a change the encoder still drains its buffer
//!   at the old rate for a while, and the target would underestimate the link.
//!   After a decrease the next `DECREASE_HOLD_S` bring no further decrease: the reports of that
//!   time still describe packets sent at the old rate (and the encoder's buffer drains slowly).
//! * `2 % ≤ p ≤ 10 %`: hold, unless the rate is above 90 % of a known ceiling: then it is the
//!   link again, not random loss, and the rate goes back under it the same way.
//! * `p < 2 %`: increase: 15 %/s far below a ceiling (or with none), 3 %/s from 90 % of it on.
//!   A rate 25 % above the ceiling without loss means the link got better (or the ceiling was
//!   underestimated while the encoder drained its buffer): the ceiling is
//!   forgotten, as it is after `CEILING_MEMORY` without congestion.
//!
//! Random loss of a few percent therefore never lowers the rate (RTX repairs it), a cap is found
//! within a report or two, and after the cap is lifted the rate climbs back to the maximum.

/// How often the controller runs.
pub const TICK_S: f64 = 0.5;
/// Fewer expected packets than this in a window say nothing about loss: with 5 % random loss a
/// 150-packet window shows more than 10 % about once in several hundred windows; a 20-packet
/// window did once in 13, and the rate fell on random loss.
const MIN_PACKETS: u64 = 150;
const CONGESTED_LOSS: f64 = 0.10;
const CLEAN_LOSS: f64 = 0.02;
const FAST_GROWTH_PER_S: f64 = 0.15;
const SLOW_GROWTH_PER_S: f64 = 0.03;
const CEILING_MEMORY_S: f64 = 20.0;
const DECREASE_HOLD_S: f64 = 2.5;

/// What the peer's receiver reports say about our video stream, cumulative since it started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feedback {
    /// Extended highest sequence number received (RFC 3550 §6.4.1): packets expected so far,
    /// up to a constant.
    pub highest_seq: u64,
    /// Cumulative number of packets lost.
    pub lost: i64,
}

/// Limits and starting point of the controller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    pub min_kbps: u32,
    pub max_kbps: u32,
}

/// The controller's state between ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct RateController {
    limits: RateLimits,
    rate_kbps: f64,
    /// The rate the link delivered when it was last congested, and when.
    ceiling: Option<(f64, f64)>,
    last: Option<(Feedback, f64)>,
    last_decrease: Option<f64>,
    /// The send rate last measured (kbit/s), if known.
    sent_kbps: Option<f64>,
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
            sent_kbps: None,
        }
    }

    /// The current target in kbit/s.
    pub fn rate_kbps(&self) -> u32 {
        self.rate_kbps.round() as u32
    }

    /// The video rate actually leaving us now (RTP session statistics), the basis of the
    /// delivered-rate estimate.
    pub fn observe_sent_kbps(&mut self, kbps: f64) {
        self.sent_kbps = (kbps > 0.0).then_some(kbps);
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
        let near_ceiling =
            |rate: f64, ceiling: Option<(f64, f64)>| ceiling.is_some_and(|(c, _)| rate > 0.9 * c);
        let rate = self.rate_kbps;
        let congested = p > CONGESTED_LOSS || (p >= CLEAN_LOSS && near_ceiling(rate, self.ceiling));
        let holding = self
            .last_decrease
            .is_some_and(|t| now - t < DECREASE_HOLD_S);
        let new = if congested && !holding {
            // Never above the current target: the measured send rate lags a change and
            // includes the encoder's overshoot, and a "decrease" from it once raised the
            // target by half.
            let delivered = (self.sent_kbps.unwrap_or(rate) * (1.0 - p)).min(rate);
            self.ceiling = Some((delivered, now));
            self.last_decrease = Some(now);
            0.95 * delivered
        } else if p >= CLEAN_LOSS {
            rate
        } else {
            if let Some((c, _)) = self.ceiling
                && rate > 1.25 * c
            {
                self.ceiling = None;
            }
            let growth = if near_ceiling(rate, self.ceiling) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: RateLimits = RateLimits {
        min_kbps: 150,
        max_kbps: 2000,
    };

    /// Runs the controller over a link: each tick the sender sends at its rate (1 kB packets),
    /// the link loses `random` of them and, above `cap`, everything over the cap.
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
            c.observe_sent_kbps(rate);
            let sent = rate * TICK_S / 8.0; // packets of 1 kB
            let over = cap.map_or(0.0, |cap| (1.0 - cap / rate).max(0.0));
            let lost = sent * (random + over).min(1.0);
            fb.highest_seq += sent.round() as u64;
            fb.lost += lost.round() as i64;
            *t += TICK_S;
            rates.push(c.update(Some(*fb), *t));
        }
        rates
    }

    fn start() -> (RateController, f64, Feedback) {
        let mut c = RateController::new(LIMITS);
        let fb = Feedback {
            highest_seq: 1000,
            lost: 0,
        };
        c.update(Some(fb), 0.0);
        (c, 0.0, fb)
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

    #[test]
    fn after_the_cap_is_lifted_the_rate_is_back_within_fifteen_seconds() {
        let (mut c, mut t, mut fb) = start();
        simulate(&mut c, 30, 0.0, Some(1000.0), &mut t, &mut fb);
        let rates = simulate(&mut c, 30, 0.0, None, &mut t, &mut fb);
        assert_eq!(*rates.last().unwrap(), 2000, "{rates:?}");
    }

    #[test]
    fn reports_from_before_a_decrease_do_not_cut_again() {
        let (mut c, _, mut fb) = start();
        fb.highest_seq += 200;
        fb.lost += 100;
        assert_eq!(c.update(Some(fb), 0.5), 950);
        fb.highest_seq += 200;
        fb.lost += 100;
        assert_eq!(c.update(Some(fb), 1.0), 950);
        fb.highest_seq += 200;
        fb.lost += 100;
        assert!(c.update(Some(fb), 3.0) < 500);
    }

    #[test]
    fn the_delivered_rate_comes_from_what_was_really_sent() {
        let (mut c, _, mut fb) = start();
        // The target is 2000 but the encoder still sends 1600; the link delivers half of it.
        c.observe_sent_kbps(1600.0);
        fb.highest_seq += 200;
        fb.lost += 100;
        assert_eq!(c.update(Some(fb), 1.0), 760);
    }

    #[test]
    fn congestion_never_raises_the_rate() {
        let (mut c, _, mut fb) = start();
        fb.highest_seq += 200;
        fb.lost += 100;
        assert_eq!(c.update(Some(fb), 1.0), 950);
        // The send rate still reads high (it lags, and the encoder overshoots): 30 % loss.
        c.observe_sent_kbps(2000.0);
        fb.highest_seq += 200;
        fb.lost += 60;
        assert!(c.update(Some(fb), 4.0) < 950);
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
        assert_eq!(c.update(None, 1.0), 2000);
        assert_eq!(
            c.update(
                Some(Feedback {
                    highest_seq: fb.highest_seq + 5,
                    lost: 5
                }),
                1.0
            ),
            2000
        );
        // Counters went backwards: a new baseline, no decision.
        assert_eq!(
            c.update(
                Some(Feedback {
                    highest_seq: 10,
                    lost: 0
                }),
                1.5
            ),
            2000
        );
        assert_eq!(
            c.update(
                Some(Feedback {
                    highest_seq: 110,
                    lost: 1
                }),
                2.0
            ),
            2000
        );
    }
}
