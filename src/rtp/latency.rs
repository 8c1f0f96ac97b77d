//! How long the jitter buffer waits, as a pure function of what the network showed. A lost
//! packet can only be repaired if the jitter buffer still waits when the retransmission arrives:
//! about one round trip after the loss is seen. On a clean path that wait is pure delay, so the
//! buffer grows only once losses are seen, and shrinks back after a quiet spell.
//!
//! * Without recent loss: `max(base, 3 × jitter + 10 ms)`.
//! * With loss in the last `LOSS_MEMORY_S`: also at least `RTT + 2 × jitter + 30 ms`: NACK out
//!   and resend back, the path's jitter on both, and one repeated request (`rtx::RetryPlan`,
//!   30 ms) in case the first NACK or resend was lost. RTT is smoothed (`RTT_SMOOTHING`): one
//!   RTCP report delayed on the path would otherwise ratchet the delay up for good.
//!   Measured at 2 % loss and 20–40 ms each way (docs/benchmarks-network.md): a fixed 100 ms
//!   rendered 96 % of frames, 110 ms 99.1–99.7 % at p95 latency 145–149 ms, 120 ms
//!   99.2–99.5 % at 154–158 ms; this formula gives about 110 ms there.
//! * Never above `MAX_MS`. Grows at once when the target is 10 % above the current value; shrinks
//!   only to a target 30 % below it, and not within `SHRINK_HOLD_S` of the last change (each
//!   change re-times the sinks: a short stutter).

/// The most the jitter buffer may wait.
pub const MAX_MS: u32 = 400;
const LOSS_MEMORY_S: f64 = 20.0;
const SHRINK_HOLD_S: f64 = 10.0;
/// Weight of a new RTT sample in the smoothed RTT (RFC 6298 uses 1/8 for its SRTT).
const RTT_SMOOTHING: f64 = 0.125;

/// What the receiver saw of the network at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathState {
    pub rtt_ms: Option<f64>,
    pub jitter_ms: f64,
    /// Cumulative packets lost (all media).
    pub lost: u64,
}

/// The jitter buffer's latency between decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyGovernor {
    base_ms: u32,
    current_ms: u32,
    last_change: f64,
    last_lost: u64,
    last_loss_at: Option<f64>,
    smoothed_rtt_ms: Option<f64>,
}

impl LatencyGovernor {
    /// Starts at the user's `base_ms` (`--jitter-buffer-ms`), which is also the floor.
    pub fn new(base_ms: u32) -> LatencyGovernor {
        LatencyGovernor {
            base_ms,
            current_ms: base_ms,
            last_change: 0.0,
            last_lost: 0,
            last_loss_at: None,
            smoothed_rtt_ms: None,
        }
    }

    #[cfg(test)]
    pub fn current_ms(&self) -> u32 {
        self.current_ms
    }

    /// Folds in the path state at `now` (seconds); returns the new latency when it changes.
    pub fn update(&mut self, path: PathState, now: f64) -> Option<u32> {
        if path.lost > self.last_lost {
            self.last_loss_at = Some(now);
        }
        self.last_lost = path.lost;
        if let Some(rtt) = path.rtt_ms {
            self.smoothed_rtt_ms = Some(match self.smoothed_rtt_ms {
                Some(s) => s + RTT_SMOOTHING * (rtt - s),
                None => rtt,
            });
        }
        let lossy = self.last_loss_at.is_some_and(|t| now - t < LOSS_MEMORY_S);
        let mut target = f64::from(self.base_ms).max(3.0 * path.jitter_ms + 10.0);
        if let (true, Some(rtt)) = (lossy, self.smoothed_rtt_ms) {
            target = target.max(rtt + 2.0 * path.jitter_ms + 30.0);
        }
        let target = (target.round() as u32).min(MAX_MS.max(self.base_ms));
        let current = f64::from(self.current_ms);
        let grow = f64::from(target) > 1.1 * current;
        let shrink = f64::from(target) < 0.7 * current && now - self.last_change >= SHRINK_HOLD_S;
        if grow || shrink {
            self.current_ms = target;
            self.last_change = now;
            Some(target)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(rtt: f64, jitter: f64, lost: u64) -> PathState {
        PathState {
            rtt_ms: Some(rtt),
            jitter_ms: jitter,
            lost,
        }
    }

    #[test]
    fn a_clean_path_keeps_the_base_whatever_its_round_trip() {
        let mut g = LatencyGovernor::new(40);
        for t in 0..20 {
            assert_eq!(g.update(path(80.0, 3.0, 0), f64::from(t)), None);
        }
        assert_eq!(g.current_ms(), 40);
    }

    #[test]
    fn loss_makes_room_for_a_retransmission_then_quiet_shrinks_it_back() {
        let mut g = LatencyGovernor::new(40);
        g.update(path(60.0, 5.0, 0), 0.0);
        assert_eq!(g.update(path(60.0, 5.0, 3), 1.0), Some(100));
        assert_eq!(
            g.update(path(62.0, 5.0, 4), 2.0),
            None,
            "small changes are ignored"
        );
        // 20 s without loss, and 10 s since the last change: back to the base.
        assert_eq!(g.update(path(60.0, 5.0, 4), 21.0), None);
        assert_eq!(g.update(path(60.0, 5.0, 4), 22.5), Some(40));
    }

    #[test]
    fn one_slow_report_does_not_ratchet_the_delay_up() {
        let mut g = LatencyGovernor::new(20);
        assert_eq!(g.update(path(60.0, 5.0, 1), 0.0), Some(100));
        // A single 140 ms sample moves the smoothed RTT by an eighth of the difference.
        assert_eq!(g.update(path(140.0, 5.0, 2), 0.5), None);
        assert_eq!(g.current_ms(), 100);
        // A lasting change is followed.
        for i in 0..20 {
            g.update(path(200.0, 5.0, 3 + i), 1.0 + f64::from(i as u32) * 0.5);
        }
        assert!(g.current_ms() > 200, "{}", g.current_ms());
    }

    #[test]
    fn jitter_alone_grows_it_and_the_maximum_holds() {
        let mut g = LatencyGovernor::new(40);
        assert_eq!(g.update(path(10.0, 20.0, 0), 0.0), Some(70));
        assert_eq!(g.update(path(900.0, 50.0, 10), 1.0), Some(251));
        for t in 2u32..30 {
            g.update(path(900.0, 50.0, u64::from(10 + t)), f64::from(t));
        }
        assert_eq!(g.current_ms(), MAX_MS);
        let mut big = LatencyGovernor::new(600);
        assert_eq!(
            big.update(path(900.0, 50.0, 10), 1.0),
            None,
            "the user's base wins"
        );
    }
}
