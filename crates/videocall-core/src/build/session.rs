//! Wires one `rtpbin` session: payloader → rtpbin → udpsink (RTP and RTCP), udpsrc (RTP and
//! RTCP) → rtpbin → depayloader. Element names are deterministic (`udpsrc-rtp-0`, …) so stats
//! and tests can find them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gst::prelude::*;

use crate::build::congestion;
use crate::build::element::make_element;
use crate::build::fec::{self, FecPlan};
use crate::build::red::{self, RedPlan};
use crate::build::rtx::{self, RtxPlan};
use crate::build::source_filter::{self, RejectCounter};
use crate::build::srtp;
use crate::config::StreamPorts;
use crate::config::{AacPayload, Medium, SessionSecurity};
use crate::error::{AppError, AppResult};
use crate::plan::media::ElementSpec;
use crate::plan::rate::GccSettings;

/// Settings of the whole `rtpbin`, shared by both sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct RtpBinSettings {
    /// Jitter-buffer latency.
    pub latency: Duration,
    /// RTCP SDES CNAME: unique per peer, so a restarted peer is a new participant.
    pub cname: String,
    /// Ask for lost packets to be resent (RFC 4588 RTX, NACK-driven).
    pub retransmission: bool,
    /// RTCP SDES TOOL: our name, and what our receiver takes beyond the standard (`red::TOOL`).
    pub tool: &'static str,
}

/// One medium's transport: where to receive, where to send, and the caps of what arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPlan {
    pub medium: Medium,
    pub local_ip: IpAddr,
    pub remote_ip: IpAddr,
    pub ports: StreamPorts,
    /// Caps of the RTP we receive (what an SDP answer would say).
    pub rtp_caps: String,
    /// Audio without an SDP: the caps of either AAC format, chosen by what the peer sends.
    pub aac_formats: Option<AacFormats>,
    /// SRTP keys and the peer-only filter (see `security`).
    pub security: SessionSecurity,
    /// Retransmission of lost packets (RFC 4588), both ways, when set.
    pub rtx: Option<RtxPlan>,
    /// Forward error correction (ULPFEC), both ways, when set.
    pub fec: Option<FecPlan>,
    /// Redundant audio (RED), both ways, when set.
    pub red: Option<RedPlan>,
    /// Google Congestion Control of what we send (`rtp::congestion`), when set.
    pub gcc: Option<GccSettings>,
    /// RTCP budget (rtpsession's `rtcp-fraction` as an absolute value). Under AVPF there is no
    /// 5 s minimum, so this sets how soon NACKs, PLIs and receiver reports (the rate
    /// controller's input) reach the sender: at rtpbin's default a NACK waited up to 0.5 s.
    pub rtcp_bytes_per_s: f64,
}

impl SessionPlan {
    /// The UDP elements of this session, with their settings.
    pub fn udp_elements(&self) -> [ElementSpec; 4] {
        let id = self.medium.session_id();
        let local = self.local_ip.to_string();
        let remote = self.remote_ip.to_string();
        let udpsrc = |name: String, port: u16, caps: Option<&str>| {
            let mut props = vec![
                ("address", local.clone()),
                ("port", port.to_string()),
                // Never share our port with another process: a second binder would steal packets.
                ("reuse", "false".to_string()),
            ];
            if let Some(caps) = caps {
                props.push(("caps", caps.to_string()));
            }
            ElementSpec {
                factory: "udpsrc",
                name,
                props,
            }
        };
        let udpsink = |name: String, port: u16| ElementSpec {
            factory: "udpsink",
            name,
            props: vec![
                ("host", remote.clone()),
                ("port", port.to_string()),
                ("bind-address", local.clone()),
                // Send as soon as rtpbin hands a packet over; pacing is the encoder's business,
                // and RTCP must not wait for preroll.
                ("sync", "false".to_string()),
                ("async", "false".to_string()),
            ],
        };
        let socket_caps = self
            .aac_formats
            .as_ref()
            .map_or(&self.rtp_caps, |formats| &formats.socket);
        let (rtp_caps, rtcp_caps) = match &self.security.srtp {
            Some(_) => {
                let (rtp, rtcp) = srtp::encrypted_caps(socket_caps);
                (rtp, Some(rtcp))
            }
            None => (socket_caps.clone(), None),
        };
        [
            udpsrc(
                format!("udpsrc-rtp-{id}"),
                self.ports.recv_rtp,
                Some(&rtp_caps),
            ),
            udpsrc(
                format!("udpsrc-rtcp-{id}"),
                self.ports.recv_rtcp(),
                rtcp_caps,
            ),
            udpsink(format!("udpsink-rtp-{id}"), self.ports.dest_rtp),
            udpsink(format!("udpsink-rtcp-{id}"), self.ports.dest_rtcp()),
        ]
    }
}

/// The receive caps of both AAC formats (`media::plan::audio_rtp_caps`).
#[derive(Debug, Clone, PartialEq)]
pub struct AacFormats {
    pub generic: String,
    pub latm: String,
    /// The socket's caps (`media::plan::audio_socket_caps`).
    pub socket: String,
}

/// Senders kept per session at once (`rtpbin`'s `max-streams`).
pub const MAX_STREAMS: u32 = 16;

/// How often full RTCP reports go out at most (RFC 4585 T_rr_interval).
pub const RTCP_REPORT_INTERVAL: Duration = Duration::from_millis(250);

/// The bin rtpbin's `request-aux-sender`/`request-aux-receiver` want: `sink_{session}` →
/// `elements` in a chain → `src_{session}`.
fn aux_bin(session: u32, role: &str, elements: &[gst::Element]) -> AppResult<gst::Element> {
    let err = |what: &str| AppError::Media(format!("cannot build the {role} bin: {what}"));
    let (Some(first), Some(last)) = (elements.first(), elements.last()) else {
        return Err(err("no elements"));
    };
    let bin = gst::Bin::with_name(&format!("aux-{role}-{session}"));
    bin.add_many(elements).map_err(|e| err(&e.to_string()))?;
    gst::Element::link_many(elements).map_err(|e| err(&e.to_string()))?;
    for (element, inner, outer) in [(first, "sink", "sink"), (last, "src", "src")] {
        let pad = element
            .static_pad(inner)
            .ok_or_else(|| err("an element without pads"))?;
        let ghost = gst::GhostPad::builder_with_target(&pad)
            .map_err(|e| err(&e.to_string()))?
            .name(format!("{outer}_{session}"))
            .build();
        bin.add_pad(&ghost).map_err(|e| err(&e.to_string()))?;
    }
    Ok(bin.upcast())
}

/// What goes between the payloader and rtpsession (FEC parity, then the RTX history, so that
/// resent packets carry the sequence numbers the receiver saw, then GCC's pacer right before
/// rtpsession as webrtcbin places it: resends are paced too, and it gets rtpsession's
/// transport-wide feedback events first), and between the socket and the jitter buffer (RTX
/// restoration).
fn aux_elements(
    session: u32,
    role: &str,
    rtx: Option<RtxPlan>,
    fec: Option<FecPlan>,
    red: Option<RedPlan>,
    gcc: Option<GccSettings>,
) -> AppResult<Vec<gst::Element>> {
    let mut elements = Vec::new();
    if role == "sender" {
        if let Some(red) = red {
            elements.push(make_element(&red.encoder_spec())?);
        }
        if let Some(fec) = fec {
            elements.push(make_element(&fec.encoder_spec())?);
        }
        if let Some(rtx) = rtx {
            elements.push(rtx::make_sender(&rtx)?);
        }
        if let Some(gcc) = gcc {
            elements.push(congestion::make_estimator(session, &gcc)?);
        }
    } else {
        if let Some(rtx) = rtx {
            elements.push(rtx::make_receiver(&rtx)?);
        }
        if let Some(red) = red {
            elements.push(red::make_decoder(&red)?);
        }
    }
    Ok(elements)
}

/// Answers rtpbin's requests for the session's auxiliary sender and receiver.
fn connect_aux(
    rtpbin: &gst::Element,
    session: u32,
    rtx: Option<RtxPlan>,
    fec: Option<FecPlan>,
    red: Option<RedPlan>,
    gcc: Option<GccSettings>,
) {
    for (signal, role) in [
        ("request-aux-sender", "sender"),
        ("request-aux-receiver", "receiver"),
    ] {
        rtpbin.connect(signal, false, move |args| {
            // glib wants a value of the signal's type even for "none": a NULL element lets
            // the handler of the other session answer.
            let none = Some(None::<gst::Element>.to_value());
            if args[1].get::<u32>().ok()? != session {
                return none;
            }
            let bin = aux_elements(session, role, rtx, fec, red, gcc).and_then(|elements| {
                if elements.is_empty() {
                    return Ok(None);
                }
                aux_bin(session, role, &elements).map(Some)
            });
            match bin {
                Ok(bin) => Some(bin.to_value()),
                Err(e) => {
                    tracing::warn!(session, "no retransmission or FEC: {e}");
                    none
                }
            }
        });
    }
}

/// Parses the caps of an optional payload type (`what` names it in the error).
fn parse_caps(what: &str, caps: Option<String>) -> AppResult<Option<gst::Caps>> {
    caps.map(|c| {
        c.parse::<gst::Caps>()
            .map_err(|_| AppError::Media(format!("invalid {what} caps: {c}")))
    })
    .transpose()
}

/// Parses rtpbin's `recv_rtp_src_{session}_{ssrc}_{pt}` pad name.
pub fn parse_recv_pad_name(name: &str) -> Option<(u32, u32, u8)> {
    let mut parts = name.strip_prefix("recv_rtp_src_")?.split('_');
    let session = parts.next()?.parse().ok()?;
    let ssrc = parts.next()?.parse().ok()?;
    let pt = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((session, ssrc, pt))
}

/// Adds the `rtpbin` with the call-wide settings. Its per-session receive pads are linked by
/// [`add_session`].
pub fn add_rtpbin(pipeline: &gst::Pipeline, settings: &RtpBinSettings) -> AppResult<gst::Element> {
    let rtpbin = make_element(&ElementSpec {
        factory: "rtpbin",
        name: "rtpbin".into(),
        props: vec![
            ("latency", settings.latency.as_millis().to_string()),
            // AVPF: RTCP feedback (PLI, later NACK) is sent at once instead of on the RTCP schedule.
            ("rtp-profile", "avpf".into()),
            // Drop the pads of a peer that went away, so a restarted peer gets fresh ones.
            ("autoremove", "true".into()),
            // Tell the decoders about lost packets so they can conceal instead of stalling.
            ("do-lost", "true".into()),
            // Lip sync moves a stream's offset by at most 5 ms per frame: a wrong first RTCP
            // SR otherwise made a joining peer's video lose sync for good (docs/benchmarks.md).
            ("max-ts-offset-adjustment", "5000000".into()),
            // Jitter buffers ask for missing packets (NACK); only sessions with an RTX plan
            // answer them (see `rtx`).
            ("do-retransmission", settings.retransmission.to_string()),
            // A bound on the senders one session keeps (with jitter buffers) at once: the peer
            // needs two (media and RTX) and a restart two more; made-up SSRCs by the thousand
            // are dropped past it instead of growing the pipeline.
            ("max-streams", MAX_STREAMS.to_string()),
        ],
    })?;
    let sdes = gst::Structure::builder("application/x-rtp-source-sdes")
        .field("cname", settings.cname.as_str())
        .field("tool", settings.tool)
        .build();
    rtpbin.set_property("sdes", &sdes);
    pipeline
        .add(&rtpbin)
        .map_err(|e| AppError::Media(format!("cannot add rtpbin: {e}")))?;
    Ok(rtpbin)
}

/// Wires one session into `rtpbin`: `payloader` is the last element of the send chain,
/// `depayloaders` the receive chains' first elements, one per format we take. Every sender (a
/// peer that restarted has a new SSRC) is funnelled into the depayloader of its format, so the
/// call carries on. Returns the session's counters.
pub fn add_session(
    pipeline: &gst::Pipeline,
    rtpbin: &gst::Element,
    plan: &SessionPlan,
    payloader: &gst::Element,
    depayloaders: &[gst::Element],
) -> AppResult<SessionCounters> {
    let id = plan.medium.session_id();
    let link_err = |what: &str| AppError::Media(format!("cannot link {what} of session {id}"));
    let [rtp_src, rtcp_src, rtp_sink, rtcp_sink] = plan.udp_elements().map(|s| make_element(&s));
    let (rtp_src, rtcp_src, rtp_sink, rtcp_sink) = (rtp_src?, rtcp_src?, rtp_sink?, rtcp_sink?);
    // rtpbin asks for these while the session's pads are requested below.
    connect_aux(rtpbin, id, plan.rtx, plan.fec, plan.red, plan.gcc);
    if plan.gcc.is_some() {
        congestion::add_twcc_extension(payloader)?;
    }
    if let Some(plan) = plan.fec {
        fec::connect_receiver(rtpbin, plan);
    }
    if let Some(rtx) = plan.rtx {
        rtx::connect_request_timing(rtpbin, id, rtx.requests);
    }
    pipeline
        .add_many([&rtp_src, &rtcp_src, &rtp_sink, &rtcp_sink])
        .map_err(|_| link_err("UDP elements"))?;
    // SRTP and the source filter go in before the pads are requested: rtpbin asks for the
    // encoder and decoder then.
    if let Some(keys) = &plan.security.srtp {
        srtp::attach(rtpbin, id, keys);
    }
    let rejected = RejectCounter::default();
    for src in [&rtp_src, &rtcp_src] {
        source_filter::install(src, plan.security.only_from, &rejected);
    }

    payloader
        .link_pads(Some("src"), rtpbin, Some(&format!("send_rtp_sink_{id}")))
        .map_err(|_| link_err("payloader"))?;
    rtpbin
        .link_pads(Some(&format!("send_rtp_src_{id}")), &rtp_sink, Some("sink"))
        .map_err(|_| link_err("RTP sender"))?;
    rtpbin
        .link_pads(
            Some(&format!("send_rtcp_src_{id}")),
            &rtcp_sink,
            Some("sink"),
        )
        .map_err(|_| link_err("RTCP sender"))?;
    rtp_src
        .link_pads(Some("src"), rtpbin, Some(&format!("recv_rtp_sink_{id}")))
        .map_err(|_| link_err("RTP receiver"))?;
    rtcp_src
        .link_pads(Some("src"), rtpbin, Some(&format!("recv_rtcp_sink_{id}")))
        .map_err(|_| link_err("RTCP receiver"))?;

    if let Some(session) =
        rtpbin.emit_by_name::<Option<gst::glib::Object>>("get-internal-session", &[&id])
    {
        session.set_property("rtcp-fraction", plan.rtcp_bytes_per_s);
        // A call has two participants, but with RTX each side has two SSRCs: count them all,
        // or rtpsession leaves immediate-feedback mode and holds NACKs for the next regular
        // report, by which time their deadline has passed.
        session.set_property("rtcp-immediate-feedback-threshold", 8u32);
        // Under AVPF this is T_rr_interval: full receiver reports (the rate controller's
        // input) only this often. rtpsession's 5 s default would make rate adaptation sluggish.
        session.set_property("rtcp-min-interval", RTCP_REPORT_INTERVAL.as_nanos() as u64);
    }

    // rtpbin asks for the caps of a payload type it has not seen on the socket (e.g. after
    // the peer restarted): answer from the plan.
    let caps: gst::Caps = plan
        .rtp_caps
        .parse()
        .map_err(|_| AppError::Media(format!("invalid caps in plan: {}", plan.rtp_caps)))?;
    let planned_pt = caps
        .structure(0)
        .and_then(|s| s.get::<i32>("payload").ok())
        .and_then(|pt| u32::try_from(pt).ok());
    // Without an SDP that fixes it, AAC comes in either format: the caps follow what the
    // peer's packets show (`watch_aac_format`).
    let aac_caps = match &plan.aac_formats {
        Some(formats) => Some([
            parse_caps("AAC", Some(formats.generic.clone()))?,
            parse_caps("AAC", Some(formats.latm.clone()))?,
        ]),
        None => None,
    };
    let counters = SessionCounters {
        rejected,
        ..SessionCounters::default()
    };
    if let (Some(_), Some(pt)) = (&aac_caps, planned_pt) {
        watch_aac_format(rtpbin, id, pt as u8, counters.aac_format.clone());
    }
    let rtx_caps = parse_caps("RTX", plan.rtx.map(|r| r.rtx_caps()))?;
    let rtx_pt = plan.rtx.map(|r| u32::from(r.rtx_pt));
    let (also_rtx_pt, also_rtx_caps) = match plan.rtx.and_then(|r| r.also_rtx_caps()) {
        Some((pt, caps)) => (Some(u32::from(pt)), parse_caps("RTX", Some(caps))?),
        None => (None, None),
    };
    let fec_caps = parse_caps("FEC", plan.fec.map(|f| f.fec_caps()))?;
    let fec_pt = plan.fec.map(|f| u32::from(f.pt));
    let red_caps = parse_caps("RED", plan.red.map(|r| r.red_caps()))?;
    let red_pt = plan.red.map(|r| u32::from(r.pt));
    let aac_format = counters.aac_format.clone();
    // Only our payload types have caps (the media's and, with RTX and FEC, its
    // retransmission and parity types): any other (garbage, or another session's question)
    // gets a typed NULL, so rtpbin drops it; a bare None would make glib abort the process.
    rtpbin.connect("request-pt-map", false, move |args| {
        let session = args[1].get::<u32>().ok();
        let pt = args[2].get::<u32>().ok();
        let media_caps = match (&aac_caps, aac_format.latest()) {
            (Some([_, latm]), Some(AacPayload::Latm)) => latm.clone(),
            (Some([generic, _]), _) => generic.clone(),
            (None, _) => Some(caps.clone()),
        };
        let answer = match (session == Some(id), pt) {
            (true, Some(pt)) if Some(pt) == planned_pt => media_caps,
            (true, Some(pt)) if Some(pt) == rtx_pt => rtx_caps.clone(),
            (true, Some(pt)) if Some(pt) == also_rtx_pt => also_rtx_caps.clone(),
            (true, Some(pt)) if Some(pt) == fec_pt => fec_caps.clone(),
            (true, Some(pt)) if Some(pt) == red_pt => red_caps.clone(),
            _ => None,
        };
        Some(answer.to_value())
    });

    // Every sender's pad feeds a depayloader through a funnel (one per depayloader: one per
    // format we take): a peer that restarts (new SSRC) simply takes over, and a forged sender
    // cannot unlink the real one.
    let mut funnels = Vec::new();
    for (i, depayloader) in depayloaders.iter().enumerate() {
        let funnel = make_element(&ElementSpec {
            factory: "funnel",
            name: match i {
                0 => format!("{}-funnel", plan.medium.name()),
                i => format!("{}-funnel-{i}", plan.medium.name()),
            },
            props: vec![],
        })?;
        pipeline.add(&funnel).map_err(|_| link_err("funnel"))?;
        funnel
            .link(depayloader)
            .map_err(|_| link_err("depayloader"))?;
        super::payload_guard::install(depayloader);
        funnels.push(funnel.downgrade());
    }
    let inputs: Arc<Mutex<HashMap<String, (gst::Element, gst::Pad)>>> = Arc::default();
    let (added, removed) = (inputs.clone(), inputs);
    let unplayable = counters.unplayable.clone();
    let sender_lock = super::one_sender::SenderLock::new(counters.unplayable.clone());
    rtpbin.connect_pad_added(move |_, pad| {
        let Some((session, ssrc, pt)) = parse_recv_pad_name(&pad.name()) else {
            return;
        };
        if session != id {
            return;
        }
        sender_lock.install(pad, ssrc);
        // The first depayloader that takes the sender's format gets it.
        for funnel in funnels.iter().filter_map(|f| f.upgrade()) {
            let Some(input) = funnel.request_pad_simple("sink_%u") else {
                continue;
            };
            if pad.link(&input).is_ok() {
                tracing::info!(session, ssrc, pt, "receiving a new sender");
                if let Ok(mut map) = added.lock() {
                    map.insert(pad.name().to_string(), (funnel, input));
                }
                return;
            }
            funnel.release_request_pad(&input);
        }
        // A format we cannot play (another payload type, someone else's stream): an unlinked
        // rtpbin pad would fail the whole pipeline with not-linked, so its packets are dropped
        // here and counted.
        tracing::info!(session, ssrc, pt, "dropping a sender we cannot play");
        let counter = unplayable.clone();
        pad.add_probe(
            gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
            move |_, _| {
                counter.add(1);
                gst::PadProbeReturn::Drop
            },
        );
    });
    rtpbin.connect_pad_removed(move |_, pad| {
        let entry = removed
            .lock()
            .ok()
            .and_then(|mut m| m.remove(pad.name().as_str()));
        if let Some((funnel, input)) = entry {
            funnel.release_request_pad(&input);
        }
    });
    Ok(counters)
}

/// What one session counts on its own, read by the stats collector.
#[derive(Debug, Clone, Default)]
pub struct SessionCounters {
    /// Datagrams the peer-only filter dropped (see `build::source_filter`).
    pub rejected: RejectCounter,
    /// RTP packets of senders whose format we cannot play, dropped.
    pub unplayable: RejectCounter,
    /// The AAC format the peer's packets showed last (audio without an SDP only).
    pub aac_format: AacFormatSeen,
}

/// The AAC format seen in the peer's packets, shared between the streaming threads that see
/// it and the main loop: the latest sign (for the caps rtpbin asks for at a sender's first
/// packet) and the format a sender settled on (for the user).
#[derive(Debug, Clone, Default)]
pub struct AacFormatSeen {
    latest: Arc<std::sync::atomic::AtomicU8>,
    settled: Arc<std::sync::atomic::AtomicU8>,
}

impl AacFormatSeen {
    /// The format of the latest packet that showed one.
    pub fn latest(&self) -> Option<AacPayload> {
        Self::decode(&self.latest)
    }

    /// The format the latest sender settled on.
    pub fn get(&self) -> Option<AacPayload> {
        Self::decode(&self.settled)
    }

    fn decode(slot: &std::sync::atomic::AtomicU8) -> Option<AacPayload> {
        match slot.load(std::sync::atomic::Ordering::Relaxed) {
            1 => Some(AacPayload::Generic),
            2 => Some(AacPayload::Latm),
            _ => None,
        }
    }

    fn encode(format: AacPayload) -> u8 {
        match format {
            AacPayload::Generic => 1,
            AacPayload::Latm => 2,
        }
    }

    fn set_latest(&self, format: AacPayload) {
        let code = Self::encode(format);
        self.latest
            .store(code, std::sync::atomic::Ordering::Relaxed);
    }

    fn settle(&self, format: AacPayload) {
        let code = Self::encode(format);
        self.settled
            .store(code, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Packets in a row of one format that settle a sender's AAC format: random bytes pass one
/// format's check now and then, never several times in a row.
const AAC_FORMAT_RUN: u32 = 3;

/// Looks at the AAC packets (payload type `pt`) entering session `id`'s rtpsession (after SRTP,
/// before anything asks for the payload type's caps: rtpbin keeps the first answer) until
/// [`AAC_FORMAT_RUN`] in a row of one sender show the same format; a new sender is looked at
/// again. Settled senders cost one comparison a packet.
fn watch_aac_format(rtpbin: &gst::Element, id: u32, pt: u8, seen: AacFormatSeen) {
    let Some(sink) = rtpbin
        .emit_by_name::<Option<gst::Element>>("get-session", &[&id])
        .and_then(|session| session.static_pad("recv_rtp_sink"))
    else {
        return tracing::warn!(session = id, "no rtpsession to watch the AAC format on");
    };
    // (the sender being looked at, its format so far and how many in a row, settled or not)
    let state: Mutex<(u32, Option<AacPayload>, u32, bool)> = Mutex::new((0, None, 0, false));
    sink.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        let Some(rtp) = info
            .buffer()
            .and_then(|b| gst_rtp::RTPBuffer::from_buffer_readable(b).ok())
        else {
            return gst::PadProbeReturn::Ok;
        };
        let Ok(mut state) = state.lock() else {
            return gst::PadProbeReturn::Ok;
        };
        let ssrc = rtp.ssrc();
        if rtp.payload_type() != pt || (state.0 == ssrc && state.3) {
            return gst::PadProbeReturn::Ok;
        }
        if state.0 != ssrc {
            *state = (ssrc, None, 0, false);
        }
        let format = rtp
            .payload()
            .ok()
            .and_then(super::payload_guard::classify_aac);
        // The caps are asked for at a sender's first packet: answer from the first sign.
        if let Some(format) = format {
            seen.set_latest(format);
        }
        let run = match (format, state.1) {
            (Some(f), Some(last)) if f == last => state.2 + 1,
            (f, _) => u32::from(f.is_some()),
        };
        state.1 = format;
        state.2 = run;
        if let Some(format) = format.filter(|_| run >= AAC_FORMAT_RUN) {
            state.3 = true;
            seen.settle(format);
        }
        gst::PadProbeReturn::Ok
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recv_pad_names_parse() {
        assert_eq!(
            parse_recv_pad_name("recv_rtp_src_1_3735928559_97"),
            Some((1, 3735928559, 97))
        );
        assert_eq!(parse_recv_pad_name("send_rtp_src_0"), None);
        assert_eq!(parse_recv_pad_name("recv_rtp_src_0_1"), None);
        assert_eq!(parse_recv_pad_name("recv_rtp_src_0_1_2_3"), None);
    }

    #[test]
    fn the_aux_sender_chains_rtx_before_gccs_pacer() {
        crate::build::element::init_gstreamer().unwrap();
        let rtx = RtxPlan {
            session: 0,
            pt: 96,
            rtx_pt: 98,
            clock_rate: 90_000,
            media: "video",
            requests: rtx::VIDEO_REQUESTS,
            also: None,
        };
        let gcc = GccSettings::for_limits(crate::plan::rate::RateLimits {
            min_kbps: 150,
            max_kbps: 2000,
        });
        let elements = aux_elements(0, "sender", Some(rtx), None, None, Some(gcc)).unwrap();
        let names: Vec<_> = elements.iter().map(|e| e.name().to_string()).collect();
        assert_eq!(names, ["rtx-send-0", &congestion::estimator_name(0)]);
        assert_eq!(elements[1].property::<u32>("max-bitrate"), gcc.max_bps);
        let bin = aux_bin(0, "sender", &elements).unwrap();
        assert!(bin.static_pad("sink_0").is_some() && bin.static_pad("src_0").is_some());
        // GCC alone; and the receiver never gets the pacer.
        assert_eq!(
            aux_elements(0, "sender", None, None, None, Some(gcc))
                .unwrap()
                .len(),
            1
        );
        assert!(
            aux_elements(0, "receiver", None, None, None, Some(gcc))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn redundant_audio_is_wrapped_before_the_rtx_history_and_unwrapped_after_rtx() {
        crate::build::element::init_gstreamer().unwrap();
        let red = RedPlan {
            session: 1,
            pt: crate::build::red::AUDIO_RED_PT,
            clock_rate: 48_000,
            distance: 1,
        };
        // RTX keeps and resends the RED packets: its media payload type is RED's.
        let rtx = RtxPlan {
            session: 1,
            pt: red.pt,
            rtx_pt: rtx::AUDIO_RTX_PT,
            clock_rate: 48_000,
            media: "audio",
            requests: rtx::AUDIO_REQUESTS,
            also: None,
        };
        let names = |role| -> Vec<String> {
            aux_elements(1, role, Some(rtx), None, Some(red), None)
                .unwrap()
                .iter()
                .map(|e| e.name().to_string())
                .collect()
        };
        assert_eq!(names("sender"), ["red-enc-1", "rtx-send-1"]);
        assert_eq!(names("receiver"), ["rtx-recv-1", "red-dec-1"]);
    }

    #[test]
    fn udp_plan_follows_the_port_convention() {
        let plan = SessionPlan {
            medium: Medium::Audio,
            local_ip: "127.0.0.1".parse().unwrap(),
            remote_ip: "127.0.0.2".parse().unwrap(),
            ports: StreamPorts {
                dest_rtp: 6000,
                recv_rtp: 7000,
            },
            rtp_caps: "application/x-rtp".into(),
            aac_formats: None,
            security: Default::default(),
            rtx: None,
            fec: None,
            red: None,
            gcc: None,
            rtcp_bytes_per_s: 1000.0,
        };
        let [rtp_in, rtcp_in, rtp_out, rtcp_out] = plan.udp_elements();
        assert_eq!(rtp_in.name, "udpsrc-rtp-1");
        assert_eq!(rtp_in.get("port"), Some("7000"));
        assert_eq!(rtcp_in.get("port"), Some("7001"));
        assert_eq!(rtp_out.get("port"), Some("6000"));
        assert_eq!(rtcp_out.get("port"), Some("6001"));
        assert_eq!(rtcp_out.get("host"), Some("127.0.0.2"));
        assert_eq!(rtp_in.get("reuse"), Some("false"));
    }
}
