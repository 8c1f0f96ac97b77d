//! Reads the raw counters from the running pipeline: rtpbin's sessions (RTCP/RTP source
//! statistics), its jitter buffers and the sinks. Polled from the main loop; nothing here
//! touches buffers.

use std::sync::{Arc, Mutex};

use gst::glib;
use gst::prelude::*;

use super::compute::{jitter_ms_from_units, rtt_ms_from_ntp_short};
use super::model::*;
use crate::build::session::SessionCounters;
use crate::config::Medium;

/// A jitter buffer rtpbin created for one sender, with its last pushed count (kept after the
/// buffer is gone, so totals survive a peer restart).
struct JitterBufferEntry {
    session: u32,
    ssrc: u32,
    element: glib::WeakRef<gst::Element>,
    pushed: u64,
}

/// Polls one peer's pipeline for statistics.
pub struct Collector {
    rtpbin: gst::Element,
    pipeline: gst::Pipeline,
    jitterbuffers: Arc<Mutex<Vec<JitterBufferEntry>>>,
    /// The sessions' own counts, video then audio.
    counters: [SessionCounters; 2],
}

impl Collector {
    /// Starts tracking the jitter buffers `rtpbin` creates. Call before the pipeline runs.
    pub fn attach(
        pipeline: &gst::Pipeline,
        rtpbin: &gst::Element,
        counters: [SessionCounters; 2],
    ) -> Collector {
        let jitterbuffers: Arc<Mutex<Vec<JitterBufferEntry>>> = Arc::default();
        let registry = jitterbuffers.clone();
        rtpbin.connect("new-jitterbuffer", false, move |args| {
            let element = args[1].get::<gst::Element>().ok()?;
            let session = args[2].get::<u32>().ok()?;
            let ssrc = args[3].get::<u32>().ok()?;
            registry.lock().ok()?.push(JitterBufferEntry {
                session,
                ssrc,
                element: element.downgrade(),
                pushed: 0,
            });
            None
        });
        Collector {
            rtpbin: rtpbin.clone(),
            pipeline: pipeline.clone(),
            jitterbuffers,
            counters,
        }
    }

    /// Reads every counter once.
    pub fn poll(&self) -> RawSample {
        RawSample {
            video: self.poll_medium(Medium::Video),
            audio: self.poll_medium(Medium::Audio),
        }
    }

    fn poll_medium(&self, medium: Medium) -> MediumSample {
        MediumSample {
            sources: self.remote_sources(medium.session_id()),
            pushed: self.pushed(medium.session_id()),
            rendered: (medium == Medium::Video)
                .then(|| self.rendered("video-sink"))
                .flatten(),
            played: (medium == Medium::Audio)
                .then(|| self.rendered("audio-sink"))
                .flatten(),
            rejected: self.counters[medium.session_id() as usize].rejected.get(),
            unplayable: self.counters[medium.session_id() as usize].unplayable.get(),
        }
    }

    fn remote_sources(&self, session_id: u32) -> Vec<SourceSample> {
        let session = self
            .rtpbin
            .emit_by_name::<Option<glib::Object>>("get-internal-session", &[&session_id]);
        let Some(session) = session else {
            return Vec::new();
        };
        let stats = session.property::<gst::Structure>("stats");
        if tracing::enabled!(tracing::Level::DEBUG) {
            let counters = ["rtx-drop-count", "sent-nack-count", "recv-nack-count"]
                .map(|f| format!("{f}={}", stats.get::<u32>(f).unwrap_or_default()));
            tracing::debug!(
                session = session_id,
                counters = counters.join(" "),
                "rtp session"
            );
        }
        let Ok(sources) = stats.get::<glib::ValueArray>("source-stats") else {
            return Vec::new();
        };
        // Media senders get a jitter buffer; a retransmission (RTX) stream does not, and its
        // late-by-design packets would distort jitter and counts: leave it out.
        let media: Vec<u32> = self
            .pushed(session_id)
            .iter()
            .map(|(ssrc, _)| *ssrc)
            .collect();
        sources
            .iter()
            .filter_map(|v| v.get::<gst::Structure>().ok())
            .filter(|s| !s.get::<bool>("internal").unwrap_or(true))
            .filter_map(|s| source_sample(&s))
            .filter(|s| media.is_empty() || media.contains(&s.ssrc))
            .collect()
    }

    fn pushed(&self, session_id: u32) -> Vec<(u32, u64)> {
        let Ok(mut entries) = self.jitterbuffers.lock() else {
            return Vec::new();
        };
        entries
            .iter_mut()
            .filter(|e| e.session == session_id)
            .map(|e| {
                if let Some(jb) = e.element.upgrade() {
                    let stats = jb.property::<gst::Structure>("stats");
                    tracing::debug!(session = session_id, ssrc = e.ssrc, %stats, "jitter buffer");
                    e.pushed = stats.get::<u64>("num-pushed").unwrap_or(e.pushed);
                }
                (e.ssrc, e.pushed)
            })
            .collect()
    }

    /// Buffers rendered by the sink named `name` (or the real sink inside an auto-sink bin).
    fn rendered(&self, name: &str) -> Option<u64> {
        let sink = self.pipeline.by_name(name)?;
        let base_sink = match sink.downcast_ref::<gst::Bin>() {
            Some(bin) => bin.iterate_recurse().into_iter().flatten().find(|e| {
                e.downcast_ref::<gst::Bin>().is_none() && e.find_property("stats").is_some()
            })?,
            None => sink,
        };
        base_sink
            .property::<gst::Structure>("stats")
            .get::<u64>("rendered")
            .ok()
    }
}

/// One remote sender's counters from rtpbin's `source-stats`.
fn source_sample(s: &gst::StructureRef) -> Option<SourceSample> {
    let clock_rate = s.get::<i32>("clock-rate").unwrap_or(-1);
    let have_rb = s.get::<bool>("have-rb").unwrap_or(false);
    let round_trip = s.get::<u32>("rb-round-trip").unwrap_or(0);
    Some(SourceSample {
        ssrc: s.get::<u32>("ssrc").ok()?,
        packets_received: s.get::<u64>("packets-received").unwrap_or(0),
        octets_received: s.get::<u64>("octets-received").unwrap_or(0),
        jitter_ms: jitter_ms_from_units(s.get::<u32>("jitter").unwrap_or(0), clock_rate),
        packets_lost: s.get::<i32>("packets-lost").unwrap_or(0).into(),
        rtt_ms: (have_rb && round_trip > 0).then(|| rtt_ms_from_ntp_short(round_trip)),
    })
}
