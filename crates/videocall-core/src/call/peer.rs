//! One side of a call: its pipeline (send and receive chains around one `rtpbin`) and the
//! statistics read from it.

use std::net::{IpAddr, UdpSocket};
use std::time::Duration;

use gst::prelude::*;

use crate::adapt::RateLimits;
use crate::adapt::adapter::RateAdapter;
use crate::adapt::auth::PeerMonitor;
use crate::adapt::gcc::GccSettings;
use crate::adapt::latency::{LatencyGovernor, PathState};
use crate::build::element::add_chain;
use crate::build::fec::{FecPlan, VIDEO_FEC_PT};
use crate::build::probe::ResolvedMedia;
use crate::build::red::{AUDIO_RED_PT, AudioRedundancy, RedPlan};
use crate::build::repair_hold::RepairHold;
use crate::build::rtx::{
    AUDIO_REQUESTS, AUDIO_RTX_PT, RED_RTX_PT, RtxPlan, VIDEO_REQUESTS, VIDEO_RTX_PT,
};
use crate::build::session::{self, RtpBinSettings, SessionPlan};
use crate::build::session::{AacFormats, SessionCounters};
use crate::config::Endpoints;
use crate::config::PeerSecurity;
use crate::config::resilience::Resilience;
use crate::config::{AacPayload, Medium, RateControl, VideoDecoder};
use crate::error::{AppError, AppResult};
use crate::plan::media::*;
use crate::stats::Snapshot;
use crate::stats::collect::Collector;
use crate::stats::compute::StatsComputer;
use crate::stats::model::MediumSample;

/// Everything a peer is built from, decided before any element exists.
#[derive(Debug, Clone)]
pub struct PeerPlan {
    /// Shown in front of reports when several peers share a process (the demo).
    pub label: Option<String>,
    pub endpoints: Endpoints,
    pub media: ResolvedMedia,
    pub video: VideoSettings,
    pub audio: AudioSettings,
    pub jitter_buffer: Duration,
    pub security: PeerSecurity,
    pub resilience: Resilience,
    /// What the peer's SDP says it sends, in place of our own formats.
    pub receive_caps: ReceiveCaps,
}

/// RTP caps of what the peer sends, from its SDP (`--peer-sdp`); `None` takes our own format
/// (and, for audio, either AAC format as the packets show).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReceiveCaps {
    pub video: Option<String>,
    pub audio: Option<String>,
}

impl PeerPlan {
    /// Redundant audio, when on.
    fn red_plan(&self) -> Option<RedPlan> {
        self.resilience.audio_red.then(|| RedPlan {
            session: Medium::Audio.session_id(),
            pt: AUDIO_RED_PT,
            clock_rate: self.audio.rate,
            distance: 1,
        })
    }

    fn session(&self, medium: Medium) -> SessionPlan {
        let red = self.red_plan().filter(|_| medium == Medium::Audio);
        let (ports, rtp_caps, rtx) = match medium {
            Medium::Video => (
                self.endpoints.video,
                video_rtp_caps(&self.video),
                RtxPlan {
                    session: medium.session_id(),
                    pt: self.video.payload_type,
                    rtx_pt: VIDEO_RTX_PT,
                    clock_rate: VIDEO_CLOCK_RATE,
                    media: "video",
                    requests: VIDEO_REQUESTS,
                    also: None,
                },
            ),
            Medium::Audio => (
                self.endpoints.audio,
                audio_rtp_caps(&self.audio, self.audio.payload),
                RtxPlan {
                    session: medium.session_id(),
                    pt: self.audio.payload_type,
                    rtx_pt: AUDIO_RTX_PT,
                    clock_rate: self.audio.rate,
                    media: "audio",
                    requests: AUDIO_REQUESTS,
                    // While redundancy is on, RTX keeps and resends the RED packets.
                    also: red.map(|r| (r.pt, RED_RTX_PT)),
                },
            ),
        };
        let from_sdp = match medium {
            Medium::Video => self.receive_caps.video.clone(),
            Medium::Audio => self.receive_caps.audio.clone(),
        };
        SessionPlan {
            medium,
            local_ip: self.endpoints.local_ip,
            remote_ip: self.endpoints.remote_ip,
            ports,
            aac_formats: (medium == Medium::Audio && from_sdp.is_none()).then(|| AacFormats {
                generic: audio_rtp_caps(&self.audio, AacPayload::Generic),
                latm: audio_rtp_caps(&self.audio, AacPayload::Latm),
                socket: audio_socket_caps(&self.audio),
            }),
            rtp_caps: from_sdp.unwrap_or(rtp_caps),
            security: self.security.session(medium, &self.endpoints),
            rtx: self.resilience.rtx.then_some(rtx),
            red,
            // Video only: an audio packet is a whole frame, and its loss is concealed.
            fec: (medium == Medium::Video && self.resilience.fec_percent > 0).then(|| FecPlan {
                session: medium.session_id(),
                pt: VIDEO_FEC_PT,
                clock_rate: VIDEO_CLOCK_RATE,
                percent: self.resilience.fec_percent,
            }),
            // Transport-wide feedback and GCC's pacer on the video only: the audio's 64 kbit/s
            // is not worth adapting.
            gcc: (medium == Medium::Video && self.resilience.rate_control == RateControl::Gcc)
                .then(|| GccSettings::for_limits(video_rate_limits(&self.video))),
            rtcp_bytes_per_s: match medium {
                // rtpsession's unit; chosen by measurement: at 6000 regular reports were ~0.5 s
                // apart and NACK-driven early packets starved them; at 200 000 a NACK still
                // waited up to 20 ms (p90) for rtpsession's next early-feedback slot, and at
                // 5 % loss those waits made resends miss their deadline. Regular reports stay
                // at T_rr (250 ms): the RTCP actually sent is what feedback needs.
                Medium::Video | Medium::Audio => 1_000_000.0,
            },
        }
    }

    fn cname(&self) -> String {
        format!(
            "videocall-{}-{}@{}",
            std::process::id(),
            self.label.as_deref().unwrap_or("peer"),
            self.endpoints.local_ip
        )
    }
}

/// The least video bit rate the controller goes down to: below it 640x480 is not worth
/// watching, and the audio still gets through.
const MIN_VIDEO_KBPS: u32 = 150;

/// The range the video's rate controller works in: from [`MIN_VIDEO_KBPS`] to the plan's rate.
fn video_rate_limits(video: &VideoSettings) -> RateLimits {
    RateLimits {
        min_kbps: MIN_VIDEO_KBPS,
        max_kbps: video.bitrate_kbps,
    }
}

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
    /// Checks the ports and builds the pipeline.
    pub fn build(plan: &PeerPlan) -> AppResult<Peer> {
        check_receive_ports_free(&plan.endpoints)?;
        let pipeline = gst::Pipeline::with_name(plan.label.as_deref().unwrap_or("videocall"));
        let bin: &gst::Bin = pipeline.upcast_ref();
        let rtpbin = session::add_rtpbin(
            &pipeline,
            &RtpBinSettings {
                latency: plan.jitter_buffer,
                cname: plan.cname(),
                retransmission: plan.resilience.rtx,
                tool: if plan.resilience.audio_red {
                    crate::build::red::TOOL
                } else {
                    "videocall"
                },
            },
        )?;
        let video_send = add_chain(
            bin,
            &video_send_chain(&plan.video, &plan.media.video_source),
        )?;
        let audio_send = add_chain(bin, &audio_send_chain(&plan.audio, plan.media.audio_source))?;
        let video_recv = match plan.video.decoder {
            VideoDecoder::Auto => {
                let depayloader = add_chain(bin, &video_depayloader())?;
                let render = add_chain(bin, &video_render_chain(plan.media.video_sink))?;
                let output = depayloader
                    .last()
                    .expect("a depayloading chain is not empty");
                crate::build::decoder_switch::attach(bin, output, &render[0]);
                depayloader
            }
            _ => add_chain(bin, &video_recv_chain(&plan.video, plan.media.video_sink))?,
        };
        let audio_recv = add_chain(bin, &audio_recv_chain(plan.media.audio_sink))?;
        let audio_depayloaders = add_depayloaders(bin, &audio_recv)?;
        let video_depayloaders = video_recv[..1].to_vec();
        let mut counters = Vec::new();
        for (medium, send, depayloaders) in [
            (Medium::Video, &video_send, &video_depayloaders),
            (Medium::Audio, &audio_send, &audio_depayloaders),
        ] {
            let payloader = send.last().expect("a send chain ends with its payloader");
            counters.push(session::add_session(
                &pipeline,
                &rtpbin,
                &plan.session(medium),
                payloader,
                depayloaders,
            )?);
        }
        let counters: [SessionCounters; 2] = counters.try_into().expect("one per medium");
        if plan.video.decoder == VideoDecoder::OpenH264
            && let Some(decoder) = pipeline.by_name("video-dec")
        {
            crate::build::stale_frames::release_before_each_input(&decoder);
        }
        if let Some(encoder) = pipeline.by_name("video-enc") {
            crate::build::keyframe::key_frame_for_new_receivers(&rtpbin, &encoder);
        }
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
        let repair_hold = latency
            .as_ref()
            .filter(|_| plan.resilience.repair_hold)
            .and_then(|_| {
                let depayloader = video_recv.first()?;
                Some(RepairHold::attach(
                    &rtpbin,
                    Medium::Video.session_id(),
                    depayloader,
                ))
            });
        Ok(Peer {
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
        })
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

/// Makes the audio depayloaders (one per AAC format) and links each to the head of the
/// receive chain, which joins them.
fn add_depayloaders(bin: &gst::Bin, recv: &[gst::Element]) -> AppResult<Vec<gst::Element>> {
    let join = recv.first().expect("a receive chain starts with its join");
    audio_depayloaders()
        .iter()
        .map(|chain| {
            let elements = add_chain(bin, chain)?;
            let last = elements.last().expect("a depayloading chain is not empty");
            last.link(join)
                .map_err(|e| AppError::Media(format!("cannot link {}: {e}", chain[0].name)))?;
            Ok(elements[0].clone())
        })
        .collect()
}

/// One line from a GStreamer error message: the element, the error and its debug detail.
pub fn describe_error(e: &gst::message::Error) -> String {
    let source = e
        .src()
        .map(|s| s.name().to_string())
        .unwrap_or_else(|| "pipeline".into());
    let detail = e
        .debug()
        .map(|d| {
            let d = d.to_string();
            // GStreamer's debug string starts with the source location; keep the last part.
            d.rsplit(":\n").next().unwrap_or(&d).replace('\n', " ")
        })
        .unwrap_or_default();
    format!("{source}: {} {detail}", e.error())
        .trim()
        .to_string()
}

/// Refuses to start when one of our four reception ports is taken, naming the port.
pub fn check_receive_ports_free(endpoints: &Endpoints) -> AppResult<()> {
    let names = [
        "video RTP reception",
        "video RTCP reception",
        "audio RTP reception",
        "audio RTCP reception",
    ];
    for (port, name) in endpoints.receive_ports().into_iter().zip(names) {
        bind_check(endpoints.local_ip, port, name)?;
    }
    Ok(())
}

fn bind_check(ip: IpAddr, port: u16, name: &str) -> AppResult<()> {
    UdpSocket::bind((ip, port)).map(drop).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::AddrInUse => "is already in use".to_string(),
            std::io::ErrorKind::AddrNotAvailable => format!("cannot be bound: {ip} is not ours"),
            std::io::ErrorKind::PermissionDenied => "needs more privileges".to_string(),
            _ => format!("cannot be bound: {e}"),
        };
        AppError::Network(format!("port {port} on {ip} ({name}) {why}"))
    })
}
