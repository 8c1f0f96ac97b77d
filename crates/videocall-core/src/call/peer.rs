//! One side of a call: its pipeline (send and receive chains around one `rtpbin`) and the
//! statistics read from it.

use gst::prelude::*;

use crate::adapt::adapter::RateAdapter;
use crate::adapt::auth::PeerMonitor;
use crate::adapt::latency::{LatencyGovernor, PathState};
use crate::build::peer::{BuiltPeer, build_peer, describe_error};
use crate::build::red::AudioRedundancy;
use crate::build::repair_hold::RepairHold;
use crate::config::Medium;
use crate::error::{AppError, AppResult};
use crate::plan::peer::PeerPlan;
use crate::plan::rate::video_rate_limits;
use crate::stats::Snapshot;
use crate::stats::collect::Collector;
use crate::stats::compute::StatsComputer;
use crate::stats::model::MediumSample;

/// A built (not yet running) peer.
pub struct Peer {
    pub label: Option<String>,
    pipeline: gst::Pipeline,
    collector: Collector,
    computer: StatsComputer,
    monitor: PeerMonitor,
    rtx: bool,
    /// Whether video FEC is on (its counters are reported).
    fec: bool,
    /// Send-side rate adaptation of the video, when on.
    rate: Option<RateAdapter>,
    /// The jitter buffer's latency, grown to let retransmissions arrive (with RTX only).
    latency: Option<LatencyGovernor>,
    /// Video's longer wait for late repairs, with the adaptive latency only.
    repair_hold: Option<RepairHold>,
    /// Redundant audio, switched on by the peer's loss reports.
    redundancy: Option<AudioRedundancy>,
    rtpbin: gst::Element,
}

impl Peer {
    /// Builds the peer's pipeline from `plan` and sets up what runs it.
    pub fn build(plan: &PeerPlan) -> AppResult<Peer> {
        Ok(Peer::new(plan, build_peer(plan)?))
    }

    /// Takes a built pipeline and sets up what reads and adapts it while the call runs.
    pub fn new(plan: &PeerPlan, built: BuiltPeer) -> Peer {
        let BuiltPeer {
            pipeline,
            rtpbin,
            counters,
            repair_hold,
        } = built;
        let collector = Collector::attach(&pipeline, &rtpbin, counters.clone());
        let latency = (plan.resilience.rtx && plan.resilience.adaptive_jitter_buffer).then(|| {
            LatencyGovernor::new(
                plan.jitter_buffer.as_millis() as u32,
                plan.resilience.repair_hold,
            )
        });
        if let Some(governor) = &latency {
            rtpbin.set_property("latency", governor.initial_ms());
        }
        let redundancy = plan
            .red_plan()
            .map(|red| AudioRedundancy::attach(&rtpbin, red));
        Peer {
            label: plan.label.clone(),
            monitor: PeerMonitor::new(&pipeline, &counters),
            pipeline,
            collector,
            computer: StatsComputer::default(),
            rtx: plan.resilience.rtx,
            fec: plan.resilience.fec_percent > 0,
            rate: RateAdapter::attach(
                plan.resilience.rate_control,
                video_rate_limits(&plan.video),
                &rtpbin,
                Medium::Video.session_id(),
            ),
            latency,
            repair_hold,
            redundancy,
            rtpbin,
        }
    }

    pub fn pipeline(&self) -> &gst::Pipeline {
        &self.pipeline
    }

    /// Starts capture, sending and receiving. A failure (e.g. a socket that cannot be bound)
    /// is reported with GStreamer's own reason.
    pub fn start(&self) -> AppResult<()> {
        if self.pipeline.set_state(gst::State::Playing).is_err() {
            let reason = self
                .pipeline
                .bus()
                .and_then(|bus| bus.pop_filtered(&[gst::MessageType::Error]))
                .and_then(|msg| match msg.view() {
                    gst::MessageView::Error(e) => Some(describe_error(e)),
                    _ => None,
                })
                .unwrap_or_else(|| "unknown reason".into());
            let _ = self.pipeline.set_state(gst::State::Null);
            return Err(AppError::Media(format!(
                "the call could not start: {reason}"
            )));
        }
        Ok(())
    }

    /// Polls the pipeline and returns the statistics `now` seconds into the call.
    pub fn snapshot(&mut self, now: f64) -> Snapshot {
        let mut snap = self.computer.update(&self.collector.poll(), now);
        if self.rtx {
            for (medium, stats) in [
                (Medium::Video, &mut snap.video),
                (Medium::Audio, &mut snap.audio),
            ] {
                let counts = crate::build::rtx::counts(&self.pipeline, medium.session_id());
                stats.rtx_requested = Some(counts.requested);
                stats.rtx_repaired = Some(counts.repaired);
            }
        }
        if self.fec {
            snap.video.fec_recovered = Some(crate::build::fec::recovered(
                &self.pipeline,
                Medium::Video.session_id(),
            ));
        }
        snap.video.send_target_kbps = self.rate.as_ref().map(RateAdapter::target_kbps);
        snap
    }

    /// Lets the jitter buffer wait long enough for retransmissions once losses show up, and
    /// no longer than needed after they stop. Called from the main loop with `adapt_rate`.
    pub fn adapt_jitter_buffer(&mut self, now: f64) {
        let Some(governor) = &mut self.latency else {
            return;
        };
        let sample = self.collector.poll();
        // Per medium, the sender that sent the most is the media stream (not its RTX stream).
        let main = |m: &MediumSample| m.sources.iter().max_by_key(|s| s.packets_received).cloned();
        let (video, audio) = (main(&sample.video), main(&sample.audio));
        let streams = [video, audio].into_iter().flatten();
        let path = streams.fold(
            PathState {
                rtt_ms: None,
                jitter_ms: 0.0,
                lost: 0,
            },
            |p, s| PathState {
                rtt_ms: p.rtt_ms.or(s.rtt_ms),
                jitter_ms: p.jitter_ms.max(s.jitter_ms),
                lost: p.lost + s.packets_lost.max(0) as u64,
            },
        );
        let held_before = governor.repair_hold_ms();
        let changed = governor.update(path, now);
        let hold_ms = governor.repair_hold_ms();
        if changed.is_some() || hold_ms != held_before {
            let ms = governor.current_ms();
            tracing::info!(ms, hold_ms, rtt = ?governor.rtt(), "jitter buffer latency");
            match &self.repair_hold {
                Some(hold) => hold.apply(&self.rtpbin, ms, hold_ms),
                None => self.rtpbin.set_property("latency", ms),
            }
        }
    }

    /// Turns redundant audio on while the peer reports losses of our audio, off after.
    /// Called from the main loop with `adapt_rate`.
    pub fn adapt_redundancy(&mut self, now: f64) {
        if let Some(redundancy) = &mut self.redundancy {
            redundancy.tick(&self.pipeline, "audio-pay", now);
        }
    }

    /// Lets the rate controller read its feedback and sets the video encoder's bit rate when
    /// the target changed. Called from the main loop every `TICK_S`.
    pub fn adapt_rate(&mut self, now: f64) {
        let Some(rate) = &mut self.rate else {
            return;
        };
        let before = rate.target_kbps();
        let session = Medium::Video.session_id();
        if let Some(after) = rate.tick(&self.pipeline, &self.rtpbin, session, now)
            && let Some(encoder) = self.pipeline.by_name("video-enc")
        {
            let (loss_floor, window) = rate.loss_view().unzip();
            tracing::info!(before, after, ?loss_floor, ?window, "video bit rate");
            encoder.set_property("bitrate", after);
        }
    }

    /// Lines for the user about the peer's packets (e.g. a wrong passphrase); polled from the
    /// main loop.
    pub fn security_alerts(&mut self) -> Vec<String> {
        self.monitor.poll()
    }

    /// Stops everything; sockets are closed when this returns.
    pub fn stop(&self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}
