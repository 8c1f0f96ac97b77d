//! The audio latency marker: a click train. Once per period the sender replaces 10 ms of the
//! raw test tone with a loud 2 kHz burst whose first sample sits on a whole period of the
//! stream's sample count; the receiver finds the burst's onset in the decoded samples. The
//! sender logs when each burst was captured, the receiver when its onset was played, and the
//! bench pairs each onset with the latest burst sent before it (valid while latency < period).

use std::f32::consts::TAU;

/// Time between clicks: also the largest audio latency the pairing can measure.
pub const PERIOD_MS: u64 = 1000;
const BURST_MS: u64 = 10;
const BURST_HZ: f32 = 2000.0;
const BURST_AMPLITUDE: f32 = 0.9;
/// The test tone peaks at 0.2; a decoded sample above this is the burst.
const THRESHOLD: f32 = 0.5;

/// Writes the bursts that fall into interleaved `samples` whose first frame is frame number
/// `first` of the stream. Returns the offsets (in frames, within `samples`) where a burst starts.
pub fn write_clicks(samples: &mut [f32], channels: usize, rate: u32, first: u64) -> Vec<usize> {
    let period = u64::from(rate) * PERIOD_MS / 1000;
    let burst = u64::from(rate) * BURST_MS / 1000;
    let mut starts = Vec::new();
    for (i, frame) in samples.chunks_exact_mut(channels.max(1)).enumerate() {
        let phase = (first + i as u64) % period;
        if phase == 0 {
            starts.push(i);
        }
        if phase < burst {
            let v = BURST_AMPLITUDE * (TAU * BURST_HZ * phase as f32 / rate as f32).sin();
            frame.fill(v);
        }
    }
    starts
}

/// Finds burst onsets in a stream of decoded samples (one channel is enough).
#[derive(Debug, Clone)]
pub struct ClickDetector {
    rate: u32,
    /// Consecutive samples below the threshold: an onset must follow 50 ms of quiet, so a
    /// stream that starts in the middle of a burst is not mistaken for its onset.
    quiet_run: u64,
    since_onset: u64,
}

impl ClickDetector {
    pub fn new(rate: u32) -> Self {
        ClickDetector {
            rate,
            quiet_run: 0,
            since_onset: u64::MAX / 2,
        }
    }

    /// Feeds one buffer's samples; returns the offset of an onset in it, if any.
    pub fn feed(&mut self, samples: impl Iterator<Item = f32>) -> Option<usize> {
        let (quiet_needed, refractory) = (u64::from(self.rate) / 20, u64::from(self.rate) / 2);
        let mut onset = None;
        for (i, x) in samples.enumerate() {
            self.since_onset += 1;
            if x.abs() < THRESHOLD {
                self.quiet_run += 1;
                continue;
            }
            if onset.is_none() && self.quiet_run >= quiet_needed && self.since_onset >= refractory {
                onset = Some(i);
                self.since_onset = 0;
            }
            self.quiet_run = 0;
        }
        onset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(frames: usize, channels: usize, rate: u32, first: u64) -> Vec<f32> {
        (0..frames * channels)
            .map(|i| {
                0.2 * (TAU * 440.0 * (first + (i / channels) as u64) as f32 / rate as f32).sin()
            })
            .collect()
    }

    #[test]
    fn clicks_are_written_on_period_boundaries_and_found_again() {
        let (rate, ch, per_buffer) = (48_000u32, 2usize, 480usize);
        let mut detector = ClickDetector::new(rate);
        let (mut sent, mut found) = (Vec::new(), Vec::new());
        for b in 0..290u64 {
            let first = 100 + b * per_buffer as u64;
            let mut buf = tone(per_buffer, ch, rate, first);
            sent.extend(
                write_clicks(&mut buf, ch, rate, first)
                    .iter()
                    .map(|o| first + *o as u64),
            );
            if let Some(o) = detector.feed(buf.iter().step_by(ch).copied()) {
                found.push(first + o as u64);
            }
        }
        assert_eq!(sent, vec![48_000, 96_000]);
        // The detector sees the first loud sample, a few samples into the 2 kHz burst.
        assert_eq!(found.len(), 2);
        for (s, f) in sent.iter().zip(&found) {
            assert!(f >= s && f - s < 10, "{s} {f}");
        }
    }

    #[test]
    fn a_stream_that_starts_inside_a_burst_is_not_an_onset() {
        let mut detector = ClickDetector::new(48_000);
        assert_eq!(detector.feed([0.9f32, -0.9, 0.9].into_iter()), None);
    }
}
