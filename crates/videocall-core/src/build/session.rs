//! Wires one `rtpbin` session: payloader → rtpbin → udpsink (RTP and RTCP), udpsrc (RTP and
//! RTCP) → rtpbin → depayloader. Element names are deterministic (`udpsrc-rtp-0`, …) so stats
//! and tests can find them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gst::prelude::*;

use crate::build::element::make_element;
use crate::build::key_exchange::{KeyExchange, SessionKeying};
use crate::build::source_filter::{self, FilterHooks, RejectCounter};
use crate::build::srtp::DecoderHooks;
use crate::build::{congestion, fec, rtx, srtp, workarounds};
use crate::config::AacPayload;
use crate::error::{AppError, AppResult};
use crate::plan::ElementSpec;
use crate::plan::names;
use crate::plan::session::{MAX_STREAMS, RTCP_REPORT_INTERVAL, RtpBinSettings, SessionPlan};

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

/// Makes the planned aux elements. GStreamer 1.22's `rtpreddec` leaves the marker bit of
/// the packets it unwraps as the RED packet had it, so those get the workaround
/// (`workarounds::red_marker`).
fn aux_elements(specs: &[ElementSpec], red_pt: Option<u8>) -> AppResult<Vec<gst::Element>> {
    specs
        .iter()
        .map(|spec| {
            let element = make_element(spec)?;
            if let (names::factory::RTPREDDEC, Some(pt)) = (spec.factory, red_pt) {
                workarounds::red_marker::install(&element, pt);
            }
            Ok(element)
        })
        .collect()
}

/// Answers rtpbin's requests for the session's auxiliary sender and receiver.
fn connect_aux(rtpbin: &gst::Element, plan: &SessionPlan) {
    let session = plan.medium.session_id();
    let red_pt = plan.red.map(|r| r.pt);
    for (signal, role, specs) in [
        ("request-aux-sender", "sender", plan.aux_sender()),
        ("request-aux-receiver", "receiver", plan.aux_receiver()),
    ] {
        rtpbin.connect(signal, false, move |args| {
            // glib wants a value of the signal's type even for "none": a NULL element lets
            // the handler of the other session answer.
            let none = Some(None::<gst::Element>.to_value());
            if args[1].get::<u32>().ok()? != session {
                return none;
            }
            let bin = aux_elements(&specs, red_pt).and_then(|elements| {
                if elements.is_empty() {
                    return Ok(None);
                }
                aux_bin(session, role, &elements).map(Some)
            });
            match bin {
                Ok(bin) => Some(bin.to_value()),
                // Every planned factory was checked at start-up (`PeerPlan::required_elements`),
                // so this is a broken installation: the call ends with the reason, rather than
                // going on without the planned repair.
                Err(e) => {
                    if let Ok(rtpbin) = args[0].get::<gst::Element>() {
                        gst::element_error!(
                            rtpbin,
                            gst::CoreError::MissingPlugin,
                            ("session {session}'s {role} elements: {e}")
                        );
                    }
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
            // SR otherwise made a joining peer's video lose sync for good (docs/decisions/0017-lip-sync-moves-slowly.md).
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
    keying: Option<&SessionKeying>,
    exchange: Option<&KeyExchange>,
) -> AppResult<SessionCounters> {
    let id = plan.medium.session_id();
    let link_err = |what: &str| AppError::Media(format!("cannot link {what} of session {id}"));
    let [rtp_src, rtcp_src, rtp_sink, rtcp_sink] = plan.udp_elements().map(|s| make_element(&s));
    let (rtp_src, rtcp_src, rtp_sink, rtcp_sink) = (rtp_src?, rtcp_src?, rtp_sink?, rtcp_sink?);
    // rtpbin asks for these while the session's pads are requested below.
    connect_aux(rtpbin, plan);
    let counters = SessionCounters::default();
    if plan.twcc {
        congestion::add_twcc_extension(payloader)?;
        counters.twcc.attach(payloader)?;
        if let Some(rtx) = plan.rtx {
            counters
                .twcc
                .bursts
                .attach(pipeline, payloader, id, rtx.rtx_pt)?;
        }
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
    // encoder and decoder then. Their keys come from the exchange (`keying`'s slot), or are in
    // the slot from the start (SDES).
    if let Some(keying) = keying {
        let hooks = DecoderHooks {
            locks: keying.locks.clone(),
            unkeyed: counters.unkeyed.clone(),
        };
        srtp::attach(rtpbin, id, &keying.slot, hooks);
    }
    let locks = keying.and_then(|k| k.locks.clone());
    let inbox = exchange
        .filter(|x| x.carrier() == id)
        .map(KeyExchange::inbox);
    let plain = plan.security.srtp.is_none();
    for (src, lock, inbox, drop_bye) in [
        (&rtp_src, locks.as_ref().map(|l| l.0.clone()), inbox, false),
        (&rtcp_src, locks.as_ref().map(|l| l.1.clone()), None, plain),
    ] {
        let hooks = FilterHooks {
            lock,
            exchange: inbox,
            stray_exchange: counters.stray_exchange.clone(),
            drop_bye,
        };
        source_filter::install(src, plan.security.only_from, &counters.rejected, hooks);
    }
    // Nothing leaves an encrypted session before the exchange gives keys (SDES: no gates).
    let (rtp_out, rtcp_out) = match plan.send_gates() {
        Some([rtp_gate, rtcp_gate]) => {
            let (rtp_gate, rtcp_gate) = (make_element(&rtp_gate)?, make_element(&rtcp_gate)?);
            pipeline
                .add_many([&rtp_gate, &rtcp_gate])
                .map_err(|_| link_err("send gates"))?;
            rtp_gate.link(&rtp_sink).map_err(|_| link_err("RTP gate"))?;
            rtcp_gate
                .link(&rtcp_sink)
                .map_err(|_| link_err("RTCP gate"))?;
            (rtp_gate, rtcp_gate)
        }
        None => (rtp_sink.clone(), rtcp_sink.clone()),
    };

    payloader
        .link_pads(Some("src"), rtpbin, Some(&format!("send_rtp_sink_{id}")))
        .map_err(|_| link_err("payloader"))?;
    rtpbin
        .link_pads(Some(&format!("send_rtp_src_{id}")), &rtp_out, Some("sink"))
        .map_err(|_| link_err("RTP sender"))?;
    rtpbin
        .link_pads(
            Some(&format!("send_rtcp_src_{id}")),
            &rtcp_out,
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
            factory: names::factory::FUNNEL,
            name: names::funnel(plan.medium, i),
            props: vec![],
        })?;
        pipeline.add(&funnel).map_err(|_| link_err("funnel"))?;
        funnel
            .link(depayloader)
            .map_err(|_| link_err("depayloader"))?;
        super::workarounds::payload_guard::install(depayloader);
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
    /// SRTP packets that found no key (before the exchange, or from a plain peer).
    pub unkeyed: RejectCounter,
    /// Key-exchange datagrams at a session without an exchange (a plain call).
    pub stray_exchange: RejectCounter,
    /// RTP packets of senders whose format we cannot play, dropped.
    pub unplayable: RejectCounter,
    /// The AAC format the peer's packets showed last (audio without an SDP only).
    pub aac_format: AacFormatSeen,
    /// The peer's transport-wide feedback about what we send, when we ask for it.
    pub twcc: congestion::TwccTap,
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
            .and_then(super::workarounds::payload_guard::classify_aac);
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
    use crate::plan::rtx::RtxPlan;

    #[test]
    fn aux_bins_hold_the_planned_elements_in_order() {
        crate::build::element::init_gstreamer().unwrap();
        let rtx = RtxPlan::video_example();
        let gcc = crate::plan::rate::GccSettings::for_limits(crate::plan::rate::RateLimits {
            min_kbps: 150,
            max_kbps: 2000,
        });
        let specs = [rtx.sender_spec(), gcc.estimator_spec(0)];
        let elements = aux_elements(&specs, None).unwrap();
        assert_eq!(elements[1].property::<u32>("max-bitrate"), gcc.max_bps);
        let map = elements[0].property::<gst::Structure>("payload-type-map");
        assert_eq!(map.get::<u32>("96").unwrap(), 98);
        let bin = aux_bin(0, "sender", &elements).unwrap();
        assert!(bin.static_pad("sink_0").is_some() && bin.static_pad("src_0").is_some());
    }

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
}
