//! Audio gaps at the receiver: stretches of playout with no audible sample. The sender's test
//! tone (a 440 Hz sine at 0.2, plus the click train) is never quiet for more than a fraction of
//! a millisecond, so a longer run of near-zero samples is concealment silence, and a jump in
//! the buffers' timestamps is audio that never came. Both are measured on the stream's running
//! time (buffer PTS + sample offset), i.e. the playout schedule, not the sink thread's timing.

/// A decoded sample below this (about −34 dBFS) counts as silent.
pub const SILENT_LEVEL: f32 = 0.02;
/// Gaps shorter than this are not reported (the tone's zero crossings last ~0.1 ms).
pub const MIN_GAP_MS: f64 = 5.0;

/// Follows one received audio stream and reports each gap when audio resumes after it.
#[derive(Debug, Clone, Default)]
pub struct GapDetector {
    /// Running time (ns) of the last audible sample, once there was one.
    last_audible_ns: Option<u64>,
}

impl GapDetector {
    /// Feeds one buffer's samples (one channel) starting at running time `start_ns`; returns
    /// the gaps (ms) that ended in it, i.e. from the last audible sample before each to the
    /// next audible one.
    pub fn feed(
        &mut self,
        samples: impl Iterator<Item = f32>,
        start_ns: u64,
        rate: u32,
    ) -> Vec<f64> {
        let mut gaps = Vec::new();
        for (i, x) in samples.enumerate() {
            if x.abs() < SILENT_LEVEL {
                continue;
            }
            let at = start_ns + i as u64 * 1_000_000_000 / u64::from(rate.max(1));
            if let Some(last) = self.last_audible_ns {
                let gap_ms = at.saturating_sub(last) as f64 / 1e6;
                if gap_ms >= MIN_GAP_MS {
                    gaps.push(gap_ms);
                }
            }
            self.last_audible_ns = Some(at);
        }
        gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;

    fn tone(n: usize, first: usize) -> Vec<f32> {
        (first..first + n)
            .map(|i| 0.2 * (std::f32::consts::TAU * 440.0 * i as f32 / RATE as f32).sin())
            .collect()
    }

    fn ns(samples: usize) -> u64 {
        samples as u64 * 1_000_000_000 / u64::from(RATE)
    }

    #[test]
    fn a_continuous_tone_has_no_gap() {
        let mut d = GapDetector::default();
        for k in 0..50 {
            let gaps = d.feed(tone(1024, k * 1024).into_iter(), ns(k * 1024), RATE);
            assert!(gaps.is_empty(), "{gaps:?}");
        }
    }

    #[test]
    fn silence_and_missing_buffers_are_gaps() {
        let mut d = GapDetector::default();
        // Leading silence (start-up) is not a gap.
        assert!(d.feed([0.0; 960].into_iter(), 0, RATE).is_empty());
        assert!(d.feed(tone(960, 0).into_iter(), ns(960), RATE).is_empty());
        // 40 ms of concealment silence, then the tone again.
        let mut buf = vec![0.0; 1920];
        buf.extend(tone(960, 0));
        let gaps = d.feed(buf.into_iter(), ns(1920), RATE);
        assert_eq!(gaps.len(), 1);
        assert!((gaps[0] - 40.0).abs() < 1.0, "{gaps:?}");
        // A buffer that never came: the timestamps jump by 100 ms.
        let gaps = d.feed(tone(960, 0).into_iter(), ns(4800 + 4800), RATE);
        assert_eq!(gaps.len(), 1);
        assert!((gaps[0] - 100.0).abs() < 1.0, "{gaps:?}");
    }
}
