//! Google Congestion Control's wiring (the controller's maths is `rate::gcc`): the sender's
//! payloader marks every video packet with the transport-wide sequence number header extension
//! (TWCC, draft-holmer-rmcat-transport-wide-cc-extensions-01), which rtpsession fills in; the
//! receiver's rtpsession, seeing the same extension in its RTP caps (`media::plan`), reports
//! each packet's arrival time; the sender's rtpsession turns those reports into events for
//! `rtpgccbwe` (from the `gst-plugin-rtp` crate, registered statically at start-up), which
//! estimates the link's rate and paces the session's packets at it. `session` puts it in
//! rtpbin's aux sender chain.

use gst_rtp::prelude::*;

use crate::error::{AppError, AppResult};
use crate::plan::media::{TWCC_EXTENSION_ID, TWCC_URI};

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
