//! Transport-wide congestion control's wiring (the controllers' maths is in `adapt`): the sender's
//! payloader marks every video packet with the transport-wide sequence number header extension
//! (TWCC, draft-holmer-rmcat-transport-wide-cc-extensions-01), which rtpsession fills in; the
//! receiver's rtpsession, seeing the same extension in its RTP caps (`media::plan`), reports
//! each packet's arrival time; the sender's rtpsession turns those reports into upstream events.
//! [`TwccTap`] gathers them for our delay-based controller (`adapt::delay`); with `--congestion-
//! control gcc` they feed `rtpgccbwe` instead (from the `gst-plugin-rtp` crate, registered
//! statically at start-up, in rtpbin's aux sender chain), which estimates the link's rate and
//! paces the session's packets at it.

use std::sync::{Arc, Mutex};

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
pub struct TwccTap(Arc<Mutex<TwccWindow>>);

impl TwccTap {
    /// Starts gathering the feedback that reaches `payloader` (call before it runs).
    pub fn attach(&self, payloader: &gst::Element) -> AppResult<()> {
        let pad = payloader.static_pad("src").ok_or_else(|| {
            AppError::Media("the video payloader has no source pad for congestion feedback".into())
        })?;
        let window = self.0.clone();
        pad.add_probe(gst::PadProbeType::EVENT_UPSTREAM, move |_, info| {
            let Some(gst::PadProbeData::Event(event)) = &info.data else {
                return gst::PadProbeReturn::Ok;
            };
            if let Some(report) = event.structure().filter(|s| s.name() == TWCC_EVENT)
                && let Ok(mut window) = window.lock()
            {
                window.add_report(packets(report));
            }
            gst::PadProbeReturn::Ok
        });
        Ok(())
    }

    /// The feedback since the last call.
    pub fn take(&self) -> TwccWindow {
        self.0
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
fn packets(report: &gst::StructureRef) -> Vec<TwccPacket> {
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
            })
        })
        .collect()
}
