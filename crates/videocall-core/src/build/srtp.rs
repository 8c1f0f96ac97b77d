//! SRTP/SRTCP inside `rtpbin`: answers its `request-rtp-encoder`/`request-rtcp-encoder`/
//! `request-rtp-decoder`/`request-rtcp-decoder` signals with one `srtpenc` and one `srtpdec` per
//! session, keyed from the plan. GStreamer and libsrtp do the per-packet work.

use std::sync::{Arc, Mutex};

use gst::glib;
use gst::prelude::*;

use crate::build::element::make_element;
use crate::error::{AppError, AppResult};
use crate::plan::ElementSpec;
use crate::plan::names;
use crate::security::{SessionKeys, SrtpSuite};

/// The name of session `id`'s decoder, for the monitor.
pub fn decoder_name(id: u32) -> String {
    names::srtpdec(id)
}

/// Connects `rtpbin`'s encoder/decoder requests for session `id`. Must run before the session's
/// pads are requested (that is when rtpbin asks).
pub fn attach(rtpbin: &gst::Element, id: u32, keys: &SessionKeys) {
    let encoder = Slot::default();
    for (signal, sink) in [
        ("request-rtp-encoder", "rtp"),
        ("request-rtcp-encoder", "rtcp"),
    ] {
        let (slot, keys) = (encoder.clone(), keys.clone());
        rtpbin.connect(signal, false, move |args| {
            if args[1].get::<u32>().ok()? != id {
                // Another session's request: "no element" (glib wants a typed NULL).
                return Some(None::<gst::Element>.to_value());
            }
            let Some(enc) = slot.get_or(|| make_encoder(id, &keys)) else {
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
        let (slot, keys) = (decoder.clone(), keys.clone());
        rtpbin.connect(signal, false, move |args| {
            if args[1].get::<u32>().ok()? != id {
                // Another session's request: "no element" (glib wants a typed NULL).
                return Some(None::<gst::Element>.to_value());
            }
            Some(slot.get_or(|| make_decoder(id, &keys)).to_value())
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

fn make_encoder(id: u32, keys: &SessionKeys) -> AppResult<gst::Element> {
    let suite = keys.suite;
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
    enc.set_property("key", gst::Buffer::from_slice(keys.send.bytes().to_vec()));
    Ok(enc)
}

fn make_decoder(id: u32, keys: &SessionKeys) -> AppResult<gst::Element> {
    let dec = make_element(&ElementSpec {
        factory: "srtpdec",
        name: decoder_name(id),
        props: vec![],
    })?;
    let caps = gst::Caps::builder("application/x-srtp")
        .field(
            "srtp-key",
            gst::Buffer::from_slice(keys.recv.bytes().to_vec()),
        )
        .field("srtp-cipher", keys.suite.cipher())
        .field("srtp-auth", keys.suite.auth())
        .field("srtcp-cipher", keys.suite.cipher())
        .field("srtcp-auth", keys.suite.auth())
        .build();
    // Every sender SSRC of this session gets the key of the peer's direction, but srtpdec asks
    // before it authenticates anything, and keeps a libsrtp stream per SSRC it got a key for:
    // garbage with made-up SSRCs would pile them up. New SSRCs are rationed.
    let budget = Mutex::new(NewSsrcBudget::new(std::time::Instant::now()));
    dec.connect("request-key", false, move |args| {
        let ssrc = args[1].get::<u32>().ok()?;
        let granted = budget
            .lock()
            .is_ok_and(|mut b| b.grant(ssrc, std::time::Instant::now()));
        Some(if granted { Some(&caps) } else { None }.to_value())
    });
    Ok(dec)
}

/// How many SSRCs may get a key: a few at once (the peer's stream, a restart, retransmissions),
/// then one more every [`NewSsrcBudget::REFILL`]. An SSRC already granted is granted again free.
#[derive(Debug)]
pub struct NewSsrcBudget {
    tokens: f64,
    last: std::time::Instant,
    granted: std::collections::VecDeque<u32>,
}

impl NewSsrcBudget {
    pub const CAPACITY: f64 = 8.0;
    pub const REFILL: std::time::Duration = std::time::Duration::from_secs(2);
    const REMEMBERED: usize = 32;

    pub fn new(now: std::time::Instant) -> NewSsrcBudget {
        NewSsrcBudget {
            tokens: Self::CAPACITY,
            last: now,
            granted: Default::default(),
        }
    }

    /// True when `ssrc` may have a key at `now`.
    pub fn grant(&mut self, ssrc: u32, now: std::time::Instant) -> bool {
        if self.granted.contains(&ssrc) {
            return true;
        }
        let earned =
            now.saturating_duration_since(self.last).as_secs_f64() / Self::REFILL.as_secs_f64();
        self.tokens = (self.tokens + earned).min(Self::CAPACITY);
        self.last = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        if self.granted.len() == Self::REMEMBERED {
            self.granted.pop_front();
        }
        self.granted.push_back(ssrc);
        true
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
    use std::time::{Duration, Instant};

    #[test]
    fn new_ssrcs_are_rationed_and_known_ones_are_free() {
        let t0 = Instant::now();
        let mut b = NewSsrcBudget::new(t0);
        for ssrc in 0..8 {
            assert!(b.grant(ssrc, t0));
        }
        assert!(!b.grant(100, t0), "a flood of new SSRCs is cut off");
        assert!(b.grant(3, t0), "a granted SSRC keeps its key");
        assert!(!b.grant(101, t0 + Duration::from_secs(1)));
        assert!(
            b.grant(102, t0 + Duration::from_secs(3)),
            "one more after the refill time"
        );
        assert!(!b.grant(103, t0 + Duration::from_secs(3)));
    }

    #[test]
    fn encrypted_caps_keep_the_media_fields() {
        use crate::plan::session::encrypted_caps;
        let (rtp, rtcp) = encrypted_caps("application/x-rtp,media=video,payload=96");
        assert_eq!(rtp, "application/x-srtp,media=video,payload=96");
        assert_eq!(rtcp, "application/x-srtcp");
    }
}
