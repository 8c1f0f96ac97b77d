//! The dashboard's memory: the last minute of a few figures per peer and medium, for its
//! sparklines. Pure: time is an argument, nothing reads a clock.

use std::collections::VecDeque;

use crate::stats::model::StreamStats;

/// How far back the sparklines reach, in seconds.
pub const WINDOW_S: f64 = 60.0;

/// One figure over the last [`WINDOW_S`] seconds: (time, value) points, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    points: VecDeque<(f64, f64)>,
}

impl Series {
    /// Adds `value` read at `now` and forgets what is older than the window. A point at or
    /// before the latest one (the final report right after a periodic one) replaces it.
    pub fn push(&mut self, now: f64, value: f64) {
        if let Some(&(last, _)) = self.points.back()
            && now <= last
        {
            self.points.pop_back();
        }
        self.points.push_back((now, value));
        while self
            .points
            .front()
            .is_some_and(|(t, _)| *t < now - WINDOW_S)
        {
            self.points.pop_front();
        }
    }

    /// The latest value.
    pub fn last(&self) -> Option<f64> {
        self.points.back().map(|(_, v)| *v)
    }

    /// The largest value in the window (0 when empty).
    pub fn max(&self) -> f64 {
        self.points.iter().map(|(_, v)| *v).fold(0.0, f64::max)
    }

    /// The latest `width` values as whole numbers for a sparkline: each value times `scale`
    /// (so fractions show), negatives as 0.
    pub fn bars(&self, width: usize, scale: f64) -> Vec<u64> {
        let skip = self.points.len().saturating_sub(width);
        self.points
            .iter()
            .skip(skip)
            .map(|(_, v)| (v * scale).round().max(0.0) as u64)
            .collect()
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// The four sparkline figures of one received medium: bit rate (bit/s), jitter (ms), loss
/// over the last interval (%) and round-trip time (ms).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediumHistory {
    pub bitrate_bps: Series,
    pub jitter_ms: Series,
    pub loss_pct: Series,
    pub rtt_ms: Series,
    /// The previous report's (received, lost) totals, for the loss of the last interval.
    prev_counts: Option<(u64, u64)>,
}

impl MediumHistory {
    /// Folds in one report of the medium, taken at `now`.
    pub fn push(&mut self, now: f64, stats: &StreamStats) {
        let counts = (stats.packets_received, stats.packets_lost);
        let loss = interval_loss_pct(self.prev_counts.unwrap_or((0, 0)), counts);
        self.prev_counts = Some(counts);
        self.bitrate_bps.push(now, stats.bitrate_bps);
        self.jitter_ms.push(now, stats.jitter_ms);
        self.loss_pct.push(now, loss);
        if let Some(rtt) = stats.rtt_ms {
            self.rtt_ms.push(now, rtt);
        }
    }
}

/// The share of packets lost between two reports' (received, lost) totals, in percent; 0 when
/// nothing was expected in between.
pub fn interval_loss_pct(before: (u64, u64), after: (u64, u64)) -> f64 {
    let received = after.0.saturating_sub(before.0);
    let lost = after.1.saturating_sub(before.1);
    match received + lost {
        0 => 0.0,
        expected => lost as f64 * 100.0 / expected as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_keeps_one_minute() {
        let mut s = Series::default();
        for t in 0..=90 {
            s.push(t as f64, t as f64);
        }
        assert_eq!(s.len(), 61, "60 s back from 90 s, both ends");
        assert_eq!(s.last(), Some(90.0));
        assert_eq!(s.max(), 90.0);
        assert_eq!(s.bars(3, 1.0), vec![88, 89, 90]);
        assert_eq!(s.bars(1000, 1.0).len(), 61);
    }

    #[test]
    fn a_repeated_time_replaces_the_latest_point() {
        let mut s = Series::default();
        s.push(1.0, 5.0);
        s.push(2.0, 6.0);
        s.push(2.0, 7.0);
        assert_eq!(s.bars(10, 1.0), vec![5, 7]);
    }

    #[test]
    fn bars_scale_fractions_and_floor_negatives() {
        let mut s = Series::default();
        s.push(0.0, 0.25);
        s.push(1.0, -3.0);
        assert_eq!(s.bars(10, 100.0), vec![25, 0]);
        assert!(Series::default().is_empty());
        assert_eq!(Series::default().max(), 0.0);
    }

    #[test]
    fn loss_is_counted_per_interval() {
        assert_eq!(interval_loss_pct((0, 0), (0, 0)), 0.0);
        assert_eq!(interval_loss_pct((100, 0), (190, 10)), 10.0);
        assert_eq!(interval_loss_pct((100, 10), (200, 10)), 0.0);
    }

    #[test]
    fn a_medium_history_records_each_report() {
        let mut h = MediumHistory::default();
        let mut stats = StreamStats {
            bitrate_bps: 2e6,
            jitter_ms: 0.5,
            packets_received: 95,
            packets_lost: 5,
            ..Default::default()
        };
        h.push(1.0, &stats);
        assert_eq!(h.loss_pct.last(), Some(5.0));
        assert!(h.rtt_ms.is_empty(), "no RTT yet");
        stats.packets_received = 195;
        stats.rtt_ms = Some(0.3);
        h.push(2.0, &stats);
        assert_eq!(h.loss_pct.last(), Some(0.0));
        assert_eq!(h.rtt_ms.last(), Some(0.3));
        assert_eq!(h.bitrate_bps.len(), 2);
    }
}
