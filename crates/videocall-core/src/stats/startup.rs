//! The received video's start: when its first packet, parameter sets, key frame and decoded
//! frame came, how many key frames arrived and how many frames the decoder flagged as broken.
//! Marks are instants set once by pad probes and rtpbin's `new-jitterbuffer` signal; they
//! become milliseconds from the peer's start only when read. The probes do a flag test per
//! access unit or frame (25 a second), never touch the data, and the parameter-set probe goes
//! once its figure is known.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use gst::prelude::*;

use super::model::{KeyFrameRequests, StartupStats};
use crate::plan::names;

/// The instants and counts the probes record, shared with them.
#[derive(Debug, Default)]
struct Marks {
    started: OnceLock<Instant>,
    first_packet: OnceLock<Instant>,
    parameter_sets: OnceLock<Instant>,
    first_key_frame: OnceLock<Instant>,
    first_frame: OnceLock<Instant>,
    key_frames: AtomicU64,
    corrupted: AtomicU64,
}

/// Watches one peer's received video from its start.
#[derive(Debug, Clone, Default)]
pub struct StartupWatch {
    marks: Arc<Marks>,
}

impl StartupWatch {
    /// Puts the probes on the video depayloader's output and the video sink's input (when the
    /// pipeline has them). Call before the pipeline runs.
    pub fn attach(pipeline: &gst::Pipeline) -> StartupWatch {
        let watch = StartupWatch::default();
        if let Some(src) = pipeline
            .by_name(names::VIDEO_DEPAYLOADER)
            .and_then(|d| d.static_pad("src"))
        {
            watch.watch_depayloader(&src);
        }
        if let Some(sink) = pipeline
            .by_name(names::VIDEO_SINK)
            .and_then(|s| s.static_pad("sink"))
        {
            watch.watch_sink(&sink);
        }
        watch
    }

    /// The depayloader states AVC caps (with `codec_data`) only once it has SPS and PPS; every
    /// access unit without `DELTA_UNIT` is a key frame.
    fn watch_depayloader(&self, src: &gst::Pad) {
        let marks = self.marks.clone();
        src.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
            let Some(gst::EventView::Caps(caps)) = info.event().map(|e| e.view()) else {
                return gst::PadProbeReturn::Ok;
            };
            if caps
                .caps()
                .structure(0)
                .is_some_and(|s| s.has_field("codec_data"))
            {
                let _ = marks.parameter_sets.set(Instant::now());
                return gst::PadProbeReturn::Remove;
            }
            gst::PadProbeReturn::Ok
        });
        let marks = self.marks.clone();
        src.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
            if let Some(buffer) = info.buffer()
                && !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT)
            {
                let _ = marks.first_key_frame.set(Instant::now());
                marks.key_frames.fetch_add(1, Ordering::Relaxed);
            }
            gst::PadProbeReturn::Ok
        });
    }

    /// The first frame at the sink; frames the decoder marks `CORRUPTED` (FFmpeg's decoder
    /// does, for frames it concealed errors in) are its errors.
    fn watch_sink(&self, sink: &gst::Pad) {
        let marks = self.marks.clone();
        sink.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
            if let Some(buffer) = info.buffer() {
                let _ = marks.first_frame.set(Instant::now());
                if buffer.flags().contains(gst::BufferFlags::CORRUPTED) {
                    marks.corrupted.fetch_add(1, Ordering::Relaxed);
                }
            }
            gst::PadProbeReturn::Ok
        });
    }

    /// The peer started now: the figures count from here.
    pub fn started(&self) {
        let _ = self.marks.started.set(Instant::now());
    }

    /// The session accepted the first packet of a new video sender.
    pub fn packet_arrived(&self) {
        let _ = self.marks.first_packet.set(Instant::now());
    }

    /// The figures so far, with the session's key-frame requests.
    pub fn read(&self, requests: KeyFrameRequests) -> StartupStats {
        let m = &self.marks;
        let started = m.started.get().copied();
        let since = |mark: &OnceLock<Instant>| ms_since(started, mark.get().copied());
        StartupStats {
            first_packet_ms: since(&m.first_packet),
            parameter_sets_ms: since(&m.parameter_sets),
            first_key_frame_ms: since(&m.first_key_frame),
            first_frame_ms: since(&m.first_frame),
            key_frames_received: m.key_frames.load(Ordering::Relaxed),
            key_frame_requests_sent: requests.sent,
            key_frame_requests_received: requests.received,
            decoder_errors: m.corrupted.load(Ordering::Relaxed),
        }
    }
}

/// Milliseconds from `start` to `mark`, when both are known (0 for a mark before the start).
pub fn ms_since(start: Option<Instant>, mark: Option<Instant>) -> Option<f64> {
    let (start, mark) = (start?, mark?);
    Some(mark.saturating_duration_since(start).as_secs_f64() * 1000.0)
}

/// Key-frame requests in one session's `source-stats`: PLI and FIR we sent (counted on the
/// source we asked) and received (counted on ours), summed over every source.
pub fn key_frame_requests(sources: impl IntoIterator<Item = [u32; 4]>) -> KeyFrameRequests {
    sources.into_iter().fold(
        KeyFrameRequests::default(),
        |acc, [spli, sfir, rpli, rfir]| KeyFrameRequests {
            sent: acc.sent + u64::from(spli) + u64::from(sfir),
            received: acc.received + u64::from(rpli) + u64::from(rfir),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_are_known_only_with_both_instants() {
        let t = Instant::now();
        assert_eq!(ms_since(None, Some(t)), None);
        assert_eq!(ms_since(Some(t), None), None);
        let ms = ms_since(Some(t), Some(t + Duration::from_millis(125))).unwrap();
        assert!((ms - 125.0).abs() < 1e-6, "{ms}");
        assert_eq!(
            ms_since(Some(t + Duration::from_secs(1)), Some(t)),
            Some(0.0)
        );
    }

    #[test]
    fn requests_are_summed_over_sources_and_kinds() {
        let r = key_frame_requests([[1, 0, 0, 0], [0, 2, 3, 1]]);
        assert_eq!(
            r,
            KeyFrameRequests {
                sent: 3,
                received: 4
            }
        );
        assert_eq!(key_frame_requests([]), KeyFrameRequests::default());
    }

    #[test]
    fn marks_are_read_from_the_start_and_set_once() {
        let watch = StartupWatch::default();
        watch.packet_arrived();
        assert_eq!(
            watch.read(KeyFrameRequests::default()).first_packet_ms,
            None
        );
        watch.started();
        let first = watch.marks.first_packet.get().copied();
        watch.packet_arrived();
        assert_eq!(watch.marks.first_packet.get().copied(), first, "set once");
        let read = watch.read(KeyFrameRequests {
            sent: 1,
            received: 2,
        });
        assert_eq!(read.first_packet_ms, Some(0.0), "before the start reads 0");
        assert_eq!(read.key_frame_requests_sent, 1);
        assert_eq!(read.key_frame_requests_received, 2);
        assert_eq!(read.first_frame_ms, None);
    }
}
