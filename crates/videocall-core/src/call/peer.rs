//! One side of a call: its pipeline (send and receive chains around one `rtpbin`), the
//! collector that reads it, the adapter that decides from what was read, and the appliers that
//! carry the adapter's actions out on the pipeline's elements.

use gst::prelude::*;

use crate::adapt::{Action, AdaptSettings, Adapter, LatencySettings};
use crate::build::congestion::ProbeBursts;
use crate::build::key_exchange::KeyExchange;
use crate::build::peer::{BuiltPeer, build_peer, describe_error};
use crate::build::record::Recording;
use crate::build::repair_hold::RepairHold;
use crate::build::srtp::KeySlot;
use crate::config::{Medium, RateControl};
use crate::error::{AppError, AppResult};
use crate::plan::names;
use crate::plan::peer::PeerPlan;
use crate::plan::rate::video_rate_limits;
use crate::stats::collect::{Collector, Readings};
use crate::stats::compute::StatsComputer;
use crate::stats::{RawSample, Snapshot};

/// A built (not yet running) peer.
pub struct Peer {
    pub label: Option<String>,
    /// The line that says what the call is (media, plain or encrypted, where RTP goes), for
    /// the dashboard's header; the command that starts the call sets it.
    pub summary: Option<String>,
    pipeline: gst::Pipeline,
    rtpbin: gst::Element,
    collector: Collector,
    /// Folds the report polls into snapshots.
    computer: StatsComputer,
    adapter: Adapter,
    /// Video's longer wait for late repairs, with the adaptive latency only.
    repair_hold: Option<RepairHold>,
    /// The RED encoder's `distance` while redundancy is on.
    red_distance: u32,
    /// The key exchange of an encrypted call.
    exchange: Option<KeyExchange>,
    /// The key slots of an SDES-keyed call (no exchange to prune them).
    sdes_slots: Vec<KeySlot>,
    /// The recordings, finished at the end of the call.
    recordings: Vec<Recording>,
    /// The video's probe bursts, armed by the rate controller.
    probe_bursts: ProbeBursts,
}

/// The controllers `plan` turns on.
pub fn adapt_settings(plan: &PeerPlan) -> AdaptSettings {
    let resilience = &plan.resilience;
    AdaptSettings {
        rate_control: resilience.rate_control,
        limits: video_rate_limits(&plan.video),
        latency: (resilience.rtx && resilience.adaptive_jitter_buffer).then_some(LatencySettings {
            base_ms: plan.jitter_buffer.as_millis() as u32,
            repair_hold: resilience.repair_hold,
        }),
        audio_red: plan.red_plan().is_some(),
        probe_bursts: plan.sessions()[0].twcc && plan.sessions()[0].rtx.is_some(),
    }
}

/// What the collector reads beyond what every call has.
fn readings(plan: &PeerPlan) -> Readings {
    let plain = plan
        .sessions()
        .map(|session| session.security.srtp.is_none());
    Readings {
        rtx: plan.resilience.rtx,
        video_fec: plan.resilience.fec_percent > 0,
        send_target: plan.resilience.rate_control != RateControl::Off,
        plain,
        twcc: plan.sessions()[0].twcc,
    }
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
            exchange,
            sdes_slots,
            recordings,
        } = built;
        let probe_bursts = counters[0].twcc.bursts.clone();
        let collector = Collector::attach(
            &pipeline,
            &rtpbin,
            counters,
            readings(plan),
            exchange.clone(),
        );
        let adapter = Adapter::new(&adapt_settings(plan));
        // The repair hold reads the latency its jitter buffers start from: through it.
        if let Some(start) = adapter.start_latency() {
            match &repair_hold {
                Some(hold) => hold.apply(&rtpbin, start.ms, start.hold_ms),
                None => rtpbin.set_property("latency", start.ms),
            }
        }
        Peer {
            label: plan.label.clone(),
            summary: None,
            pipeline,
            rtpbin,
            collector,
            computer: StatsComputer::default(),
            adapter,
            repair_hold,
            red_distance: plan.red_plan().map_or(0, |red| red.distance),
            exchange,
            sdes_slots,
            recordings,
            probe_bursts,
        }
    }

    pub fn pipeline(&self) -> &gst::Pipeline {
        &self.pipeline
    }

    /// The key exchange of an encrypted call.
    pub fn exchange(&self) -> Option<&KeyExchange> {
        self.exchange.as_ref()
    }

    /// Starts capture, sending and receiving. A failure (e.g. a socket that cannot be bound)
    /// is reported with GStreamer's own reason.
    pub fn start(&self) -> AppResult<()> {
        self.collector.started();
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
        if let Some(exchange) = &self.exchange {
            exchange.start();
        }
        Ok(())
    }

    /// Polls the pipeline and returns the statistics `now` seconds into the call (a report).
    pub fn snapshot(&mut self, now: f64) -> Snapshot {
        let mut snapshot = self.computer.update(&self.collector.poll(), now);
        snapshot.microphone_muted = crate::build::window::muted(&self.pipeline);
        snapshot.camera_paused = crate::build::window::camera_paused(&self.pipeline);
        snapshot
    }

    /// Hands the peer's transport-wide feedback since the last call to the adapter and applies
    /// what it decides (every `adapt::FEEDBACK_TICK_S`).
    pub fn feedback_tick(&mut self, now: f64) {
        if let Some(window) = self.collector.take_feedback() {
            for action in self.adapter.feedback(&window, now) {
                self.apply(action);
            }
        }
    }

    /// One adaptation tick `now` seconds into the call (every `adapt::TICK_S`): polls the
    /// pipeline once, lets the adapter decide and applies what it decided. Returns the sample
    /// (for `--record-samples`).
    pub fn tick(&mut self, now: f64) -> RawSample {
        let sample = self.collector.poll();
        if let Some(exchange) = &self.exchange {
            let sent = [&sample.video, &sample.audio]
                .iter()
                .filter_map(|m| m.sent.as_ref())
                .map(|s| s.packets)
                .sum();
            exchange.tick(sent);
        }
        for slot in &self.sdes_slots {
            slot.prune();
        }
        for action in self.adapter.tick(&sample, now) {
            self.apply(action);
        }
        sample
    }

    fn apply(&self, action: Action) {
        match action {
            Action::SetLatency { ms, hold_ms } => match &self.repair_hold {
                Some(hold) => hold.apply(&self.rtpbin, ms, hold_ms),
                None => self.rtpbin.set_property("latency", ms),
            },
            Action::SetVideoBitrate { kbps } => {
                if let Some(encoder) = self.pipeline.by_name(names::VIDEO_ENCODER) {
                    encoder.set_property("bitrate", kbps);
                }
            }
            Action::ProbeBurst { bytes, at_once } => self.probe_bursts.arm(bytes, at_once),
            Action::SetRedundancy { on } => {
                let encoder = self
                    .pipeline
                    .by_name(&names::red_enc(Medium::Audio.session_id()));
                if let Some(encoder) = encoder {
                    let distance = if on { self.red_distance } else { 0 };
                    tracing::debug!(on, distance, "audio redundancy distance");
                    encoder.set_property("distance", distance);
                }
            }
            Action::Tell(line) => {
                let prefix = self
                    .label
                    .as_deref()
                    .map(|l| format!("[{l}] "))
                    .unwrap_or_default();
                eprintln!("videocall: {prefix}{line}");
            }
        }
    }

    /// `m`: sends silence instead of the microphone, or the microphone again.
    pub fn toggle_microphone(&self) {
        if let Some(muted) = crate::build::window::toggle_mute(&self.pipeline) {
            tracing::info!(muted, "microphone");
        }
    }

    /// `v`: sends a "video paused" picture instead of the camera, or the camera again.
    pub fn toggle_camera(&self) {
        if let Some(paused) = crate::build::window::toggle_camera(&self.pipeline) {
            tracing::info!(paused, "camera");
        }
    }

    /// Sends the keys pressed in this peer's window (if it has one) to `controls`.
    pub fn forward_keys(&self, controls: &crate::ui::control::Controls) {
        crate::build::window::forward_keys(&self.pipeline, controls);
    }

    /// Finishes the recordings while the call still runs, so each file gets its index and
    /// duration: the end of stream goes into the recording branches only.
    pub fn finish_recordings(&self) {
        let prefix = self
            .label
            .as_deref()
            .map(|l| format!("[{l}] "))
            .unwrap_or_default();
        for recording in &self.recordings {
            let (what, path) = (recording.direction.name(), recording.path.display());
            if recording.finish() {
                eprintln!("videocall: {prefix}recorded what we {what} to {path}");
            } else {
                eprintln!(
                    "videocall: {prefix}the recording {path} was not finalised in time: it plays, without its duration and index"
                );
            }
        }
    }

    /// Stops everything; sockets are closed when this returns.
    pub fn stop(&self) {
        if let Some(exchange) = &self.exchange {
            exchange.stop();
        }
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}
