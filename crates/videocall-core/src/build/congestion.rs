//! Transport-wide congestion control's wiring (the controllers' maths is in `adapt`): the sender's
//! payloader marks every video packet with the transport-wide sequence number header extension
//! (TWCC, draft-holmer-rmcat-transport-wide-cc-extensions-01), which rtpsession fills in; the
//! receiver's rtpsession, seeing the same extension in its RTP caps (`media::plan`), reports
//! each packet's arrival time; the sender's rtpsession turns those reports into upstream events.
//! [`TwccTap`] gathers them for our delay-based controller (`adapt::delay`); with `--congestion-
//! control gcc` they feed `rtpgccbwe` instead (from the `gst-plugin-rtp` crate, registered
//! statically at start-up, in rtpbin's aux sender chain), which estimates the link's rate and
//! paces the session's packets at it. [`ProbeBursts`] sends the delay-based controller's probe
//! bursts.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use gst::prelude::*;
use gst_rtp::prelude::*;

use crate::error::{AppError, AppResult};
use crate::plan::media::{TWCC_EXTENSION_ID, TWCC_URI};
use crate::stats::twcc::{TwccPacket, TwccWindow};

/// Makes `payloader` put the TWCC header extension on every packet (call before it runs).
pub fn add_twcc_extension(payloader: &gst::Element) -> AppResult<()> {
    let extension = gst_rtp::RTPHeaderExtension::create_from_uri(TWCC_URI).ok_or_else(|| {
        AppError::MissingPlugin(
            "no RTP header extension for transport-wide congestion control: install \
             gstreamer1.0-plugins-good (rtpmanager)"
                .into(),
        )
    })?;
    extension.set_id(u32::from(TWCC_EXTENSION_ID));
    payloader.emit_by_name::<()>("add-extension", &[&extension]);
    Ok(())
}

/// The peer's transport-wide feedback about our video, gathered between takes: rtpsession
/// sends each report it parses upstream as an `RTPTWCCPackets` event, which passes the aux
/// sender and reaches the payloader; a probe on the payloader's source pad folds it into the
/// window `stats::collect` hands to the adapter every `adapt::FEEDBACK_TICK_S`. About one
/// report a frame, none per packet.
#[derive(Debug, Clone, Default)]
pub struct TwccTap {
    window: Arc<Mutex<TwccWindow>>,
    /// The probe bursts, whose packets the window counts apart.
    pub bursts: ProbeBursts,
}

impl TwccTap {
    /// Starts gathering the feedback that reaches `payloader` (call before it runs).
    pub fn attach(&self, payloader: &gst::Element) -> AppResult<()> {
        let pad = payloader.static_pad("src").ok_or_else(|| {
            AppError::Media("the video payloader has no source pad for congestion feedback".into())
        })?;
        let window = self.window.clone();
        let bursts = self.bursts.clone();
        pad.add_probe(gst::PadProbeType::EVENT_UPSTREAM, move |_, info| {
            let Some(gst::PadProbeData::Event(event)) = &info.data else {
                return gst::PadProbeReturn::Ok;
            };
            if let Some(report) = event.structure().filter(|s| s.name() == TWCC_EVENT)
                && let Ok(mut window) = window.lock()
            {
                window.add_report(packets(report, &bursts));
            }
            gst::PadProbeReturn::Ok
        });
        Ok(())
    }

    /// The feedback since the last call.
    pub fn take(&self) -> TwccWindow {
        self.window
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }
}

/// The custom upstream event rtpsession sends per transport-wide feedback report.
const TWCC_EVENT: &str = "RTPTWCCPackets";

/// The packets of one `RTPTWCCPackets` event (rtpsession 1.22: a `packets` array of structures
/// with `local-ts`, `remote-ts` (absent or invalid when lost), `size` and `lost`); packets
/// without our send time are skipped.
fn packets(report: &gst::StructureRef, bursts: &ProbeBursts) -> Vec<TwccPacket> {
    let Ok(list) = report.get::<gst::glib::ValueArray>("packets") else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|value| {
            let s = value.get::<gst::Structure>().ok()?;
            let sent = s.get::<Option<gst::ClockTime>>("local-ts").ok()??;
            let lost = s.get::<bool>("lost").unwrap_or(false);
            let arrived = if lost {
                None
            } else {
                s.get::<Option<gst::ClockTime>>("remote-ts").ok()?
            };
            Some(TwccPacket {
                seqnum: s.get::<u32>("seqnum").ok()?,
                sent_ns: sent.nseconds(),
                arrived_ns: arrived.map(gst::ClockTime::nseconds),
                bytes: s.get::<u32>("size").unwrap_or(0),
                probe: bursts.sent_in_burst(s.get::<u8>("payload-type").ok(), sent.nseconds()),
            })
        })
        .collect()
}

/// Probe bursts: resends of the packets just sent, put on the path at once to learn whether it
/// carries more than we send, without sending more media. Against a policer, a burst a little
/// larger than its bucket loses only its own last packets (resends nobody waits for), where
/// raising the encoder's rate until loss shows loses media for the feedback's whole reaction
/// time (decision 21). Bursts leave three key-frame intervals apart, each after the same frame
/// of its interval, so that the bucket refilled for as long before each; the payloader's
/// packets show which packet ends that frame, and the burst is asked for where rtprtxsend sends
/// that packet on, so that the resends follow it. rtprtxsend resends from its history, and
/// rtpsession gives the resends transport-wide sequence numbers like any packet. The peer's
/// rtprtxreceive passes them on and its jitter buffer drops them as duplicates.
#[derive(Debug, Clone, Default)]
pub struct ProbeBursts(Arc<BurstState>);

#[derive(Debug, Default)]
struct BurstState {
    /// Bytes the next burst resends; 0: none is asked for.
    wanted_bytes: AtomicU32,
    /// Whether it leaves after the next frame, wherever that is.
    at_once: AtomicBool,
    /// How many frames ended since the last key frame began (the key frame is the first),
    /// and how many key frames began since the last burst.
    frames_since_key: AtomicU32,
    key_frames_since_burst: AtomicU32,
    /// The sequence number of the packet the burst follows, once the payloader sent it
    /// (`NO_PACKET` until then).
    after_seqnum: AtomicU32,
    /// The last packets' sizes.
    sizes: SizeRing,
    /// When the last bursts left (system clock, ns; rtpsession's send times are on it).
    fired: Mutex<VecDeque<u64>>,
    /// The resends' payload type, once the burst sender is attached, and the payloader's
    /// largest packet.
    rtx_pt: OnceLock<u8>,
    mtu: AtomicU32,
    /// Whether rtprtxsend's source pad is watched yet (it exists once rtpbin asked for it).
    watching_sender: AtomicBool,
}

/// The sizes of the last packets sent, by sequence number modulo `SIZES_KEPT`, each as
/// `(seqnum << 16) | size`: written by the streaming thread, read when a burst leaves.
#[derive(Debug)]
struct SizeRing([AtomicU32; SIZES_KEPT]);

impl Default for SizeRing {
    fn default() -> Self {
        SizeRing(std::array::from_fn(|_| AtomicU32::new(0)))
    }
}

/// How many bursts' times are kept to recognise their packets in the feedback.
const BURSTS_KEPT: usize = 4;
/// A burst's packets leave rtpsession within this long (ns) of the burst.
const BURST_SPAN_NS: u64 = 50_000_000;
const NO_PACKET: u32 = u32::MAX;
/// Sizes kept of the last packets sent, more than a burst resends.
const SIZES_KEPT: usize = 256;
const MAX_BURST_PACKETS: u16 = 200;
/// Bursts are this many key-frame intervals apart (or more): the bucket refills for the same
/// time before each, so what it holds is the same at each (3 s at 85 % of a policer's rate
/// refill a bucket of up to 450 ms of it).
const KEY_FRAMES_APART: u32 = 3;
/// The burst follows the end of this frame of a key-frame interval (the key frame is frame
/// 1): the frames after a key frame are larger than the rest (the encoder's buffer refills),
/// and the next key frame, 15 frames later at 25 frames/s, finds the bucket refilled.
const FIRE_AFTER_FRAME: u32 = 11;

impl ProbeBursts {
    /// Sends a burst of about `bytes` of resends after a frame in the middle of a key-frame
    /// interval, or after the next frame if `at_once`.
    pub fn arm(&self, bytes: u32, at_once: bool) {
        self.0.at_once.store(at_once, Ordering::Relaxed);
        self.0.after_seqnum.store(NO_PACKET, Ordering::Relaxed);
        self.0.wanted_bytes.store(bytes, Ordering::Relaxed);
    }

    /// Whether a packet of payload type `pt` sent at `sent_ns` was a burst's.
    fn sent_in_burst(&self, pt: Option<u8>, sent_ns: u64) -> bool {
        if pt.is_none() || pt != self.0.rtx_pt.get().copied() {
            return false;
        }
        self.0.fired.lock().is_ok_and(|fired| {
            fired
                .iter()
                .any(|&at| sent_ns + 1_000_000 >= at && sent_ns <= at + BURST_SPAN_NS)
        })
    }

    /// Sends the armed bursts after `payloader`'s frames through session `session`'s
    /// rtprtxsend in `pipeline` (call before it runs); `rtx_pt` is the resends' payload type.
    pub fn attach(
        &self,
        pipeline: &gst::Pipeline,
        payloader: &gst::Element,
        session: u32,
        rtx_pt: u8,
    ) -> AppResult<()> {
        let pad = payloader.static_pad("src").ok_or_else(|| {
            AppError::Media("the video payloader has no source pad for probe bursts".into())
        })?;
        let _ = self.0.rtx_pt.set(rtx_pt);
        self.0
            .mtu
            .store(payloader.property::<u32>("mtu"), Ordering::Relaxed);
        let bursts = self.clone();
        let pipeline = pipeline.downgrade();
        let sender = crate::plan::names::rtx_send(session);
        let probe_types = gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST;
        pad.add_probe(probe_types, move |_, info| {
            let state = &bursts.0;
            let armed = state.wanted_bytes.load(Ordering::Relaxed) != 0
                && state.after_seqnum.load(Ordering::Relaxed) == NO_PACKET;
            if armed
                && !state.watching_sender.load(Ordering::Relaxed)
                && let Some(rtx_src) = pipeline
                    .upgrade()
                    .and_then(|p| p.by_name(&sender))
                    .and_then(|e| e.static_pad("src"))
            {
                state.watching_sender.store(true, Ordering::Relaxed);
                bursts.watch_sender(&rtx_src);
            }
            for buffer in buffers(info) {
                // rtph264pay marks only a key frame's first packet as no delta unit, and
                // each frame's last with the marker.
                let flags = buffer.flags();
                let ends_frame = flags.contains(gst::BufferFlags::MARKER);
                let seqnum = packet_seqnum(buffer);
                if let Some(seqnum) = seqnum {
                    let size = (buffer.size() as u32).min(u32::from(u16::MAX));
                    state.sizes.0[usize::from(seqnum) % SIZES_KEPT]
                        .store((u32::from(seqnum) << 16) | size, Ordering::Relaxed);
                }
                if !flags.contains(gst::BufferFlags::DELTA_UNIT) {
                    state.frames_since_key.store(0, Ordering::Relaxed);
                    let _ = state.key_frames_since_burst.fetch_update(
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                        |n| Some(n.saturating_add(1)),
                    );
                }
                if !ends_frame {
                    continue;
                }
                let ended = state.frames_since_key.fetch_add(1, Ordering::Relaxed) + 1;
                let Some(seqnum) = seqnum.filter(|_| armed) else {
                    continue;
                };
                // The frames just after a key frame are larger than the rest (the encoder's
                // buffer refills), and the next key frame needs the bucket refilled: the burst
                // follows a frame in the middle of the key-frame interval.
                let in_place = ended == FIRE_AFTER_FRAME
                    && state.key_frames_since_burst.load(Ordering::Relaxed) >= KEY_FRAMES_APART;
                if in_place || state.at_once.load(Ordering::Relaxed) {
                    state.key_frames_since_burst.store(0, Ordering::Relaxed);
                    state
                        .after_seqnum
                        .store(u32::from(seqnum), Ordering::Relaxed);
                }
            }
            gst::PadProbeReturn::Ok
        });
        Ok(())
    }

    /// Sends the burst when rtprtxsend sends on the packet it follows: its resends queue
    /// behind that packet.
    fn watch_sender(&self, rtx_src: &gst::Pad) {
        let bursts = self.clone();
        let probe_types = gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST;
        rtx_src.add_probe(probe_types, move |pad, info| {
            let state = &bursts.0;
            let after = state.after_seqnum.load(Ordering::Relaxed);
            if after == NO_PACKET {
                return gst::PadProbeReturn::Ok;
            }
            let found = buffers(info).find_map(|buffer| {
                let rtp = gst_rtp::RTPBuffer::from_buffer_readable(buffer).ok()?;
                (u32::from(rtp.seq()) == after).then(|| rtp.ssrc())
            });
            let Some(ssrc) = found else {
                return gst::PadProbeReturn::Ok;
            };
            let bytes = state.wanted_bytes.swap(0, Ordering::Relaxed);
            state.after_seqnum.store(NO_PACKET, Ordering::Relaxed);
            let seqnums = bursts.burst_seqnums(after as u16, bytes);
            if let Ok(mut fired) = state.fired.lock() {
                if fired.len() == BURSTS_KEPT {
                    fired.pop_front();
                }
                fired.push_back(gst::SystemClock::obtain().time().nseconds());
            }
            for seqnum in seqnums {
                let request = gst::Structure::builder("GstRTPRetransmissionRequest")
                    .field("seqnum", u32::from(seqnum))
                    .field("ssrc", ssrc)
                    .build();
                pad.send_event(gst::event::CustomUpstream::new(request));
            }
            gst::PadProbeReturn::Ok
        });
    }

    /// The packets that make up `bytes`, from `last` back, by the sizes seen (a packet whose
    /// size is not known counts as a full one).
    fn burst_seqnums(&self, last: u16, bytes: u32) -> Vec<u16> {
        let mut out = Vec::new();
        let mut total = 0u32;
        for back in 0..MAX_BURST_PACKETS {
            if total >= bytes {
                break;
            }
            let seqnum = last.wrapping_sub(back);
            let slot = self.0.sizes.0[usize::from(seqnum) % SIZES_KEPT].load(Ordering::Relaxed);
            total += if slot >> 16 == u32::from(seqnum) {
                slot & 0xffff
            } else {
                self.0.mtu.load(Ordering::Relaxed)
            };
            out.push(seqnum);
        }
        out
    }
}

/// An RTP packet's sequence number, read from its fixed header.
fn packet_seqnum(buffer: &gst::BufferRef) -> Option<u16> {
    let mut header = [0u8; 4];
    (buffer.copy_to_slice(0, &mut header).is_ok() && header[0] >> 6 == 2)
        .then(|| u16::from_be_bytes([header[2], header[3]]))
}

/// The buffers of a probe's data: one, or a list's.
fn buffers<'a>(info: &'a gst::PadProbeInfo<'a>) -> impl Iterator<Item = &'a gst::BufferRef> {
    let (one, list) = match &info.data {
        Some(gst::PadProbeData::Buffer(buffer)) => (Some(buffer.as_ref()), None),
        Some(gst::PadProbeData::BufferList(list)) => (None, Some(list.iter())),
        _ => (None, None),
    };
    one.into_iter().chain(list.into_iter().flatten())
}
