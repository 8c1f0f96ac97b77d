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

/// Element test: clicks survive the call's real AAC encoder and decoder.
#[cfg(test)]
mod codec_tests {
    use gst::prelude::*;

    use super::*;
    use crate::bench::codec_loop::{CodecLoop, codec_loop};
    use videocall_core::config::AudioSource;
    use videocall_core::plan::media::{
        AudioSettings, audio_decode_chain, audio_send_chain, raw_audio_caps,
    };

    /// Sample positions where clicks were written, and where onsets were found after encoding
    /// and decoding `seconds` of the test tone with the call's audio chains.
    fn round_trip(seconds: u64) -> (Vec<u64>, Vec<u64>) {
        gst::init().unwrap();
        let settings = AudioSettings::default();
        let per_buffer = u64::from(settings.samples_per_buffer);
        let buffers = seconds * u64::from(settings.rate) / per_buffer;
        let src = gst::ElementFactory::make("audiotestsrc")
            .property("num-buffers", buffers as i32)
            .property("samplesperbuffer", settings.samples_per_buffer as i32)
            .property("volume", 0.2)
            .build()
            .unwrap();
        let CodecLoop {
            pipeline,
            raw_caps: caps,
            sink,
        } = codec_loop(
            src,
            &raw_audio_caps(&settings),
            &audio_send_chain(&settings, AudioSource::TestTone),
            &audio_decode_chain(),
        );

        let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = written.clone();
        caps.static_pad("src")
            .unwrap()
            .add_probe(gst::PadProbeType::BUFFER, move |_, probe| {
                let buffer = probe.buffer_mut().unwrap();
                let first = buffer.pts().unwrap().nseconds() * 48 / 1_000_000;
                let mut map = buffer.make_mut().map_writable().unwrap();
                let mut samples: Vec<f32> = map
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                for offset in write_clicks(&mut samples, 2, 48_000, first) {
                    log.lock().unwrap().push(first + offset as u64);
                }
                for (out, v) in map.chunks_exact_mut(4).zip(&samples) {
                    out.copy_from_slice(&v.to_le_bytes());
                }
                gst::PadProbeReturn::Ok
            });

        pipeline.set_state(gst::State::Playing).unwrap();
        let (mut detector, mut position, mut found) =
            (ClickDetector::new(48_000), 0u64, Vec::new());
        while let Some(sample) = sink.try_pull_sample(gst::ClockTime::from_seconds(10)) {
            let s = sample.caps().unwrap().structure(0).unwrap().to_owned();
            let channels = s.get::<i32>("channels").unwrap() as usize;
            let interleaved = !matches!(s.get::<&str>("layout"), Ok("non-interleaved"));
            assert_eq!(s.get::<&str>("format").unwrap(), "S16LE", "{s}");
            let map = sample.buffer().unwrap().map_readable().unwrap();
            let all: Vec<f32> = map
                .chunks_exact(2)
                .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
                .collect();
            let frames = all.len() / channels;
            let first: Vec<f32> = if interleaved {
                all.iter().step_by(channels).copied().collect()
            } else {
                all[..frames].to_vec()
            };
            if let Some(o) = detector.feed(first.into_iter()) {
                found.push(position + o as u64);
            }
            position += frames as u64;
        }
        pipeline.set_state(gst::State::Null).unwrap();
        let written = written.lock().unwrap().clone();
        (written, found)
    }

    #[test]
    fn clicks_survive_the_calls_aac_encoder_and_decoder() {
        let (written, found) = round_trip(3);
        assert_eq!(written, vec![0, 48_000, 96_000]);
        // The click at sample 0 has no quiet before it; the others are found, each delayed
        // by the same codec delay, well under the click period.
        assert_eq!(found.len(), 2, "{found:?}");
        let delays: Vec<u64> = found
            .iter()
            .zip(&written[1..])
            .map(|(f, w)| f - w)
            .collect();
        assert_eq!(delays[0], delays[1], "{delays:?}");
        assert!(delays[0] < 48_000 / 10, "{delays:?}");
    }
}
