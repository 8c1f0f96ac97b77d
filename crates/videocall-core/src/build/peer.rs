//! Builds one peer's pipeline from its plan: the send and receive chains around one `rtpbin`.

use std::net::{IpAddr, UdpSocket};

use gst::prelude::*;

use crate::build::element::add_chain;
use crate::build::key_exchange::{KeyExchange, SessionKeying};
use crate::build::record::Recording;
use crate::build::repair_hold::RepairHold;
use crate::build::session::{self, SessionCounters};
use crate::build::source_filter::SourceLock;
use crate::build::srtp::KeySlot;
use crate::config::{Endpoints, Medium, VideoDecoder};
use crate::error::{AppError, AppResult};
use crate::plan::ElementSpec;
use crate::plan::names;
use crate::plan::peer::PeerPlan;
use crate::plan::peer::VideoReceive;

/// A peer's pipeline as built from its plan, not yet running, with what the running call
/// needs to reach inside it.
pub struct BuiltPeer {
    pub pipeline: gst::Pipeline,
    pub rtpbin: gst::Element,
    /// What each session counts on its own (video, audio).
    pub counters: [SessionCounters; 2],
    /// Video's repair hold, when planned: it re-times the jitter buffers with the latency.
    pub repair_hold: Option<RepairHold>,
    /// The key exchange of an encrypted call.
    pub exchange: Option<KeyExchange>,
    /// The key slots of an SDES-keyed call (`--sdp-crypto`): the running call prunes their
    /// decoders' failing streams, as the exchange does its own.
    pub sdes_slots: Vec<KeySlot>,
    /// The recordings (`--record`, `--record-sent`), finished before the pipeline stops.
    pub recordings: Vec<Recording>,
}

/// Checks the ports and builds the pipeline.
pub fn build_peer(plan: &PeerPlan) -> AppResult<BuiltPeer> {
    check_receive_ports_free(&plan.endpoints)?;
    let pipeline = gst::Pipeline::with_name(plan.label.as_deref().unwrap_or("videocall"));
    let bin: &gst::Bin = pipeline.upcast_ref();
    let rtpbin = session::add_rtpbin(&pipeline, &plan.rtpbin())?;
    let chains = plan.chains();
    let video_send = add_chain(bin, &chains.video_send)?;
    let audio_send = add_chain(bin, &chains.audio_send)?;
    let video_depayloader = match &chains.video_receive {
        VideoReceive::ByProfile {
            depayloader,
            render,
            ..
        } => {
            let depayloader = add_chain(bin, depayloader)?;
            let render = add_chain(bin, render)?;
            let output = depayloader
                .last()
                .expect("a depayloading chain is not empty");
            crate::build::decoder_switch::attach(bin, output, &render[0]);
            depayloader[0].clone()
        }
        VideoReceive::Fixed(chain) => add_chain(bin, chain)?[0].clone(),
    };
    let audio_recv = add_chain(bin, &chains.audio_receive)?;
    let audio_depayloaders = add_depayloaders(bin, &chains.audio_depayloaders, &audio_recv)?;
    crate::build::window::add_paused_picture(bin, &chains.video_paused)?;
    if let (Some(chain), Some(window)) = (&chains.self_view, &plan.window) {
        crate::build::window::add_self_view(bin, chain, window)?;
    }
    let video_depayloaders = vec![video_depayloader.clone()];
    let recordings = plan
        .recordings()
        .iter()
        .map(|recording| crate::build::record::attach(&pipeline, recording))
        .collect::<AppResult<Vec<_>>>()?;
    let exchange = plan.exchange().map(|x| {
        let sessions = [Medium::Video, Medium::Audio]
            .into_iter()
            .map(|medium| SessionKeying {
                medium,
                slot: KeySlot::new(x.suite),
                locks: x
                    .lock_sources
                    .then(|| (SourceLock::default(), SourceLock::default())),
            })
            .collect();
        KeyExchange::new(x, sessions, &pipeline)
    });
    // SDES keying: each session's slot holds its keys from the start, and nothing is gated.
    let sdes: Vec<SessionKeying> = plan
        .sessions()
        .iter()
        .filter_map(|session| {
            let security = &session.security;
            Some(SessionKeying {
                medium: session.medium,
                slot: KeySlot::keyed(security.srtp?, security.sdes.as_ref()?),
                locks: security
                    .only_from
                    .map(|_| (SourceLock::default(), SourceLock::default())),
            })
        })
        .collect();
    let mut counters = Vec::new();
    for (session_plan, send, depayloaders) in plan
        .sessions()
        .iter()
        .zip([
            (&video_send, &video_depayloaders),
            (&audio_send, &audio_depayloaders),
        ])
        .map(|(s, (send, depay))| (s, send, depay))
    {
        let payloader = send.last().expect("a send chain ends with its payloader");
        let medium = session_plan.medium;
        let keying = match &exchange {
            Some(x) => x.session(medium),
            None => sdes.iter().find(|k| k.medium == medium),
        };
        counters.push(session::add_session(
            &pipeline,
            &rtpbin,
            session_plan,
            payloader,
            depayloaders,
            keying,
            exchange.as_ref(),
        )?);
    }
    let counters: [SessionCounters; 2] = counters.try_into().expect("one per medium");
    if plan.video.decoder == VideoDecoder::OpenH264
        && let Some(decoder) = pipeline.by_name(names::VIDEO_DECODER)
    {
        crate::build::workarounds::stale_frames::release_before_each_input(&decoder);
    }
    if let Some(encoder) = pipeline.by_name(names::VIDEO_ENCODER) {
        crate::build::keyframe::limit_key_frame_requests(&encoder);
        crate::build::keyframe::key_frame_for_new_receivers(
            &rtpbin,
            &encoder,
            plan.key_frame_signal(),
        );
    }
    let repair_hold = plan
        .repair_hold()
        .then(|| RepairHold::attach(&rtpbin, Medium::Video.session_id(), &video_depayloader));
    Ok(BuiltPeer {
        pipeline,
        rtpbin,
        counters,
        repair_hold,
        exchange,
        sdes_slots: sdes.into_iter().map(|k| k.slot).collect(),
        recordings,
    })
}

/// Makes the audio depayloaders (one per AAC format) and links each to the head of the
/// receive chain, which joins them.
fn add_depayloaders(
    bin: &gst::Bin,
    chains: &[Vec<ElementSpec>],
    recv: &[gst::Element],
) -> AppResult<Vec<gst::Element>> {
    let join = recv.first().expect("a receive chain starts with its join");
    chains
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
