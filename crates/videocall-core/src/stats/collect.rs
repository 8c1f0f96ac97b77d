//! The one reader of a running pipeline: rtpbin's sessions (RTCP/RTP source statistics), its
//! jitter buffers, the sinks, the payloaders, the encoder, the SRTP, RTX, FEC and GCC elements,
//! the sessions' own counters and the taps on incoming RTCP. `poll` reads it all into one
//! `RawSample`, `take_feedback` the transport-wide feedback; nothing here touches buffers
//! except the taps, attached once before the call runs.

use crate::build::key_exchange::KeyExchange;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use gst::glib;
use gst::prelude::*;

use super::compute::{jitter_ms_from_units, rtt_ms_from_ntp_short};
use super::feedback::FeedbackTap;
use super::model::*;
use super::plain_watch::RtcpKinds;
use super::startup::{StartupWatch, key_frame_requests};
use super::twcc::TwccWindow;
use crate::build::session::SessionCounters;
use crate::config::Medium;
use crate::plan::names;

/// A jitter buffer rtpbin created for one sender, with its last pushed and repaired counts
/// (kept after the buffer is gone, so totals survive a peer restart).
struct JitterBufferEntry {
    session: u32,
    ssrc: u32,
    element: glib::WeakRef<gst::Element>,
    pushed: u64,
    repaired: u64,
}

/// Which optional readings the call has: they are reported (as `Some`, zero while the element
/// is not there yet) only when the call has the feature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readings {
    /// Retransmission counters (both media).
    pub rtx: bool,
    /// The video FEC decoder's recovered count.
    pub video_fec: bool,
    /// The video encoder's bit rate, which the rate adaptation sets.
    pub send_target: bool,
    /// Per session (video, audio): no SRTP, so the RTCP socket is watched for SRTCP.
    pub plain: [bool; 2],
    /// The peer's transport-wide feedback about our video ([`Collector::take_feedback`]).
    pub twcc: bool,
}

/// What is tracked of one session between polls.
struct SessionTaps {
    counters: SessionCounters,
    feedback: FeedbackTap,
    rtcp_kinds: RtcpKinds,
}

/// Polls one peer's pipeline.
pub struct Collector {
    rtpbin: gst::Element,
    pipeline: gst::Pipeline,
    readings: Readings,
    jitterbuffers: Arc<Mutex<Vec<JitterBufferEntry>>>,
    /// Video then audio.
    sessions: [SessionTaps; 2],
    exchange: Option<KeyExchange>,
    /// The received video's start.
    startup: StartupWatch,
}

impl Collector {
    /// Starts tracking the jitter buffers `rtpbin` creates, the peer's RTCP on both sessions
    /// and, on plain sessions, what arrives on the RTCP sockets. Call after the sessions exist
    /// and before the pipeline runs.
    pub fn attach(
        pipeline: &gst::Pipeline,
        rtpbin: &gst::Element,
        counters: [SessionCounters; 2],
        readings: Readings,
        exchange: Option<KeyExchange>,
    ) -> Collector {
        let jitterbuffers: Arc<Mutex<Vec<JitterBufferEntry>>> = Arc::default();
        let registry = jitterbuffers.clone();
        let startup = StartupWatch::attach(pipeline);
        let first_packet = startup.clone();
        rtpbin.connect("new-jitterbuffer", false, move |args| {
            let element = args[1].get::<gst::Element>().ok()?;
            let session = args[2].get::<u32>().ok()?;
            let ssrc = args[3].get::<u32>().ok()?;
            // A media sender's first packet makes its jitter buffer (RTX streams get none).
            if session == Medium::Video.session_id() {
                first_packet.packet_arrived();
            }
            let mut registry = registry.lock().ok()?;
            // Jitter buffers of senders that are gone stay listed for their counts; past the
            // cap they go (`compute` keeps their last counts in its totals).
            if registry.len() >= super::compute::MAX_TRACKED_SSRCS {
                registry.retain(|e| e.element.upgrade().is_some());
            }
            registry.push(JitterBufferEntry {
                session,
                ssrc,
                element: element.downgrade(),
                pushed: 0,
                repaired: 0,
            });
            None
        });
        let origin = Instant::now();
        let [video, audio] = counters;
        let sessions =
            [(Medium::Video, video), (Medium::Audio, audio)].map(|(medium, counters)| {
                let id = medium.session_id();
                let rtcp_kinds = RtcpKinds::default();
                // After the peer-only filter, which `build` put on the socket first.
                if readings.plain[id as usize]
                    && let Some(udpsrc) = pipeline.by_name(&names::udpsrc_rtcp(id))
                {
                    rtcp_kinds.install(&udpsrc);
                }
                SessionTaps {
                    counters,
                    feedback: FeedbackTap::attach(rtpbin, id, origin),
                    rtcp_kinds,
                }
            });
        Collector {
            rtpbin: rtpbin.clone(),
            pipeline: pipeline.clone(),
            readings,
            jitterbuffers,
            sessions,
            exchange,
            startup,
        }
    }

    /// The peer has started: start-up figures count from now.
    pub fn started(&self) {
        self.startup.started();
    }

    /// The peer's transport-wide feedback about our video since the last call, when the call
    /// asks for it. Apart from [`poll`](Self::poll): it is taken far more often (every
    /// `adapt::FEEDBACK_TICK_S`) and costs only a lock.
    pub fn take_feedback(&self) -> Option<TwccWindow> {
        self.readings.twcc.then(|| {
            self.sessions[Medium::Video.session_id() as usize]
                .counters
                .twcc
                .take()
        })
    }

    /// Reads everything once.
    pub fn poll(&self) -> RawSample {
        let video = self.poll_medium(Medium::Video);
        let startup = self.startup.read(video.key_frame_requests);
        RawSample {
            video,
            audio: self.poll_medium(Medium::Audio),
            exchange: self.exchange.as_ref().map(KeyExchange::status),
            startup,
        }
    }

    fn poll_medium(&self, medium: Medium) -> MediumSample {
        let id = medium.session_id();
        let taps = &self.sessions[id as usize];
        let session_stats = self.session_stats(id);
        let our_ssrc = self
            .pipeline
            .by_name(names::payloader(medium))
            .and_then(|pay| {
                pay.property::<gst::Structure>("stats")
                    .get::<u32>("ssrc")
                    .ok()
            });
        let sent = our_ssrc
            .zip(session_stats.as_ref())
            .and_then(|(ssrc, stats)| sent_stats(stats, ssrc));
        let counters = &taps.counters;
        // Before `rtx_counts`: this reads the jitter buffers' repairs too.
        let pushed = self.pushed(id);
        MediumSample {
            sources: session_stats
                .as_ref()
                .map(|stats| self.remote_sources(id, stats))
                .unwrap_or_default(),
            pushed,
            rendered: (medium == Medium::Video)
                .then(|| self.rendered(names::VIDEO_SINK))
                .flatten(),
            played: (medium == Medium::Audio)
                .then(|| self.rendered(names::AUDIO_SINK))
                .flatten(),
            rejected: counters.rejected.get(),
            unkeyed: counters.unkeyed.get(),
            stray_exchange: counters.stray_exchange.get(),
            unplayable: counters.unplayable.get(),
            our_ssrc,
            sent,
            feedback: taps
                .feedback
                .latest_about(&session_stats.as_ref().map(our_ssrcs).unwrap_or_default()),
            peer_tool: taps.feedback.peer_tool(),
            rtx: self.readings.rtx.then(|| self.rtx_counts(id)),
            fec_recovered: (self.readings.video_fec && medium == Medium::Video)
                .then(|| self.fec_recovered(id)),
            send_target_kbps: (self.readings.send_target && medium == Medium::Video)
                .then(|| self.pipeline.by_name(names::VIDEO_ENCODER))
                .flatten()
                .map(|encoder| encoder.property::<u32>("bitrate")),
            gcc_estimate_bps: self
                .pipeline
                .by_name(&names::gcc_estimator(id))
                .map(|estimator| estimator.property::<u32>("estimated-bitrate")),
            srtp: self.srtp_counts(id),
            rtcp_kinds: RtcpKindCounts {
                plain: taps.rtcp_kinds.plain.get(),
                encrypted: taps.rtcp_kinds.encrypted.get(),
            },
            aac_format: counters.aac_format.get(),
            key_frame_requests: session_stats.as_ref().map(requests_in).unwrap_or_default(),
        }
    }

    /// The internal session's `stats`.
    fn session_stats(&self, session_id: u32) -> Option<gst::Structure> {
        let session = self
            .rtpbin
            .emit_by_name::<Option<glib::Object>>("get-internal-session", &[&session_id])?;
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
        Some(stats)
    }

    fn remote_sources(&self, session_id: u32, stats: &gst::StructureRef) -> Vec<SourceSample> {
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

    /// Each jitter buffer's pushed count, by sender; reads its repairs too (`rtx_counts`, in
    /// the same poll after this).
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
                    e.repaired = stats.get::<u64>("rtx-success-count").unwrap_or(e.repaired);
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

    /// The session's retransmission counters (zero while its elements are not there).
    fn rtx_counts(&self, session: u32) -> RtxCounts {
        if tracing::enabled!(tracing::Level::DEBUG)
            && let Some(send) = self.pipeline.by_name(&names::rtx_send(session))
        {
            tracing::debug!(
                session,
                requests = send.property::<u32>("num-rtx-requests"),
                resent = send.property::<u32>("num-rtx-packets"),
                "rtx sender"
            );
        }
        let Some(recv) = self.pipeline.by_name(&names::rtx_recv(session)) else {
            return RtxCounts::default();
        };
        // Repairs as the jitter buffers count them (a resend that filled a gap in time):
        // rtprtxreceive passes on every resend of a known sender, also those nobody asked
        // for (the sender's probe bursts, `build::congestion::ProbeBursts`).
        let repaired = self.jitterbuffers.lock().map_or(0, |entries| {
            entries
                .iter()
                .filter(|e| e.session == session)
                .map(|e| e.repaired)
                .sum()
        });
        RtxCounts {
            requested: recv.property::<u32>("num-rtx-requests").into(),
            repaired,
        }
    }

    /// Lost packets the session's FEC decoder rebuilt (zero before the decoder exists).
    fn fec_recovered(&self, session: u32) -> u64 {
        self.pipeline
            .by_name(&names::fec_dec(session))
            .map_or(0, |decoder| decoder.property::<u32>("recovered").into())
    }

    /// The session's SRTP decoder's totals, once rtpbin has made it.
    fn srtp_counts(&self, session: u32) -> Option<SrtpCounts> {
        let decoder = self.pipeline.by_name(&names::srtpdec(session))?;
        let stats = decoder.property::<gst::Structure>("stats");
        let count = |field| u64::from(stats.get::<u32>(field).unwrap_or(0));
        Some(SrtpCounts {
            received: count("recv-count"),
            dropped: count("recv-drop-count"),
        })
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

/// PLI and FIR sent and received in a session, from every source's counters.
fn requests_in(stats: &gst::Structure) -> KeyFrameRequests {
    let Ok(sources) = stats.get::<glib::ValueArray>("source-stats") else {
        return KeyFrameRequests::default();
    };
    key_frame_requests(
        sources
            .iter()
            .filter_map(|v| v.get::<gst::Structure>().ok())
            .map(|s| {
                [
                    "sent-pli-count",
                    "sent-fir-count",
                    "recv-pli-count",
                    "recv-fir-count",
                ]
                .map(|f| s.get::<u32>(f).unwrap_or(0))
            }),
    )
}

/// Our own senders in a session (media and RTX): rtpsession's internal sources.
fn our_ssrcs(stats: &gst::Structure) -> Vec<u32> {
    let Ok(sources) = stats.get::<glib::ValueArray>("source-stats") else {
        return Vec::new();
    };
    sources
        .iter()
        .filter_map(|v| v.get::<gst::Structure>().ok())
        .filter(|s| s.get::<bool>("internal").unwrap_or(false))
        .filter_map(|s| s.get::<u32>("ssrc").ok())
        .collect()
}

/// What rtpsession measures of our sender `ssrc` (in the session's `stats`): its bit rate and
/// mean packet size.
fn sent_stats(stats: &gst::StructureRef, ssrc: u32) -> Option<SentStats> {
    let sources = stats.get::<glib::ValueArray>("source-stats").ok()?;
    sources
        .iter()
        .filter_map(|v| v.get::<gst::Structure>().ok())
        .find(|s| s.get::<u32>("ssrc").ok() == Some(ssrc))
        .and_then(|s| {
            let kbps = s.get::<u64>("bitrate").ok()? as f64 / 1000.0;
            let octets = s.get::<u64>("octets-sent").ok();
            let packets = s.get::<u64>("packets-sent").ok().filter(|n| *n > 0);
            let mean_packet_bytes = octets.zip(packets).map(|(o, n)| o as f64 / n as f64);
            Some(SentStats {
                kbps,
                mean_packet_bytes,
                packets: packets.unwrap_or(0),
            })
        })
}
