//! SRTP/SRTCP inside `rtpbin`: answers its `request-rtp-encoder`/`request-rtcp-encoder`/
//! `request-rtp-decoder`/`request-rtcp-decoder` signals with one `srtpenc` and one `srtpdec` per
//! session. Their keys come from the key exchange while the call runs ([`KeySlot::install`]);
//! until then the encoder holds a random key behind a closed gate and the decoder grants none.
//! With SDES keying (`--sdp-crypto`) the slot holds its keys from the start ([`KeySlot::keyed`]).
//! GStreamer and libsrtp do the per-packet work.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use gst::glib;
use gst::prelude::*;

use crate::build::element::make_element;
use crate::build::source_filter::{RejectCounter, SourceLock, sender_of};
use crate::error::{AppError, AppResult};
use crate::plan::ElementSpec;
use crate::plan::names;
use crate::security::{SdesSession, SessionKeys, SrtpKey, SrtpSuite};

/// The name of session `id`'s decoder, for the monitor.
pub fn decoder_name(id: u32) -> String {
    names::srtpdec(id)
}

/// One session's keys, shared by the exchange (which installs them) and the session's
/// `srtpenc`/`srtpdec` (which use them).
#[derive(Clone)]
pub struct KeySlot(Arc<Mutex<SlotState>>);

struct SlotState {
    suite: SrtpSuite,
    /// What we encrypt with.
    send: Option<SrtpKey>,
    /// What the peer encrypts with; none: its packets get no decoder stream.
    recv: Option<SrtpKey>,
    encoder: glib::WeakRef<gst::Element>,
    decoder: glib::WeakRef<gst::Element>,
    streams: StreamPolicy,
}

impl KeySlot {
    pub fn new(suite: SrtpSuite) -> KeySlot {
        KeySlot(Arc::new(Mutex::new(SlotState {
            suite,
            send: None,
            recv: None,
            encoder: glib::WeakRef::new(),
            decoder: glib::WeakRef::new(),
            streams: StreamPolicy::default(),
        })))
    }

    /// A slot keyed from the start, for the whole call (SDES): the encoder is made with `send`,
    /// the decoder grants `recv` when the peer's SDP gave it, and nothing otherwise.
    pub fn keyed(suite: SrtpSuite, keys: &SdesSession) -> KeySlot {
        let slot = KeySlot::new(suite);
        if let Ok(mut state) = slot.0.lock() {
            state.send = Some(keys.send.clone());
            state.recv = keys.recv.clone();
        }
        slot
    }

    /// Puts new keys in use: the encoder's at once (libsrtp starts a new session with it), the
    /// decoder's by dropping every stream, so each SSRC asks again and gets the new key.
    pub fn install(&self, keys: SessionKeys) {
        let Ok(mut state) = self.0.lock() else {
            return;
        };
        if let Some(enc) = state.encoder.upgrade() {
            enc.set_property("key", gst::Buffer::from_slice(keys.send.bytes().to_vec()));
        }
        state.send = Some(keys.send.clone());
        state.recv = Some(keys.recv.clone());
        state.streams = StreamPolicy::default();
        let decoder = state.decoder.upgrade();
        drop(state);
        if let Some(dec) = decoder {
            dec.emit_by_name::<()>("clear-keys", &[]);
        }
    }

    /// The send key in use, if any.
    pub fn send_key(&self) -> Option<SrtpKey> {
        self.0.lock().ok()?.send.clone()
    }

    /// Reads the decoder's per-SSRC counts and removes the streams that never authenticated
    /// (garbage or replayed packets under made-up SSRCs). Runs on the main loop.
    pub fn prune(&self) {
        let Some(dec) = self.0.lock().ok().and_then(|s| s.decoder.upgrade()) else {
            return;
        };
        let counts = stream_counts(&dec);
        let failing = match self.0.lock() {
            Ok(mut state) => state.streams.update(&counts),
            Err(_) => return,
        };
        if failing.is_empty() {
            return;
        }
        // srtpdec's remove-key does not take the element's lock itself: hold it, as its
        // streaming threads do, so the stream table is not changed under them.
        let _guard = dec.object_lock();
        for ssrc in failing {
            dec.emit_by_name::<()>("remove-key", &[&ssrc]);
        }
    }
}

/// srtpdec's `stats`: (ssrc, packets, packets that failed) per stream.
fn stream_counts(dec: &gst::Element) -> Vec<(u32, u32, u32)> {
    let Some(stats) = dec.property::<Option<gst::Structure>>("stats") else {
        return vec![];
    };
    let Ok(streams) = stats.get::<gst::Array>("streams") else {
        return vec![];
    };
    streams
        .iter()
        .filter_map(|v| v.get::<gst::Structure>().ok())
        .filter_map(|s| {
            Some((
                s.get::<u32>("ssrc").ok()?,
                s.get::<u32>("recv-count").ok()?,
                s.get::<u32>("recv-drop-count").ok()?,
            ))
        })
        .collect()
}

/// What a session's sockets learn from authenticated packets, and where dropped ones count.
#[derive(Clone, Default)]
pub struct DecoderHooks {
    /// The RTP and RTCP sockets' locks, taught by what leaves the decoder.
    pub locks: Option<(SourceLock, SourceLock)>,
    /// Packets with no key (before the exchange, or beyond the stream cap).
    pub unkeyed: RejectCounter,
}

/// Connects `rtpbin`'s encoder/decoder requests for session `id`. Must run before the session's
/// pads are requested (that is when rtpbin asks).
pub fn attach(rtpbin: &gst::Element, id: u32, slot: &KeySlot, hooks: DecoderHooks) {
    let encoder = Slot::default();
    for (signal, sink) in [
        ("request-rtp-encoder", "rtp"),
        ("request-rtcp-encoder", "rtcp"),
    ] {
        let (once, slot) = (encoder.clone(), slot.clone());
        rtpbin.connect(signal, false, move |args| {
            if args[1].get::<u32>().ok()? != id {
                // Another session's request: "no element" (glib wants a typed NULL).
                return Some(None::<gst::Element>.to_value());
            }
            let Some(enc) = once.get_or(|| make_encoder(id, &slot)) else {
                return Some(None::<gst::Element>.to_value());
            };
            // rtpbin (1.22) looks for the encoder's src pad, which srtpenc only makes once its
            // sink pad is requested: request it here.
            let pad = format!("{sink}_sink_{id}");
            if enc.static_pad(&pad).is_none() && enc.request_pad_simple(&pad).is_none() {
                tracing::error!("srtpenc refused pad {pad}");
            }
            Some(enc.to_value())
        });
    }
    let decoder = Slot::default();
    for signal in ["request-rtp-decoder", "request-rtcp-decoder"] {
        let (once, slot, hooks) = (decoder.clone(), slot.clone(), hooks.clone());
        rtpbin.connect(signal, false, move |args| {
            if args[1].get::<u32>().ok()? != id {
                // Another session's request: "no element" (glib wants a typed NULL).
                return Some(None::<gst::Element>.to_value());
            }
            Some(once.get_or(|| make_decoder(id, &slot, &hooks)).to_value())
        });
    }
}

/// The one encoder (or decoder) of a session, shared by its RTP and RTCP requests. Weak, so the
/// handler kept by rtpbin does not keep rtpbin's own child alive.
#[derive(Clone, Default)]
struct Slot(Arc<Mutex<glib::WeakRef<gst::Element>>>);

impl Slot {
    fn get_or(&self, make: impl FnOnce() -> AppResult<gst::Element>) -> Option<gst::Element> {
        let mut weak = self.0.lock().ok()?;
        if let Some(element) = weak.upgrade() {
            return Some(element);
        }
        match make() {
            Ok(element) => {
                *weak = element.downgrade();
                Some(element)
            }
            Err(e) => {
                tracing::error!("{e}");
                None
            }
        }
    }
}

fn make_encoder(id: u32, slot: &KeySlot) -> AppResult<gst::Element> {
    let mut state = slot
        .0
        .lock()
        .map_err(|_| AppError::Media("key slot poisoned".into()))?;
    let suite = state.suite;
    let enc = make_element(&ElementSpec {
        factory: "srtpenc",
        name: names::srtpenc(id),
        props: vec![
            ("rtp-cipher", suite.cipher().into()),
            ("rtp-auth", suite.auth().into()),
            ("rtcp-cipher", suite.cipher().into()),
            ("rtcp-auth", suite.auth().into()),
        ],
    })?;
    // Until the exchange gives the real key: a random one (the send gate is closed anyway).
    let key = state.send.clone().unwrap_or_else(|| SrtpKey::random(suite));
    enc.set_property("key", gst::Buffer::from_slice(key.bytes().to_vec()));
    state.encoder = enc.downgrade();
    Ok(enc)
}

fn decoder_caps(suite: SrtpSuite, recv: &SrtpKey) -> gst::Caps {
    gst::Caps::builder("application/x-srtp")
        .field("srtp-key", gst::Buffer::from_slice(recv.bytes().to_vec()))
        .field("srtp-cipher", suite.cipher())
        .field("srtp-auth", suite.auth())
        .field("srtcp-cipher", suite.cipher())
        .field("srtcp-auth", suite.auth())
        .build()
}

fn make_decoder(id: u32, slot: &KeySlot, hooks: &DecoderHooks) -> AppResult<gst::Element> {
    let dec = make_element(&ElementSpec {
        factory: "srtpdec",
        name: decoder_name(id),
        props: vec![],
    })?;
    if let Ok(mut state) = slot.0.lock() {
        state.decoder = dec.downgrade();
    }
    // srtpdec asks for every SSRC it has no stream for, before it authenticates anything, and
    // with its lock held: answer from the slot, evicting a never-authenticated stream when the
    // cap is reached (remove-key takes no lock, so it is safe here).
    let (state, unkeyed) = (slot.0.clone(), hooks.unkeyed.clone());
    dec.connect("request-key", false, move |args| {
        let element = args[0].get::<gst::Element>().ok()?;
        let ssrc = args[1].get::<u32>().ok()?;
        let mut state = state.lock().ok()?;
        let caps = state
            .recv
            .as_ref()
            .map(|recv| decoder_caps(state.suite, recv));
        let grant = caps.is_some().then(|| state.streams.grant(ssrc));
        drop(state);
        match grant {
            Some(Grant::Yes { evict }) => {
                if let Some(victim) = evict {
                    element.emit_by_name::<()>("remove-key", &[&victim]);
                }
                Some(caps.to_value())
            }
            _ => {
                unkeyed.add(1);
                Some(None::<gst::Caps>.to_value())
            }
        }
    });
    // What leaves the decoder authenticated: its sender is the peer's, so the socket locks to
    // it (and moves to it).
    if let Some((rtp, rtcp)) = &hooks.locks {
        for (pad, lock) in [("rtp_src", rtp.clone()), ("rtcp_src", rtcp.clone())] {
            let Some(pad) = dec.static_pad(pad) else {
                continue;
            };
            pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                if let Some(from) = info.buffer().and_then(|b| sender_of(b)) {
                    lock.authenticated(from);
                }
                gst::PadProbeReturn::Ok
            });
        }
    }
    Ok(dec)
}

/// Which SSRCs get a decoder stream: any new one, up to [`StreamPolicy::MAX_LIVE`] at once.
/// At the cap a stream that has not authenticated (as of the last [`StreamPolicy::update`])
/// makes room, the oldest first, so a flood of made-up SSRCs only pushes out its own kind and
/// a restarted peer's or a first RTX stream still gets its key.
#[derive(Debug, Default)]
pub struct StreamPolicy {
    granted: VecDeque<u32>,
    authenticated: Vec<u32>,
}

/// The answer to a key request.
#[derive(Debug, PartialEq, Eq)]
pub enum Grant {
    /// A key, after removing `evict`'s stream.
    Yes {
        evict: Option<u32>,
    },
    No,
}

impl StreamPolicy {
    /// Live decoder streams at most (the peer's media and RTX streams, and a restart's).
    pub const MAX_LIVE: usize = 16;
    /// Failed packets after which a stream that never authenticated is removed.
    pub const FAIL_AFTER: u32 = 3;

    pub fn grant(&mut self, ssrc: u32) -> Grant {
        if self.granted.contains(&ssrc) {
            return Grant::Yes { evict: None };
        }
        let mut evict = None;
        if self.granted.len() >= Self::MAX_LIVE {
            let Some(pos) = self
                .granted
                .iter()
                .position(|s| !self.authenticated.contains(s))
            else {
                return Grant::No;
            };
            evict = self.granted.remove(pos);
        }
        self.granted.push_back(ssrc);
        Grant::Yes { evict }
    }

    /// Takes the decoder's (ssrc, packets, failed) counts; returns the streams to remove:
    /// those that failed [`Self::FAIL_AFTER`] packets and never authenticated one.
    pub fn update(&mut self, counts: &[(u32, u32, u32)]) -> Vec<u32> {
        self.authenticated = counts
            .iter()
            .filter(|(_, recv, dropped)| recv > dropped)
            .map(|(ssrc, ..)| *ssrc)
            .collect();
        let failing: Vec<u32> = counts
            .iter()
            .filter(|(_, recv, dropped)| *dropped >= Self::FAIL_AFTER && recv == dropped)
            .map(|(ssrc, ..)| *ssrc)
            .collect();
        self.granted.retain(|s| !failing.contains(s));
        failing
    }
}

/// [`check_suite`] on a thread of its own, started early: loading the SRTP plugin (libsrtp runs
/// its crypto self-tests) takes a while, which then overlaps the rest of the start-up.
/// Dropping it waits for the thread: a process that exits (on a bad answer, say) while NSS is
/// being set up on another thread aborts in its exit handlers.
pub struct SuiteCheck(Option<std::thread::JoinHandle<AppResult<()>>>);

impl SuiteCheck {
    /// Starts the check. GStreamer must be initialised.
    pub fn start(suite: SrtpSuite) -> SuiteCheck {
        SuiteCheck(Some(std::thread::spawn(move || {
            crate::build::workarounds::nss_once::initialise();
            check_suite(suite)
        })))
    }

    /// Waits for the check's answer.
    pub fn result(mut self) -> AppResult<()> {
        match self.0.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(AppError::Media(
                "the SRTP check stopped unexpectedly".into(),
            )),
            None => Ok(()),
        }
    }
}

impl Drop for SuiteCheck {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            let _ = thread.join();
        }
    }
}

/// Checks that libsrtp accepts `suite` by pushing one RTP packet through an `srtpenc`: a libsrtp
/// built without a crypto library has no AES-GCM.
pub fn check_suite(suite: SrtpSuite) -> AppResult<()> {
    let unsupported = || {
        AppError::MissingPlugin(format!(
            "this libsrtp cannot do {}: both peers can use --srtp-suite aes-128-cm-sha1-80",
            suite.name()
        ))
    };
    let pipeline = gst::Pipeline::new();
    let src = gst_app::AppSrc::builder()
        .caps(&gst::Caps::builder("application/x-rtp").build())
        .format(gst::Format::Time)
        .build();
    let enc = gst::ElementFactory::make("srtpenc")
        .property_from_str("rtp-cipher", suite.cipher())
        .property_from_str("rtp-auth", suite.auth())
        .property_from_str("rtcp-cipher", suite.cipher())
        .property_from_str("rtcp-auth", suite.auth())
        .property(
            "key",
            gst::Buffer::from_slice(vec![7u8; suite.key_salt_len()]),
        )
        .build()
        .map_err(|_| unsupported())?;
    let sink = gst_app::AppSink::builder().sync(false).build();
    pipeline
        .add_many([src.upcast_ref(), &enc, sink.upcast_ref()])
        .map_err(|_| unsupported())?;
    src.link_pads(None, &enc, Some("rtp_sink_0"))
        .map_err(|_| unsupported())?;
    enc.link_pads(Some("rtp_src_0"), &sink, None)
        .map_err(|_| unsupported())?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|_| unsupported())?;
    let mut packet = vec![0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
    packet.extend_from_slice(&[0x65; 20]);
    let _ = src.push_buffer(gst::Buffer::from_slice(packet));
    let out = sink.try_pull_sample(gst::ClockTime::from_seconds(2));
    let _ = pipeline.set_state(gst::State::Null);
    out.map(drop).ok_or_else(unsupported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_new_ssrcs_only_pushes_out_its_own_kind() {
        let mut p = StreamPolicy::default();
        assert_eq!(p.grant(1), Grant::Yes { evict: None });
        assert!(
            p.update(&[(1, 50, 0)]).is_empty(),
            "the peer's stream stays"
        );
        for flood in 100..115 {
            assert_eq!(p.grant(flood), Grant::Yes { evict: None });
        }
        // Full: the oldest stream that never authenticated makes room, never the peer's.
        assert_eq!(p.grant(500), Grant::Yes { evict: Some(100) });
        assert_eq!(p.grant(501), Grant::Yes { evict: Some(101) });
        assert_eq!(p.grant(1), Grant::Yes { evict: None });
        // Streams that only failed are removed at the next update.
        let removed = p.update(&[(1, 90, 0), (102, 3, 3), (103, 1, 1), (500, 4, 1)]);
        assert_eq!(removed, vec![102]);
        assert!(!p.granted.contains(&102));
    }

    #[test]
    fn a_cap_of_authenticated_streams_refuses_more() {
        let mut p = StreamPolicy::default();
        let all: Vec<_> = (0..StreamPolicy::MAX_LIVE as u32)
            .map(|s| (s, 10, 0))
            .collect();
        for (s, ..) in &all {
            p.grant(*s);
        }
        p.update(&all);
        assert_eq!(p.grant(999), Grant::No);
    }

    #[test]
    fn encrypted_caps_keep_the_media_fields() {
        use crate::plan::session::encrypted_caps;
        let (rtp, rtcp) = encrypted_caps("application/x-rtp,media=video,payload=96");
        assert_eq!(rtp, "application/x-srtp,media=video,payload=96");
        assert_eq!(rtcp, "application/x-srtcp");
    }
}
